//! `CountingAlloc`: a global allocator that counts, per thread, the bytes
//! and allocations it serves, so that guards and timers can put exact heap
//! figures on each operation.
//!
//! # Where the counts live
//!
//! Each thread claims a slot of a fixed table, once, with one CAS at its
//! first counted event, and keeps its four counters there: atomics that only
//! it writes, with a plain load and store (no read-modify-write), and that
//! anyone may read for the process-wide figures. The thread finds its slot
//! through a `const` thread-local `Cell`: no destructor, so no registration
//! at first use (which on glibc would itself allocate), and no lazy
//! initialisation, so reaching it never allocates or panics, during thread
//! start, TLS teardown or in a forked child.
//!
//! A slot is never given back (a thread's exit cannot be seen without a TLS
//! destructor), so an exited thread's counts stay in the process totals, as
//! they should. Threads beyond the table's [`SLOTS`] keep their own counts in
//! thread-local `Cell`s and add into one shared overflow slot with atomic
//! adds: still exact, but that one line is shared.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::Cell;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::alloc::System;

/// How many threads get a slot of their own in the process-wide table.
pub const SLOTS: usize = 256;

/// A [`GlobalAlloc`] that forwards to `A` ([`System`] by default) and counts
/// what it serves on each thread: bytes allocated and freed, allocations and
/// deallocations.
///
/// Install it in the final binary:
///
/// ```
/// #[global_allocator]
/// static ALLOC: perftrack::os::CountingAlloc = perftrack::os::CountingAlloc::system();
///
/// let before = perftrack::os::AllocStats::thread();
/// let v: Vec<u8> = Vec::with_capacity(1000);
/// let after = perftrack::os::AllocStats::thread();
/// assert_eq!(after.bytes_allocated - before.bytes_allocated, 1000);
/// assert_eq!(after.allocations - before.allocations, 1);
/// # drop(v);
/// ```
///
/// Once it is installed, guards (`Tracker::time`, `Operation::time`), the
/// `measure` methods, `Timer::with_memory` and `Timed` futures record the
/// **bytes allocated** during their span as the record's memory, and the
/// **number of allocations** as its allocation count
/// ([`MetricsSummary::total_allocations`](crate::MetricsSummary::total_allocations)).
/// Spans nest inclusively: a child's allocations count in its parent too.
///
/// What each call counts:
/// * `alloc`, `alloc_zeroed`: one allocation of `layout.size()` bytes;
/// * `dealloc`: one deallocation of `layout.size()` bytes;
/// * `realloc`: one deallocation of the old size **and** one allocation of
///   the new size (a growing `Vec` allocates its new capacity, whether or not
///   the block moved).
///
/// A call is counted before it is handed to `A`, so that the hand-over is a
/// tail call (counting after it returned cost more than the counting); a
/// call that fails (returns null) is therefore counted as if it succeeded.
/// Rust's collections abort the process on such a failure
/// (`handle_alloc_error`); only `try_reserve`-style callers that survive one
/// see it in the counts.
///
/// The counters are the calling thread's, so memory freed on another
/// thread than the one that allocated it counts as freed there.
///
/// It never allocates and never panics, and its allocation path does no
/// shared atomic read-modify-write (but one CAS per thread, at its first
/// counted event, to claim a slot for the process-wide figures).
#[derive(Debug, Default, Clone, Copy)]
pub struct CountingAlloc<A = System> {
    inner: A,
}

impl CountingAlloc<System> {
    /// Counting over the system allocator: `const`, for a `static`.
    #[must_use]
    pub const fn system() -> Self {
        Self { inner: System }
    }
}

impl<A> CountingAlloc<A> {
    /// Counting over `inner`.
    #[must_use]
    pub const fn new(inner: A) -> Self {
        Self { inner }
    }

    /// The allocator it forwards to.
    pub const fn inner(&self) -> &A {
        &self.inner
    }
}

