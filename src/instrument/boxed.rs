//! `Tracker::boxed`: a tracker on the heap that never passes through the
//! stack, for trackers too large for a thread's stack (a `PerformanceTracker`
//! is most of a megabyte).
#![allow(unsafe_code)]

use core::alloc::Layout;
use std::alloc::{alloc_zeroed, handle_alloc_error};
use std::boxed::Box;

use crate::tracker::Tracker;

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>
    Tracker<OPS, RING, SHARDS, BUCKETS>
{
    /// An empty tracker allocated zeroed on the heap: no stack copy at any
    /// size. The standard allocator zeroes an allocation aligned as a tracker
    /// is (its cache padding) by writing it, so every page of it is resident
    /// from the start; a [`HeapTracker`](crate::instrument::HeapTracker) (what a
    /// `PerformanceTracker` is with `std`) avoids that, and allocates at first
    /// use.
    ///
    /// Use a `static` or a `HeapTracker` where you can; use this where you
    /// want a `Box` (a tracker whose lifetime is not the program's).
    ///
    /// ```
    /// use perftrack::PerformanceTracker;
    /// use core::time::Duration;
    ///
    /// let tracker = PerformanceTracker::new();
    /// tracker.record("query", Duration::from_millis(2), 512)?;
    /// assert_eq!(tracker.summary("query").unwrap().count, 1);
    /// # Ok::<(), perftrack::TrackerError>(())
    /// ```
    #[must_use]
    pub fn boxed() -> Box<Self> {
        const {
            assert!(RING > 0, "perftrack: RING (recent-window length) must be at least 1");
            assert!(SHARDS > 0, "perftrack: SHARDS must be at least 1");
        }
        let layout = Layout::new::<Self>();
        if layout.size() == 0 {
            // `OPS == 0`: a zero-sized tracker. Not `Box::new(Self::new())`:
            // a debug build reserves the frame for that value at every size,
            // which is what this function exists to avoid.
            // SAFETY: for a zero-sized type a dangling, well-aligned pointer
            // is a valid `Box`, and a zero-sized value has no bytes to be
            // invalid.
            return unsafe { Box::from_raw(core::ptr::NonNull::<Self>::dangling().as_ptr()) };
        }
        // SAFETY: the layout has a non-zero size (checked above).
        let ptr = unsafe { alloc_zeroed(layout) }.cast::<Self>();
        if ptr.is_null() {
            handle_alloc_error(layout);
        }
        // SAFETY: `ptr` is a fresh, non-null allocation of `Self`'s layout by
        // the global allocator, as `Box` requires. Its bytes are all zero,
        // and a tracker is made only of atomic integers and atomic bools (in
        // structs and arrays, with padding), for which all-zero bytes are a
        // valid value; all-zero is also exactly the state `Tracker::new`
        // builds, since every cell of it starts at 0 or `false` (the minimum
        // is kept inverted for this reason, see `totals::Cells`). The test
        // below checks it through the public API, under miri too.
        unsafe { Box::from_raw(ptr) }
    }
}

#[cfg(test)]
mod tests {
    use core::time::Duration;

    use crate::tracker::Tracker;

    #[test]
    fn a_zero_sized_tracker_can_be_boxed() {
        let t = Tracker::<0, 1, 1>::boxed();
        assert_eq!(t.record("x", Duration::ZERO, 0), Err(crate::error::TrackerError::Full));
        assert!(t.is_empty());
    }

    #[test]
    fn a_boxed_tracker_behaves_like_a_new_one() {
        let b = Tracker::<3, 4, 2>::boxed();
        let n: Tracker<3, 4, 2> = Tracker::new();
        for t in [&*b, &n] {
            assert!(t.is_empty());
            t.record("a", Duration::from_nanos(7), 1).unwrap();
            t.record("a", Duration::from_nanos(3), 1).unwrap();
            let s = t.summary("a").unwrap();
            assert_eq!(
                (s.count, s.min_duration, s.max_duration),
                (2, Duration::from_nanos(3), Duration::from_nanos(7))
            );
            assert_eq!(t.recent("a").len(), 2);
        }
        assert_eq!(b.summary("a"), n.summary("a"));
    }
}
