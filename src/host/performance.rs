//! `PerformanceTracker` with `std`: the default tracker, kept on the heap and
//! allocated at first use, so that the original design's
//! `let tracker = PerformanceTracker::new();` works as a local on any thread
//! as well as in a `static`.
//!
//! The tracker itself is a [`DefaultTracker`], 2.1 MiB: more than a test
//! thread's 2 MiB stack. `new` is `const` and holds only a pointer; the first
//! use allocates the tracker zeroed ([`Tracker::boxed`]), so untouched pages
//! cost no memory, and every later use is one load. The pointer is an
//! `AtomicPtr` set once by a CAS, never a `OnceLock`: a child forked while
//! another thread was allocating must not wait for that thread, and here it
//! cannot: it allocates its own.
#![allow(unsafe_code)]

use core::fmt;
use core::ops::Deref;
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};
use std::boxed::Box;

use crate::tracker::DefaultTracker;
#[cfg(doc)]
use crate::tracker::{DEFAULT_OPS, DEFAULT_RING, DEFAULT_SHARDS, Tracker};

/// The tracker at the default capacity, as the original design named it:
/// [`DEFAULT_OPS`] operations, [`DEFAULT_RING`] recent records,
/// [`DEFAULT_SHARDS`] shards. It dereferences to a [`DefaultTracker`], so
/// every [`Tracker`] method works on it.
///
/// `new` is `const` and costs a pointer: the 2.1 MiB tracker is allocated on
/// the heap at first use, zeroed, so its untouched pages cost no memory. So it
/// works both as a `static` (the usual home) and as a local on a thread with
/// a small stack; a local frees its tracker when dropped. The first use
/// allocates once; recording, snapshots and reports never do.
///
/// ```
/// use perftrack::PerformanceTracker;
/// use std::time::Duration;
///
/// // A local, as the original design wrote it: fine on a 2 MiB test thread.
/// let tracker = PerformanceTracker::new();
/// tracker.record("database_query", Duration::from_millis(45), 2048)?;
/// tracker.record("database_query", Duration::from_millis(55), 4096)?;
/// let summary = tracker.summary("database_query").unwrap();
/// assert_eq!(summary.count, 2);
/// assert_eq!(summary.avg_duration, Duration::from_millis(50));
///
/// // A static: the same type.
/// static TRACKER: PerformanceTracker = PerformanceTracker::new();
/// TRACKER.record("startup", Duration::from_millis(3), 0)?;
/// # Ok::<(), perftrack::TrackerError>(())
/// ```
pub struct PerformanceTracker {
    /// Null until the first use, then the tracker, owned by this value.
    tracker: AtomicPtr<DefaultTracker>,
}

impl PerformanceTracker {
    /// How many distinct operation names it can hold ([`DEFAULT_OPS`]).
    pub const CAPACITY: usize = DefaultTracker::CAPACITY;

    /// The heap bytes its tracker takes ([`Tracker::FOOTPRINT`] of a
    /// [`DefaultTracker`]); the `PerformanceTracker` itself is one pointer.
    pub const FOOTPRINT: usize = DefaultTracker::FOOTPRINT;

    /// How many distinct call paths it can hold.
    pub const PATH_CAPACITY: usize = DefaultTracker::PATH_CAPACITY;

    /// An empty tracker. `const`: it allocates nothing until first used.
    #[must_use]
    pub const fn new() -> Self {
        Self { tracker: AtomicPtr::new(ptr::null_mut()) }
    }

    /// A [`DefaultTracker`] of its own on the heap, kept for the code that
    /// used it before `new` moved to the heap; `new` is the same, allocated
    /// lazily.
    #[must_use]
    pub fn boxed() -> Box<DefaultTracker> {
        DefaultTracker::boxed()
    }

    /// The tracker, allocated if this is the first use.
    fn tracker(&self) -> &DefaultTracker {
        // Acquire: pairs with the Release of the CAS below, so the zeroed
        // tracker another thread allocated is seen whole.
        let mut p = self.tracker.load(Ordering::Acquire);
        if p.is_null() {
            p = self.allocate();
        }
        // SAFETY: `p` is non-null, so it came from `Box::into_raw` in
        // `allocate` (the only store), and the box is freed only in `drop`,
        // which takes `&mut self`: no `&self` borrow, and so no reference
        // returned here, outlives it. The tracker is only ever read through
        // shared references (its cells are atomics).
        unsafe { &*p }
    }

    /// Allocates the tracker and publishes it, or takes the one another
    /// thread published first (and frees its own).
    #[cold]
    fn allocate(&self) -> *mut DefaultTracker {
        let mine = Box::into_raw(DefaultTracker::boxed());
        // Release: publishes the zeroed tracker (see `tracker`); Acquire on
        // failure: the winner's, likewise.
        match self.tracker.compare_exchange(ptr::null_mut(), mine, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => mine,
            Err(theirs) => {
                // SAFETY: `mine` came from `Box::into_raw` just above and was
                // never published, so this is its only owner.
                drop(unsafe { Box::from_raw(mine) });
                theirs
            }
        }
    }
}

impl Deref for PerformanceTracker {
    type Target = DefaultTracker;

    fn deref(&self) -> &DefaultTracker {
        self.tracker()
    }
}

impl Drop for PerformanceTracker {
    fn drop(&mut self) {
        let p = *self.tracker.get_mut();
        if !p.is_null() {
            // SAFETY: non-null means `allocate` published a `Box::into_raw`
            // pointer, owned by this value alone; `&mut self` means no
            // reference from `tracker` is alive.
            drop(unsafe { Box::from_raw(p) });
        }
    }
}

impl Default for PerformanceTracker {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for PerformanceTracker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.tracker.load(Ordering::Acquire);
        if p.is_null() { f.write_str("PerformanceTracker(not yet used)") } else { fmt::Debug::fmt(self.tracker(), f) }
    }
}

#[cfg(test)]
mod tests {
    use super::PerformanceTracker;
    use core::time::Duration;

    #[test]
    fn a_local_allocates_on_first_use_and_frees_on_drop() {
        let t = PerformanceTracker::new();
        assert!(std::format!("{t:?}").contains("not yet used"));
        t.record("x", Duration::from_nanos(5), 1).unwrap();
        assert_eq!(t.summary("x").unwrap().count, 1);
        assert!(std::format!("{t:?}").contains("ops: 1"));
        drop(t);
    }

    #[test]
    fn threads_racing_to_the_first_use_share_one_tracker() {
        let t = PerformanceTracker::new();
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| t.record("x", Duration::from_nanos(1), 0).unwrap());
            }
        });
        assert_eq!(t.summary("x").unwrap().count, 4);
    }
}
