//! `Timed`: wall and busy time of a future.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use core::time::Duration;

use crate::clock::Clock;
use crate::error::TrackerError;
use crate::instrument::stack::{self, AsyncPlace, Place};
use crate::operation::Operation;
use crate::paths;
use crate::summary::{Sample, saturating_ns};
use crate::tracker::Tracker;

use crate::os::alloc::Mark;
use crate::os::clock::FastClock;
use crate::os::process as os;
use crate::timeline;
use crate::timeline::track::{self, CallTrack};

pin_project_lite::pin_project! {
    /// A future that records, when its inner future completes:
    /// * the **wall time** from its first poll to ready, as the duration;
    /// * its **busy time**, the time its `poll` calls took by the same fast
    ///   clock, kept on its call path (a flamegraph weighted by
    ///   [`Weight::Busy`](crate::export::Weight::Busy));
    /// * only when asked with [`with_cpu_time`](Timed::with_cpu_time) (or
    ///   `#[perftrack::measure(cpu_time)]`), the **CPU time** its `poll`
    ///   calls used: the polling thread's CPU clock
    ///   (`CLOCK_THREAD_CPUTIME_ID`) read around each poll and summed, on
    ///   whatever thread polls it. Off by default: that clock is a system
    ///   call on many machines (a microsecond or more on a VM), read twice a
    ///   poll, which would be most of what a short handler reports. A
    ///   blocking sleep inside `poll` is wall and busy time, not CPU time.
    ///   Where the OS has no thread CPU clock the record carries none;
    /// * with a [`CountingAlloc`](crate::os::CountingAlloc) installed, the
    ///   **bytes allocated** inside its `poll` calls as the memory, and the
    ///   number of allocations, on whatever thread polls it.
    ///
    /// Made by [`Operation::instrument`] or [`Tracker::instrument`]. A future
    /// dropped after its first poll and before it completes is a cancelled
    /// call (a client that hung up, a `select!` that took another branch):
    /// it makes **no record**, so the operation's figures hold completed
    /// calls only; it counts one in
    /// [`MetricsSummary::cancelled`](crate::MetricsSummary::cancelled) and
    /// adds its wall time, first poll to drop, to
    /// [`cancelled_duration`](crate::MetricsSummary::cancelled_duration), and
    /// its time stays on its call path. A future never polled is not a call,
    /// and records nothing.
    ///
    /// # In the call tree
    ///
    /// Its call nests under the scope that was innermost, in the task that
    /// polled it first, at its first poll: under the `async fn` that awaits
    /// it, or under the guard around a `block_on`. Scopes opened inside its
    /// polls (guards, `measure`, awaited `Timed` futures) nest under it. Its
    /// path's time is its wall time; the time it spent suspended between
    /// polls is kept beside it, so that a flamegraph weighted by
    /// [`Weight::Busy`](crate::export::Weight::Busy) shows only its time on a
    /// thread. A call that ends where its parent's scope is not open (the
    /// parent ended first, or the future moved to another thread) records
    /// flat and counts as untracked, so no parent's self time is ever wrong.
    ///
    /// It is a task boundary: scopes opened inside its polls nest only under
    /// scopes of the same future, never under a guard that another task on
    /// the same thread holds across an `.await`, and its own guards may stay
    /// open across its `.await`s while other tasks open and close theirs.
    ///
    /// ```
    /// use perftrack::Tracker;
    /// use core::future::Future;
    /// use core::pin::pin;
    /// use core::task::{Context, Poll, Waker};
    ///
    /// static T: Tracker<2, 8> = Tracker::new();
    /// let op = T.operation("fetch")?;
    /// let mut fut = pin!(op.instrument(async { 42 }));
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert_eq!(fut.as_mut().poll(&mut cx), Poll::Ready(42));
    /// // Wall time, and no CPU time unless asked for:
    /// assert_eq!((op.summary().count, op.summary().cpu_samples), (1, 0));
    /// let mut fut = pin!(op.instrument(async { 7 }).with_cpu_time());
    /// assert_eq!(fut.as_mut().poll(&mut cx), Poll::Ready(7));
    /// assert_eq!((op.summary().count, op.summary().cpu_samples), (2, 1));
    /// # Ok::<(), perftrack::TrackerError>(())
    /// ```
    #[must_use = "futures do nothing unless polled"]
    ///
    /// `O` is the operation handle, an [`Operation`]; it is a type parameter
    /// only because the pin projection cannot take const generics.
    pub struct Timed<F, O> {
        #[pin]
        inner: F,
        op: O,
        call: Call,
        // Records a cancelled call: set where `O`'s type is known, because
        // the drop below must be written for every `O`.
        cancel: fn(&O, &Call),
    }

    impl<F, O> PinnedDrop for Timed<F, O> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            // `first_poll` is taken when the call completes: still there, the
            // call was polled and never finished.
            if this.call.first_poll.is_some() {
                (this.cancel)(this.op, this.call);
                this.call.first_poll = None;
            }
        }
    }
}

