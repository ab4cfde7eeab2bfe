//! `HeapTracker`: a tracker kept on the heap and allocated at first use. With
//! `std`, `PerformanceTracker` is one, so that the original design's
//! `let tracker = PerformanceTracker::new();` works as a local on any thread
//! as well as in a `static`; so is the process-wide [`global`] tracker.
//!
//! The tracker itself is a [`DefaultTracker`], 2.1 MiB: more than a test
//! thread's 2 MiB stack. `new` is `const` and holds only a pointer; the first
//! use allocates the tracker zeroed, and every later use is one load. The
//! pointer is an `AtomicPtr` set once by a CAS, never a `OnceLock`: a child
//! forked while another thread was allocating must not wait for that thread,
//! and here it cannot: it allocates its own.
//!
//! # Untouched pages
//!
//! A tracker is aligned to its cache padding (128 bytes on x86_64), and the
//! standard allocator zeroes an allocation that is aligned more than 16 bytes
//! by writing every byte, which makes every page resident at once. So the
//! tracker is allocated with 8-byte alignment, `align - 1` bytes larger, where
//! the allocator can hand out pages the OS has zeroed (`calloc`), and placed
//! at the first aligned address inside. Its pages then become resident only
//! as records touch them.
#![allow(unsafe_code)]

use core::alloc::Layout;
use core::fmt;
use core::ops::Deref;
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};
use std::alloc::{alloc_zeroed, dealloc, handle_alloc_error};
use std::collections::HashMap;
use std::string::String;

use crate::histogram::buckets::DEFAULT_BUCKETS;
use crate::summary::MetricsSummary;
use crate::tracker::{DEFAULT_OPS, DEFAULT_RING, THREAD_SHARDS, Tracker};

/// The tracker at the default capacity, as the original design named it:
/// [`DEFAULT_OPS`] operations, [`DEFAULT_RING`] recent records,
/// [`THREAD_SHARDS`] shards (one owned by each recording thread, for up
/// to 8). It dereferences to its `Tracker<32, 64, 8>`, so every [`Tracker`]
/// method works on it. It exists only with `std`: turning `std` on adds
/// this name and changes no other type.
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
pub type PerformanceTracker = HeapTracker<DEFAULT_OPS, DEFAULT_RING, THREAD_SHARDS>;

/// A [`Tracker`] kept on the heap: `new` is `const` and costs a pointer, and
/// the first use allocates the tracker zeroed ([`Tracker::boxed`]), so its
/// untouched pages cost no memory. It dereferences to the tracker, and frees
/// it when dropped. [`PerformanceTracker`] and the [`global`] tracker are
/// two of them.
pub struct HeapTracker<
    const OPS: usize,
    const RING: usize,
    const SHARDS: usize = THREAD_SHARDS,
    const BUCKETS: usize = DEFAULT_BUCKETS,
