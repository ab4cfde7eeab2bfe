//! `Counter`: a monotonic count, sharded like records.

use core::fmt;

use crate::metric::Values;
use crate::platform::{shard_of, thread_hint};
use crate::sync::Ordering;

/// A monotonic counter, resolved once by
/// [`Tracker::counter`](crate::Tracker::counter): `Copy`, `Send` and `Sync`.
///
/// `increment` adds to the cell of the calling thread's shard, a cache line
/// no other shard's thread writes, so threads add in parallel as into
/// per-thread counters: one compare-and-swap, retried only when another
/// thread on the same shard added in between (lock-free). `get` sums the
/// cells. The `metrics` crate's vocabulary: `increment`, `absolute`, `get`.
///
/// A counter **saturates** at `u64::MAX`, as records do (I5): each cell and
/// the sum stop there, so a counter never reads below an earlier reading,
/// whatever is added.
///
/// ```
/// use perftrack::Tracker;
///
/// static T: Tracker<4, 8> = Tracker::new();
/// let sent = T.counter("bytes_sent")?;
/// std::thread::scope(|s| {
///     for _ in 0..4 {
///         s.spawn(|| for _ in 0..1000 { sent.increment(512) });
///     }
/// });
/// assert_eq!(sent.get(), 4 * 1000 * 512);
/// let mut text = String::new();
/// T.write_openmetrics(&mut text).unwrap();
/// assert!(text.contains("# TYPE bytes_sent counter\n"));
/// assert!(text.contains("\nbytes_sent_total 2048000\n"));
/// # Ok::<(), perftrack::TrackerError>(())
/// ```
#[derive(Clone, Copy)]
pub struct Counter<'t, const SHARDS: usize> {
    values: &'t Values<SHARDS>,
}

impl<'t, const SHARDS: usize> Counter<'t, SHARDS> {
    pub(crate) fn over(values: &'t Values<SHARDS>) -> Self {
        Self { values }
    }

    /// Adds `n`, saturating at `u64::MAX`: a counter never wraps to a
    /// smaller value.
    #[inline]
    pub fn increment(&self, n: u64) {
        // Never a division by zero: `Tracker::new` rejects `SHARDS == 0`.
        let (shard, _) = shard_of(thread_hint(), SHARDS);
        if let Some(cell) = self.values.cells.get(shard) {
            // A compare-and-swap loop rather than `fetch_add`, which would
            // wrap past `u64::MAX` and read as a small count. Relaxed: a
            // count; readers sum the cells and need no order with anything
            // else.
            let _ = cell.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| Some(old.saturating_add(n)));
        }
    }

    /// Raises the counter to `value` if it is below it, as the `metrics`
    /// crate's `absolute` does: for a count kept elsewhere (a kernel's, a
    /// library's). The counter reads as the larger of this floor and the
    /// sum of its increments; use one or the other for one counter.
    pub fn absolute(&self, value: u64) {
        // Relaxed: as in `increment`.
        self.values.word.fetch_max(value, Ordering::Relaxed);
    }

    /// The count: the sum of the shards' cells (or the `absolute` floor,
    /// where that is larger), saturating at `u64::MAX`. Never below an
    /// earlier `get` of the same counter: every cell only grows, and so
    /// does their saturating sum.
    #[must_use]
    pub fn get(&self) -> u64 {
        let sum = self.values.cells.iter().fold(0u64, |a, c| a.saturating_add(c.load(Ordering::Relaxed)));
        sum.max(self.values.word.load(Ordering::Relaxed))
    }
}

impl<const SHARDS: usize> fmt::Debug for Counter<'_, SHARDS> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Counter").field("value", &self.get()).finish()
    }
}
