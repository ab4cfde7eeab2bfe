//! `Timed`: wall and busy time of a future.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use core::time::Duration;

use crate::clock::Clock;
use crate::error::TrackerError;
use crate::operation::Operation;
use crate::paths::{self, stack};
use crate::summary::Sample;
use crate::tracker::Tracker;

use super::alloc::Mark;
use super::clock::FastClock;
use super::os;

pin_project_lite::pin_project! {
    /// A future that records, when its inner future completes:
    /// * the **wall time** from its first poll to ready, as the duration;
    /// * the **CPU time** its `poll` calls used: the polling thread's CPU
    ///   clock (`CLOCK_THREAD_CPUTIME_ID`) read around each poll and summed,
    ///   on whatever thread polls it. A blocking sleep inside `poll` is wall
    ///   time, not CPU time. Where the OS has no thread CPU clock the record
    ///   carries no CPU time;
    /// * with a [`CountingAlloc`](crate::CountingAlloc) installed, the
    ///   **bytes allocated** inside its `poll` calls as the memory, and the
    ///   number of allocations, on whatever thread polls it.
    ///
    /// Made by [`Operation::instrument`] or [`Tracker::instrument`]. A future
    /// dropped after its first poll and before it completes is a cancelled
    /// call (a client that hung up, a `select!` that took another branch):
    /// it records the wall time from its first poll to the drop, with the
    /// CPU time and allocations of the polls it had, and counts one in
    /// [`MetricsSummary::cancelled`](crate::MetricsSummary::cancelled). A
    /// future never polled is not a call, and records nothing. Its record is
    /// flat: a future moves between threads and polls, so it takes no call
    /// path.
    ///
    /// It is a task boundary for the call tree: scopes (guards, `measure`,
    /// `Timer` leaves) opened inside its polls nest only under scopes of the
    /// same future, never under a guard that another task on the same thread
    /// holds across an `.await`, and its own guards may stay open across its
    /// `.await`s while other tasks open and close theirs.
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
    /// let s = op.summary();
    /// assert_eq!((s.count, s.cpu_samples), (1, 1));
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
        // A `FastClock` reading at the first poll.
        first_poll: Option<u64>,
        // `None` once the thread CPU clock failed: no CPU time is recorded then.
        cpu: Option<Duration>,
        // Bytes and allocations counted inside `poll` calls (a `CountingAlloc`).
        alloc: (u64, u64),
        // Its task number in the per-thread stacks (0 until the first poll).
        task: u64,
        // Records a cancelled call: set where `O`'s type is known, because
        // the drop below must be written for every `O`.
        cancel: fn(&O, &Sample),
    }

    impl<F, O> PinnedDrop for Timed<F, O> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            // `first_poll` is taken when the call completes: still there, the
            // call was polled and never finished.
            if let Some(first) = this.first_poll.take() {
                (this.cancel)(this.op, &sample(FastClock.since(first), *this.alloc, *this.cpu));
            }
        }
    }
}

/// A record of a timed call: its wall time, and the allocations and CPU
/// time its polls counted.
fn sample(wall: Duration, (bytes, allocations): (u64, u64), cpu: Option<Duration>) -> Sample {
    let mut sample = Sample::new(wall, bytes).with_allocations(allocations);
    sample.cpu_time = cpu;
    sample
}

impl<F: Future, const RING: usize, const SHARDS: usize, const BUCKETS: usize> Future
    for Timed<F, Operation<'_, RING, SHARDS, BUCKETS>>
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        // The CPU reads nest inside the wall span, so CPU never exceeds wall.
        let first = *this.first_poll.get_or_insert_with(|| FastClock.ticks());
        let cpu_in = os::try_thread_cpu_time().ok();
        let mark = Mark::now();
        if *this.task == 0 {
            *this.task = paths::fresh_number();
        }
        let out = {
            let _task = stack::enter_task(*this.task);
            this.inner.poll(cx)
        };
        if let Some(mark) = mark {
            let (bytes, n) = mark.since();
            *this.alloc = (this.alloc.0.saturating_add(bytes), this.alloc.1.saturating_add(n));
        }
        let cpu_out = os::try_thread_cpu_time().ok();
        *this.cpu = match (*this.cpu, cpu_in, cpu_out) {
            (Some(sum), Some(a), Some(b)) => Some(sum.saturating_add(b.saturating_sub(a))),
            _ => None,
        };
        if out.is_ready() {
            *this.first_poll = None;
            this.op.record_sample(&sample(FastClock.since(first), *this.alloc, *this.cpu));
        }
        out
    }
}

impl<'t, const RING: usize, const SHARDS: usize, const BUCKETS: usize> Operation<'t, RING, SHARDS, BUCKETS> {
    /// Wraps `fut` so that its wall and CPU time are recorded when it
    /// completes (see [`Timed`]).
    pub fn instrument<F: Future>(&self, fut: F) -> Timed<F, Self> {
        Timed {
            inner: fut,
            op: *self,
            first_poll: None,
            cpu: Some(Duration::ZERO),
            alloc: (0, 0),
            task: 0,
            cancel: |op, sample| {
                op.record_sample(sample);
                op.note_cancelled();
            },
        }
    }
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>
    Tracker<OPS, RING, SHARDS, BUCKETS>
{
    /// Wraps `fut` so that its wall and CPU time are recorded under `name`.
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