> {
    /// Null until the first use, then the allocation that holds the tracker
    /// (at its first aligned address), owned by this value.
    block: AtomicPtr<u8>,
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>
    HeapTracker<OPS, RING, SHARDS, BUCKETS>
{
    /// How many distinct operation names it can hold (`OPS`).
    pub const CAPACITY: usize = OPS;

    /// The heap bytes its tracker takes ([`Tracker::FOOTPRINT`]); the handle
    /// itself is one pointer.
    pub const FOOTPRINT: usize = Tracker::<OPS, RING, SHARDS, BUCKETS>::FOOTPRINT;

    /// How many distinct call paths it can hold.
    pub const PATH_CAPACITY: usize = Tracker::<OPS, RING, SHARDS, BUCKETS>::PATH_CAPACITY;

    /// An empty tracker. `const`: it allocates nothing until first used.
    #[must_use]
    pub const fn new() -> Self {
        Self { block: AtomicPtr::new(ptr::null_mut()) }
    }

    /// The allocation a tracker is placed in: 8-byte aligned, so that the
    /// allocator may hand out pages the OS zeroed, and large enough to hold
    /// the tracker at its first properly aligned address.
    fn block_layout() -> Layout {
        let t = Layout::new::<Tracker<OPS, RING, SHARDS, BUCKETS>>();
        // A tracker is at most a few hundred MiB, far from overflowing.
        Layout::from_size_align(t.size().max(1) + t.align() - 1, 8).unwrap_or(t)
    }

    /// The tracker's place in `block`: its first address aligned for it.
    fn place(block: *mut u8) -> *mut Tracker<OPS, RING, SHARDS, BUCKETS> {
        let align = core::mem::align_of::<Tracker<OPS, RING, SHARDS, BUCKETS>>();
        let offset = (align - block.addr() % align) % align;
        block.wrapping_add(offset).cast()
    }

    /// The tracker, allocated if this is the first use.
    fn tracker(&self) -> &Tracker<OPS, RING, SHARDS, BUCKETS> {
        // Acquire: pairs with the Release of the CAS below, so the zeroed
        // block another thread allocated is seen whole.
        let mut block = self.block.load(Ordering::Acquire);
        if block.is_null() {
            block = self.allocate();
        }
        // SAFETY: `block` is non-null, so `allocate` published it (the only
        // store): a zeroed allocation of `block_layout`, which holds a whole
        // tracker at `place(block)`, aligned for it. All-zero bytes are a
        // valid tracker, the state `Tracker::new` builds (every cell is an
        // atomic integer or bool that starts at 0; see `Tracker::boxed`,
        // whose test checks it through the public API, under miri too). The
        // block is freed only in `drop`, which takes `&mut self`, so no
        // reference returned here outlives it; the tracker is only read
        // through shared references (its cells are atomics).
        unsafe { &*Self::place(block) }
    }

    /// Allocates the block and publishes it, or takes the one another thread
    /// published first (and frees its own).
    #[cold]
    fn allocate(&self) -> *mut u8 {
        let layout = Self::block_layout();
        // SAFETY: the layout's size is at least 1.
        let mine = unsafe { alloc_zeroed(layout) };
        if mine.is_null() {
            handle_alloc_error(layout);
        }
        // Release: publishes the zeroed block (see `tracker`); Acquire on
        // failure: the winner's, likewise.
        match self.block.compare_exchange(ptr::null_mut(), mine, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => mine,
            Err(theirs) => {
                // SAFETY: `mine` came from `alloc_zeroed` with `layout` just
                // above and was never published.
                unsafe { dealloc(mine, layout) };
                theirs
            }
        }
    }
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize> Deref
    for HeapTracker<OPS, RING, SHARDS, BUCKETS>
{
    type Target = Tracker<OPS, RING, SHARDS, BUCKETS>;

    fn deref(&self) -> &Tracker<OPS, RING, SHARDS, BUCKETS> {
        self.tracker()
    }
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize> Drop
    for HeapTracker<OPS, RING, SHARDS, BUCKETS>
{
    fn drop(&mut self) {
        let block = *self.block.get_mut();
        if !block.is_null() {
            // SAFETY: non-null means `allocate` published a block it got from
            // `alloc_zeroed` with `block_layout`, owned by this value alone;
            // `&mut self` means no reference from `tracker` is alive. A
            // tracker has no destructor of its own to run (only atomics).
            unsafe { dealloc(block, Self::block_layout()) };
        }
    }
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize> Default
    for HeapTracker<OPS, RING, SHARDS, BUCKETS>
{
    fn default() -> Self {
        Self::new()
    }
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize> fmt::Debug
    for HeapTracker<OPS, RING, SHARDS, BUCKETS>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.block.load(Ordering::Acquire).is_null() {
            f.write_str("HeapTracker(not yet used)")
        } else {
            fmt::Debug::fmt(self.tracker(), f)
        }
    }
}

/// How many operations the [`global`] tracker holds: a profiled program has
/// more functions than a hot loop has operations.
pub const GLOBAL_OPS: usize = 256;

/// The [`global`] tracker's type.
pub type GlobalTracker = Tracker<GLOBAL_OPS, DEFAULT_RING, THREAD_SHARDS>;

/// The process-wide tracker: [`GLOBAL_OPS`] operations, the default target
/// of the instrumentation that names no tracker of its own.
///
/// Its tracker is allocated zeroed on the heap at first use, so its resident
/// memory grows with the operations actually used, not with its capacity
/// (`docs/GUIDE.md` gives the measured figures). A full tracker refuses new
/// names with [`TrackerError::Full`](crate::TrackerError::Full); it never
/// panics.
///
/// ```
/// use core::time::Duration;
///
/// perftrack::global().record("startup", Duration::from_millis(3), 0)?;
/// assert_eq!(perftrack::global().summary("startup").unwrap().count, 1);
/// # Ok::<(), perftrack::TrackerError>(())
/// ```
#[must_use]
pub fn global() -> &'static GlobalTracker {
    static GLOBAL: HeapTracker<GLOBAL_OPS, DEFAULT_RING, THREAD_SHARDS> = HeapTracker::new();
    &GLOBAL
}

// The original design's conveniences on every tracker.

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>
    Tracker<OPS, RING, SHARDS, BUCKETS>
{
    /// Every operation's summary, by name (a labelled series by its name and
    /// labels, `requests{route="/a"}`): kept for the original design's
    /// users. It allocates the map; [`summaries`](Tracker::summaries) is the
    /// primary API and does not.
    ///
    /// ```
    /// use perftrack::PerformanceTracker;
    /// use std::time::Duration;
    ///
    /// let tracker = PerformanceTracker::new();
    /// tracker.record("a", Duration::from_millis(1), 0).unwrap();
    /// let map = tracker.get_summary();
    /// assert_eq!(map["a"].count, 1);
    /// ```
    #[must_use]
    pub fn get_summary(&self) -> HashMap<String, MetricsSummary<BUCKETS>> {
        self.summaries().map(|s| (std::format!("{}{}", s.name, s.labels), s)).collect()
    }

    /// Prints the report table (`=== Performance Report ===`, then one aligned
    /// row per operation) to stdout: kept for the original design's users;
    /// [`report`](Tracker::report) is the primary API and writes anywhere.
    pub fn print_report(&self) {
        std::print!("{}", self.report());
    }
}

#[cfg(test)]
mod tests {
    use super::HeapTracker;
    use core::time::Duration;

    /// A small heap tracker: the allocation code is the same for every size
    /// (`PerformanceTracker` is one), and miri checks every byte of it.
    type Small = HeapTracker<4, 4, 2>;

    #[test]
    fn a_local_allocates_on_first_use_and_frees_on_drop() {
        let t = Small::new();
        assert!(std::format!("{t:?}").contains("not yet used"));
        assert!(core::mem::size_of_val(&t) <= 16);
        t.record("x", Duration::from_nanos(5), 1).unwrap();
        assert_eq!(t.summary("x").unwrap().count, 1);
        assert!(std::format!("{t:?}").contains("ops: 1"));
        drop(t);
    }

    #[test]
    fn threads_racing_to_the_first_use_share_one_tracker() {
        let t = Small::new();
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| t.record("x", Duration::from_nanos(1), 0).unwrap());
            }
        });
        assert_eq!(t.summary("x").unwrap().count, 4);
    }
}