// SAFETY: every method forwards to `A` with the caller's arguments and
// returns `A`'s answer unchanged, so `A`'s guarantees are ours; the counting
// before it touches only this thread's slot, thread-local `Cell`s and
// atomics, and never allocates or unwinds.
unsafe impl<A: GlobalAlloc> GlobalAlloc for CountingAlloc<A> {
    // Each method counts first and then hands over to `A` as its last act,
    // a tail call: counting after `A` returned would keep a stack frame
    // alive across the call, which cost more than the counting itself.
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(Some(layout.size()), None);
        // SAFETY: the caller upholds `alloc`'s contract, which we pass on.
        unsafe { self.inner.alloc(layout) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(Some(layout.size()), None);
        // SAFETY: as for `alloc`.
        unsafe { self.inner.alloc_zeroed(layout) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(None, Some(layout.size()));
        // SAFETY: the caller upholds `dealloc`'s contract: `ptr` came from
        // this allocator (so from `A`) with `layout`.
        unsafe { self.inner.dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(Some(new_size), Some(layout.size()));
        // SAFETY: the caller upholds `realloc`'s contract, which we pass on.
        unsafe { self.inner.realloc(ptr, layout, new_size) }
    }
}

/// Heap figures counted by [`CountingAlloc`]: one thread's
/// ([`thread`](Self::thread)) or the process's ([`process`](Self::process)).
/// All zero when no `CountingAlloc` is installed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct AllocStats {
    /// Bytes allocated (`realloc` counts its new size).
    pub bytes_allocated: u64,
    /// Bytes freed (`realloc` counts its old size).
    pub bytes_freed: u64,
    /// Allocations (`alloc`, `alloc_zeroed`, and each `realloc`).
    pub allocations: u64,
    /// Deallocations (`dealloc`, and each `realloc`).
    pub deallocations: u64,
}

impl AllocStats {
    /// The calling thread's counts since it started. Exact; never allocates.
    #[must_use]
    pub fn thread() -> Self {
        let p = match PLACE.try_with(Cell::get) {
            Ok(Some(p)) => p,
            // Nothing counted yet on this thread.
            Ok(None) => return Self::default(),
            Err(_) => &SHARED,
        };
        if core::ptr::eq(p, &SHARED) {
            OWN.try_with(|c| Self {
                bytes_allocated: c.allocated.get(),
                bytes_freed: c.freed.get(),
                allocations: c.allocs.get(),
                deallocations: c.frees.get(),
            })
            .unwrap_or_default()
        } else {
            p.stats()
        }
    }

    /// The whole process's counts: the sum over every thread that has
    /// counted, exited ones included.
    ///
    /// Exact once the other threads are quiet; while they allocate, each
    /// thread's figures are read at a slightly different moment, so the sums
    /// (and [`live_bytes`](Self::live_bytes)) are approximate by what they
    /// allocate meanwhile. There is no process-wide peak: per-thread counters
    /// have no common order in which a peak could be read honestly (for the
    /// resident peak, see `peak_memory_usage`).
    #[must_use]
    pub fn process() -> Self {
        let mut s = SHARED.stats();
        for slot in &TABLE {
            if slot.claimed.load(Ordering::Acquire) {
                s = s.plus(slot.stats());
            }
        }
        s
    }

    /// Whether a [`CountingAlloc`] is installed (as far as can be known: it
    /// has served at least one allocation).
    #[must_use]
    #[inline]
    pub fn counting() -> bool {
        INSTALLED.load(Ordering::Relaxed)
    }

    /// Bytes allocated and not freed (0 rather than negative, for a thread
    /// that frees more than it allocated).
    #[must_use]
    pub const fn live_bytes(&self) -> u64 {
        self.bytes_allocated.saturating_sub(self.bytes_freed)
    }

    const fn plus(self, o: Self) -> Self {
        Self {
            bytes_allocated: self.bytes_allocated.saturating_add(o.bytes_allocated),
            bytes_freed: self.bytes_freed.saturating_add(o.bytes_freed),
            allocations: self.allocations.saturating_add(o.allocations),
            deallocations: self.deallocations.saturating_add(o.deallocations),
        }
    }
}

/// A mark taken when a span opens: the thread's bytes allocated and
/// allocations then. `None` when no `CountingAlloc` is installed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mark {
    bytes: u64,
    allocs: u64,
}

impl Mark {
    /// Now, on this thread, if counting.
    #[inline]
    pub(crate) fn now() -> Option<Self> {
        if !AllocStats::counting() {
            return None;
        }
        let s = AllocStats::thread();
        Some(Self { bytes: s.bytes_allocated, allocs: s.allocations })
    }

    /// Bytes allocated and allocations on this thread since the mark.
    #[inline]
    pub(crate) fn since(self) -> (u64, u64) {
        let now = Self::now().unwrap_or(self);
        (now.bytes.wrapping_sub(self.bytes), now.allocs.wrapping_sub(self.allocs))
    }
}

static INSTALLED: AtomicBool = AtomicBool::new(false);

