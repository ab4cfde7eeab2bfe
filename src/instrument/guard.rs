//! Scoped timing: a guard that records when it is dropped, also while a
//! panic unwinds, so the time already spent is never lost. Guards opened on
//! one thread nest: each finds its parent on the thread's scope stack
//! (`stack.rs`) and lands in the tracker's call-path table.

use core::marker::PhantomData;
use core::time::Duration;

use crate::clock::Clock;
use crate::error::TrackerError;
use crate::operation::{Operation, Recorder};
use crate::record::totals::Raw;
use crate::tracker::Tracker;

use crate::instrument::stack::{self, Place};
use crate::os::alloc::Mark;
use crate::os::clock::FastClock;
use crate::timeline;

/// Records the time from its creation to its drop into an operation, read
/// from the [`FastClock`], and into the tracker's call-path table under the
/// innermost guard of the same tracker still open on this thread.
///
/// Made by [`Tracker::time`], [`Operation::time`] and the `measure`
/// methods. Dropping it records; so does unwinding past it.
///
/// Its memory: with a [`CountingAlloc`](crate::os::CountingAlloc) installed, the
/// bytes this thread allocated while the guard was open, and the number of
/// allocations (inclusive: a nested guard's allocations count in its parent
/// too); without one, 0 and 0.
///
/// ```
/// use perftrack::PerformanceTracker;
///
/// let tracker = PerformanceTracker::new();
/// {
///     let _request = tracker.time("request")?;
///     let _parse = tracker.time("parse")?; // nested: the path request;parse
/// } // both recorded here, inner first
/// assert_eq!(tracker.summary("parse").unwrap().count, 1);
/// let mut folded = String::new();
/// tracker.write_folded(&mut folded)?;
/// assert!(folded.starts_with("request "));
/// assert!(folded.contains("\nrequest;parse "));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Nesting rules
///
/// * The parent is the innermost open guard **of the same tracker on the
///   same thread**; guards of other trackers in between are skipped.
/// * At most [`MAX_DEPTH`](crate::limits::MAX_DEPTH) guards are open on a thread
///   at once; those opened deeper record flat, and count as untracked
///   ([`Tracker::untracked_paths`]).
/// * A guard dropped before a guard opened inside it (moved to an outer
///   scope, say) closes that inner guard's frame too: the inner guard then
///   records flat and counts as untracked, and its time stays in its
///   parent's self time. No panic, and no path is ever wrong.
/// * It is not `Send`: a scope begins and ends on one thread. Time work
///   that moves between threads with a [`Timer`](crate::Timer) or
///   [`Timed`](crate::instrument::Timed).
#[must_use = "the guard records when dropped; binding it to `_` drops it at once"]
pub struct ScopeGuard<'t, const RING: usize, const SHARDS: usize, const BUCKETS: usize> {
    /// The operation's slot and paths (not its name: nothing to copy per call).
    op: Recorder<'t, RING, SHARDS, BUCKETS>,
    start: u64,
    place: Place,
    /// The thread's allocation counters at the start, with a `CountingAlloc`.
    alloc: Option<Mark>,
    /// Not `Send`: the frame is on this thread's stack.
    _thread: PhantomData<*const ()>,
}

impl<const RING: usize, const SHARDS: usize, const BUCKETS: usize> ScopeGuard<'_, RING, SHARDS, BUCKETS> {
    /// Time so far.
    #[must_use]
    pub fn elapsed(&self) -> Duration {
        FastClock.since(self.start)
    }

    /// Records now, and returns the time recorded.
    pub fn stop(self) -> Duration {
        let ns = self.close();
        // Recorded: the drop must not record again. The guard owns nothing to free.
        core::mem::forget(self);
        Duration::from_nanos(ns)
    }

    /// Pops the frame and records the flat and the path record. Returns
    /// the nanoseconds recorded (no `Duration` on the way: the record path
    /// takes nanoseconds).
    fn close(&self) -> u64 {
        let ns = FastClock.ns_since(self.start);
        let (mem, allocs) = self.alloc.map_or((0, 0), Mark::since);
        let closed = stack::close(self.place, ns);
        let raw = Raw { ns, mem, cpu_ns: None, ticks: None, allocs };
        self.op.close_raw(&raw, closed.map(|(path, _)| path), closed.map_or(0, |(_, children)| children));
        if timeline::recording() {
            timeline::scope(self.op.paths().id(), self.op.index(), self.start, ns);
        }
        ns
    }
}

impl<const RING: usize, const SHARDS: usize, const BUCKETS: usize> Drop for ScopeGuard<'_, RING, SHARDS, BUCKETS> {
    fn drop(&mut self) {
        self.close();
    }
}

impl<const RING: usize, const SHARDS: usize, const BUCKETS: usize> core::fmt::Debug
    for ScopeGuard<'_, RING, SHARDS, BUCKETS>
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ScopeGuard").field("elapsed", &self.elapsed()).finish_non_exhaustive()
    }
}

impl<'t, const RING: usize, const SHARDS: usize, const BUCKETS: usize> Recorder<'t, RING, SHARDS, BUCKETS> {
    /// Starts a [`ScopeGuard`]: what [`Operation::time`] and a call site do.
    #[inline]
    pub(crate) fn time(self) -> ScopeGuard<'t, RING, SHARDS, BUCKETS> {
        let place = stack::open(self.paths().id(), self.index(), |parent| self.path_under(parent));
        // The clock starts after the bookkeeping, which is its parent's time;
        // the allocation mark after the clock, whose first reading calibrates
        // it (and may allocate).
        let start = FastClock.ticks();
        let alloc = Mark::now();
        ScopeGuard { op: self, start, place, alloc, _thread: PhantomData }
    }
}

impl<'t, const RING: usize, const SHARDS: usize, const BUCKETS: usize> Operation<'t, RING, SHARDS, BUCKETS> {
    /// Starts a [`ScopeGuard`] on this operation: no name lookup.
    #[inline]
    pub fn time(&self) -> ScopeGuard<'t, RING, SHARDS, BUCKETS> {
        self.recorder().time()
    }

    /// Runs `f` and records how long it took, even if it panics.
    ///
    /// ```
    /// use perftrack::Tracker;
    ///
    /// static T: Tracker<2, 8> = Tracker::new();
    /// let op = T.operation("sum")?;
    /// let total: u64 = op.measure(|| (1..=100u64).sum());
    /// assert_eq!(total, 5050);
    /// assert_eq!(op.summary().count, 1);
    /// # Ok::<(), perftrack::TrackerError>(())
    /// ```
    pub fn measure<T>(&self, f: impl FnOnce() -> T) -> T {
        let _guard = self.time();
        f()
    }
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>
    Tracker<OPS, RING, SHARDS, BUCKETS>
{
    /// Starts a [`ScopeGuard`] that records into `name` when dropped.
    ///
    /// # Errors
    ///
    /// As [`Tracker::operation`].
    pub fn time(&self, name: impl AsRef<str>) -> Result<ScopeGuard<'_, RING, SHARDS, BUCKETS>, TrackerError> {
        Ok(self.operation(name)?.time())
    }

    /// Runs `f` and records how long it took under `name`, even if it panics.
    ///
    /// # Errors
    ///
    /// As [`Tracker::operation`]; `f` is not run then.
    pub fn measure<T>(&self, name: impl AsRef<str>, f: impl FnOnce() -> T) -> Result<T, TrackerError> {
        Ok(self.operation(name)?.measure(f))
    }
}
