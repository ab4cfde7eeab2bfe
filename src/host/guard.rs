//! Scoped timing: a guard that records when it is dropped, also while a
//! panic unwinds, so the time already spent is never lost.

use crate::error::TrackerError;
use crate::operation::Operation;
use crate::span::Span;
use crate::tracker::Tracker;

use super::clock::FastClock;

/// Records the time from its creation to its drop into an operation, read
/// from the [`FastClock`]: a [`Span`] on the std layer's clock.
///
/// Made by [`Tracker::time`] or [`Operation::time`]. Dropping it records;
/// so does unwinding past it.
///
/// ```
/// use perftrack::PerformanceTracker;
///
/// let tracker = PerformanceTracker::boxed();
/// {
///     let _g = tracker.time("section")?;
///     // ... work ...
/// } // recorded here
/// assert_eq!(tracker.summary("section").unwrap().count, 1);
/// # Ok::<(), perftrack::TrackerError>(())
/// ```
pub type ScopeGuard<'t, const RING: usize, const SHARDS: usize, const BUCKETS: usize> =
    Span<'t, 'static, FastClock, RING, SHARDS, BUCKETS>;

/// The clock every `ScopeGuard` reads.
static FAST: FastClock = FastClock;

impl<'t, const RING: usize, const SHARDS: usize, const BUCKETS: usize> Operation<'t, RING, SHARDS, BUCKETS> {
    /// Starts a [`ScopeGuard`] on this operation: no name lookup.
    pub fn time(&self) -> ScopeGuard<'t, RING, SHARDS, BUCKETS> {
        self.span(&FAST)
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