std::thread_local! {
    /// This thread's slot: `None` before its first event, `&SHARED` past
    /// the table. One word, so the allocation path reads one word. (Not a
    /// sentinel static: a `const` may not point at a static with interior
    /// mutability before Rust 1.91, and the MSRV is 1.88.)
    static PLACE: Cell<Option<&'static Slot>> = const { Cell::new(None) };
    /// An overflow thread's own counts.
    static OWN: Own = const {
        Own { allocated: Cell::new(0), freed: Cell::new(0), allocs: Cell::new(0), frees: Cell::new(0) }
    };
}

struct Own {
    allocated: Cell<u64>,
    freed: Cell<u64>,
    allocs: Cell<u64>,
    frees: Cell<u64>,
}

/// One thread's counters, padded so that two threads never share a cache
/// line.
#[repr(align(128))]
struct Slot {
    claimed: AtomicBool,
    allocated: AtomicU64,
    freed: AtomicU64,
    allocs: AtomicU64,
    frees: AtomicU64,
}

impl Slot {
    const fn new() -> Self {
        Self {
            claimed: AtomicBool::new(false),
            allocated: AtomicU64::new(0),
            freed: AtomicU64::new(0),
            allocs: AtomicU64::new(0),
            frees: AtomicU64::new(0),
        }
    }

    fn stats(&self) -> AllocStats {
        AllocStats {
            bytes_allocated: self.allocated.load(Ordering::Relaxed),
            bytes_freed: self.freed.load(Ordering::Relaxed),
            allocations: self.allocs.load(Ordering::Relaxed),
            deallocations: self.frees.load(Ordering::Relaxed),
        }
    }
}

static TABLE: [Slot; SLOTS] = [const { Slot::new() }; SLOTS];
static SHARED: Slot = Slot::new();

/// This thread's slot (or `&SHARED`), claiming one at its first event.
#[inline(always)]
fn place() -> &'static Slot {
    match PLACE.try_with(Cell::get) {
        Ok(Some(p)) => p,
        Ok(None) => claim(),
        Err(_) => &SHARED,
    }
}

#[cold]
fn claim() -> &'static Slot {
    if !INSTALLED.load(Ordering::Relaxed) {
        INSTALLED.store(true, Ordering::Relaxed);
    }
    // Claimed once per thread, in order. Acquire/Release: `process` sees a
    // claimed slot's counts from this thread's first store on.
    let found =
        TABLE.iter().find(|s| s.claimed.compare_exchange(false, true, Ordering::AcqRel, Ordering::Relaxed).is_ok());
    let p = found.unwrap_or(&SHARED);
    let _ = PLACE.try_with(|c| c.set(Some(p)));
    p
}

/// Adds `n` to a counter that only this thread writes: a load and a store.
#[inline]
fn bump(cell: &AtomicU64, n: usize) {
    cell.store(cell.load(Ordering::Relaxed).wrapping_add(n as u64), Ordering::Relaxed);
}

/// Adds `n` to a thread-local counter.
#[inline]
fn bump_own(cell: &Cell<u64>, n: usize) {
    cell.set(cell.get().wrapping_add(n as u64));
}

/// Counts an allocation of `alloc` bytes and/or a free of `freed` bytes
/// (`realloc` has both) on this thread. Inlined with constant arguments, so
/// each caller keeps only its own branches.
#[inline(always)]
fn count(alloc: Option<usize>, freed: Option<usize>) {
    let s = place();
    if core::ptr::eq(s, &SHARED) {
        return overflow(alloc, freed);
    }
    if let Some(n) = alloc {
        bump(&s.allocated, n);
        bump(&s.allocs, 1);
    }
    if let Some(f) = freed {
        bump(&s.freed, f);
        bump(&s.frees, 1);
    }
}

/// `count` for a thread past the table: its own counts in thread-local
/// `Cell`s, and atomic adds into the shared slot.
#[cold]
#[inline(never)]
fn overflow(alloc: Option<usize>, freed: Option<usize>) {
    let _ = OWN.try_with(|c| {
        if let Some(n) = alloc {
            bump_own(&c.allocated, n);
            bump_own(&c.allocs, 1);
        }
        if let Some(f) = freed {
            bump_own(&c.freed, f);
            bump_own(&c.frees, 1);
        }
    });
    if let Some(n) = alloc {
        SHARED.allocated.fetch_add(n as u64, Ordering::Relaxed);
        SHARED.allocs.fetch_add(1, Ordering::Relaxed);
    }
    if let Some(f) = freed {
        SHARED.freed.fetch_add(f as u64, Ordering::Relaxed);
        SHARED.frees.fetch_add(1, Ordering::Relaxed);
    }
}
