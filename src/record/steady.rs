//! `Steady`: the durations a hold may record without touching the seldom
//! cells (`exclusive.rs`, "Seldom cells").
//!
//! While both versions hold the same extremes, CPU time and allocation count,
//! a record whose duration lies between those extremes, and that carries no
//! CPU time and no allocation count, changes none of them: its hold stores
//! only the sums. `Steady` keeps that range of durations as `[lo, lo + width)`,
//! so that the record path tests it with one subtraction and one compare, and
//! reads no seldom cell of either version. A width of 0 admits nothing: the
//! versions differ there (the last hold changed a seldom cell), or the range
//! is not known yet (a new shard), so the next hold copies them.
//!
//! Read and written only by the claim's holder (holders follow one another,
//! each hold's `Acquire` start seeing the previous hold's stores), so every
//! access is `Relaxed`. All zero when new, like the rest of a tracker.

use crate::sync::{AtomicU64, Ordering, const_fn};

pub(crate) struct Steady {
    lo: AtomicU64,
    width: AtomicU64,
}

impl Steady {
    const_fn! {
        pub(crate) const fn new() -> Self {
            Self { lo: AtomicU64::new(0), width: AtomicU64::new(0) }
        }
    }

    /// Whether a record of `ns` nanoseconds (with no CPU time and no
    /// allocation count) leaves both versions' seldom cells as they are.
    #[inline]
    pub(crate) fn admits(&self, ns: u64) -> bool {
        // Unsigned: below `lo` wraps to at least `2^64 - lo`, which no width
        // reaches (`open`).
        ns.wrapping_sub(self.lo.load(Ordering::Relaxed)) < self.width.load(Ordering::Relaxed)
    }

    /// The versions now differ in a seldom cell: the next hold copies them.
    #[inline]
    pub(crate) fn close(&self) {
        self.width.store(0, Ordering::Relaxed);
    }

    /// The versions agree, and their extremes are `min` and `max`. An empty
    /// range (`min > max`, no records) admits nothing, and so does the one
    /// full range, `[0, u64::MAX]`, whose width does not fit: its records
    /// take the slower, still exact, copy.
    #[inline]
    pub(crate) fn open(&self, min: u64, max: u64) {
        let width = if min <= max { (max - min).wrapping_add(1) } else { 0 };
        self.lo.store(min, Ordering::Relaxed);
        self.width.store(width, Ordering::Relaxed);
    }
}

#[cfg(all(test, not(perftrack_loom)))]
mod tests {
    use super::Steady;

    #[test]
    fn a_new_steady_range_admits_nothing() {
        let s = Steady::new();
        assert!(!s.admits(0));
        assert!(!s.admits(u64::MAX));
    }

    #[test]
    fn an_open_range_admits_exactly_its_durations() {
        let s = Steady::new();
        s.open(5, 9);
        let admitted: [bool; 12] = core::array::from_fn(|ns| s.admits(ns as u64));
        assert_eq!(admitted.map(u8::from), [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0], "5 to 9");
        assert!(!s.admits(u64::MAX));
        s.open(0, u64::MAX - 1);
        assert!(s.admits(0) && s.admits(u64::MAX - 1) && !s.admits(u64::MAX));
        s.open(7, 7);
        assert!(s.admits(7) && !s.admits(6) && !s.admits(8));
    }

    #[test]
    fn an_empty_full_or_closed_range_admits_nothing() {
        let s = Steady::new();
        s.open(u64::MAX, 0);
        assert!(!s.admits(0) && !s.admits(u64::MAX));
        s.open(0, u64::MAX);
        assert!(!s.admits(0) && !s.admits(1 << 40));
        s.open(5, 9);
        s.close();
        assert!(!s.admits(5) && !s.admits(7));
    }
}