/// What a timed call has gathered over its polls so far.
#[derive(Debug)]
pub(crate) struct Call {
    /// A `FastClock` reading at the first poll; taken when the call ends.
    first_poll: Option<u64>,
    /// The CPU time of its polls so far; `None` when it is not read (the
    /// default) or the thread CPU clock failed: no CPU time is recorded then.
    cpu: Option<Duration>,
    /// Whether its polls read the thread CPU clock ([`Timed::with_cpu_time`]).
    read_cpu: bool,
    /// Bytes and allocations counted inside `poll` calls (a `CountingAlloc`).
    alloc: (u64, u64),
    /// Its task number in the per-thread stacks (0 until the first poll).
    task: u64,
    /// Its place in the call tree (from the first poll).
    place: AsyncPlace,
    /// Its tracked children's time so far.
    children_ns: u64,
    /// The time its polls took: its time on a thread.
    busy_ns: u64,
    /// Its frame, when a poll left it open under its body's scopes.
    frame: Place,
    /// Its track on the timeline, when the timeline was on at its first poll.
    timeline: CallTrack,
}

impl Call {
    const NEW: Self = Self {
        first_poll: None,
        cpu: None,
        read_cpu: false,
        alloc: (0, 0),
        task: 0,
        place: AsyncPlace::NONE,
        children_ns: 0,
        busy_ns: 0,
        frame: Place::DETACHED,
        timeline: CallTrack::NEW,
    };

    /// Records the call, ended at the `FastClock` reading `now`: flat, and
    /// on its path (its idle time beside), or untracked when its parent's
    /// scope is gone.
    fn end<const RING: usize, const SHARDS: usize, const BUCKETS: usize>(
        &self,
        op: &Operation<'_, RING, SHARDS, BUCKETS>,
        cancelled: bool,
        now: u64,
    ) {
        let Some(first) = self.first_poll else { return };
        let wall = FastClock.to_duration(now.wrapping_sub(first));
        let ns = saturating_ns(wall);
        let children_ns = stack::close_kept(self.frame).unwrap_or(self.children_ns);
        let path = if stack::end_async(op.paths().id(), &self.place, ns) { self.place.path } else { None };
        if cancelled {
            // No record: the operation's figures hold completed calls only.
            // Its time stays on its call path, where it was spent, so its
            // parent's self time stays right.
            op.close_cancelled(ns, path, children_ns);
        } else {
            let (bytes, allocations) = self.alloc;
            let mut sample = Sample::new(wall, bytes).with_allocations(allocations);
            sample.cpu_time = self.cpu;
            op.close_scope(&sample, path, children_ns);
        }
        if let Some(p) = path {
            op.paths().record_idle(p, ns.saturating_sub(self.busy_ns));
        }
        if self.timeline.started()
            && let Some(pool) = timeline::on()
        {
            let key = track::key(op.paths().id(), op.index());
            self.timeline.end(pool, first, ns, key, self.busy_ns, cancelled);
        }
    }
}

impl<F: Future, const RING: usize, const SHARDS: usize, const BUCKETS: usize> Future
    for Timed<F, Operation<'_, RING, SHARDS, BUCKETS>>
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let call = this.call;
        let op = this.op;
        // The CPU reads nest inside the wall span, so CPU never exceeds wall.
        // Off by default: each is a system call on many machines.
        let polled = FastClock.ticks();
        if call.first_poll.is_none() {
            call.first_poll = Some(polled);
            call.task = paths::fresh_number();
            // In the polling task, before this call's own task is entered.
            call.place = stack::place_async(op.paths().id(), op.index(), |parent| op.path_under(parent));
            if timeline::recording() {
                call.timeline.start();
            }
        }
        let on_timeline = call.timeline.started();
        if on_timeline {
            call.timeline.enter();
        }
        let cpu_in = if call.read_cpu { os::try_thread_cpu_time().ok() } else { None };
        let mark = Mark::now();
        let out = {
            let _task = stack::enter_task(call.task);
            let frame = stack::resume(op.paths().id(), call.place.path, call.task, call.children_ns, call.frame);
            let out = this.inner.poll(cx);
            let (kept, children) = stack::suspend(frame);
            call.frame = kept;
            if let Some(children) = children {
                call.children_ns = children;
            }
            out
        };
        if let Some(mark) = mark {
            let (bytes, n) = mark.since();
            call.alloc = (call.alloc.0.saturating_add(bytes), call.alloc.1.saturating_add(n));
        }
        if call.read_cpu {
            let cpu_out = os::try_thread_cpu_time().ok();
            call.cpu = match (call.cpu, cpu_in, cpu_out) {
                (Some(sum), Some(a), Some(b)) => Some(sum.saturating_add(b.saturating_sub(a))),
                _ => None,
            };
        }
        if on_timeline {
            call.timeline.leave();
        }
        // One reading ends the poll's busy span and, on the last poll, the
        // call.
        let ended = FastClock.ticks();
        call.busy_ns = call.busy_ns.saturating_add(saturating_ns(FastClock.to_duration(ended.wrapping_sub(polled))));
        if out.is_ready() {
            call.end(op, false, ended);
            call.first_poll = None;
        }
        out
    }
}

impl<F, O> Timed<F, O> {
    /// Also reads the polling thread's CPU clock around each poll, and
    /// records the sum as the call's CPU time (off by default: see
    /// [`Timed`]). Call it before the first poll; a call already polled
    /// keeps what it had.
    #[must_use = "futures do nothing unless polled"]
    pub fn with_cpu_time(mut self) -> Self {
        if self.call.first_poll.is_none() {
            self.call.read_cpu = true;
            self.call.cpu = Some(Duration::ZERO);
        }
        self
    }
}

impl<'t, const RING: usize, const SHARDS: usize, const BUCKETS: usize> Operation<'t, RING, SHARDS, BUCKETS> {
    /// Wraps `fut` so that its wall and busy time are recorded when it
    /// completes, and its CPU time with [`Timed::with_cpu_time`] (see
    /// [`Timed`]).
    pub fn instrument<F: Future>(&self, fut: F) -> Timed<F, Self> {
        Timed { inner: fut, op: *self, call: Call::NEW, cancel: |op, call| call.end(op, true, FastClock.ticks()) }
    }
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>
    Tracker<OPS, RING, SHARDS, BUCKETS>
{
    /// Wraps `fut` so that its wall and busy time are recorded under `name`
    /// (and its CPU time with [`Timed::with_cpu_time`]).
    ///
    /// # Errors
    ///
    /// As [`Tracker::operation`].
    pub fn instrument<F: Future>(
        &self,
        name: impl AsRef<str>,
        fut: F,
    ) -> Result<Timed<F, Operation<'_, RING, SHARDS, BUCKETS>>, TrackerError> {
        Ok(self.operation(name)?.instrument(fut))
    }
}

pin_project_lite::pin_project! {
    /// What an `async fn` under `#[perftrack::measure]` awaits: its body as
    /// a [`Timed`] future when its operation resolved, or the bare body when
    /// the tracker refused it (the call then runs untimed). `Send` whenever
    /// the body is.
    #[doc(hidden)]
    #[must_use = "futures do nothing unless polled"]
    #[project = MaybeTimedProj]
    pub enum MaybeTimed<F, O> {
        /// Timed under its operation.
        Timed { #[pin] fut: Timed<F, O> },
        /// Untimed.
        Plain { #[pin] fut: F },
    }
}

impl<'t, F: Future, const RING: usize, const SHARDS: usize, const BUCKETS: usize>
    MaybeTimed<F, Operation<'t, RING, SHARDS, BUCKETS>>
{
    /// `fut`, timed under `op` when there is one.
    pub fn new(op: Option<Operation<'t, RING, SHARDS, BUCKETS>>, fut: F) -> Self {
        match op {
            Some(op) => Self::Timed { fut: op.instrument(fut) },
            None => Self::Plain { fut },
        }
    }

    /// `fut`, timed under `op` with its CPU time (`#[measure(cpu_time)]`).
    pub fn with_cpu_time(op: Option<Operation<'t, RING, SHARDS, BUCKETS>>, fut: F) -> Self {
        match op {
            Some(op) => Self::Timed { fut: op.instrument(fut).with_cpu_time() },
            None => Self::Plain { fut },
        }
    }
}

impl<F: Future, const RING: usize, const SHARDS: usize, const BUCKETS: usize> Future
    for MaybeTimed<F, Operation<'_, RING, SHARDS, BUCKETS>>
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        match self.project() {
            MaybeTimedProj::Timed { fut } => fut.poll(cx),
            MaybeTimedProj::Plain { fut } => fut.poll(cx),
        }
    }
}

/// `fut`, unchanged: ties an `async` block's output to `T`, so that `?` and
/// `return` in a `#[perftrack::measure]` body infer as in the `async fn`.
#[doc(hidden)]
pub fn output<T, F: Future<Output = T>>(fut: F) -> F {
    fut
}
