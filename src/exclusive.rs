//! `Exclusive`: a shard's uncontended record path, one atomic RMW per record.
//!
//! A shard is nearly always written by one thread at a time (with `std` each
//! thread has its own shard). So the common path takes the shard with a single
//! CAS on a claim word (even = free, odd = held), updates its totals and its
//! ring with plain atomic loads and stores, and frees it with one `Release`
//! store.
//!
//! A writer that finds the claim held never waits: it records through the
//! shard's [`Aggregate`](crate::aggregate::Aggregate) instead (the hot/cold
//! path, wait-free under any contention). The claim can be held by another
//! writer on the same shard, by an interrupt handler's preempted victim, or by
//! a reader taking a snapshot.
//!
//! A reader takes the same claim, so the totals it copies are one set of whole
//! records with no retry loop at all. If new writers keep winning the claim
//! before it, the reader raises `pending`, which sends every later writer to
//! the hot/cold path: its wait is then bounded by the writers already in
//! flight (I6).
//!
//! The ring is written only here, while the claim is held: one writer at a
//! time, in stream order, so entries need no CAS (see `ring.rs`). Records that
//! took the hot/cold path are counted exactly but do not enter the ring.

use crate::aggregate::Raw;
use crate::ring::{Ring, Slot};
use crate::sync::{AtomicBool, AtomicU32, AtomicU64, Ordering, const_fn, spin_wait};
use crate::totals::{Cells, Totals};

pub(crate) struct Exclusive<const RING: usize> {
    /// Even: free; odd: held. Each hold adds 2.
    claim: AtomicU32,
    /// Set by a reader that keeps losing the claim to new writers.
    pending: AtomicBool,
    count: AtomicU64,
    cells: Cells,
    ring: Ring<RING>,
}

/// Reader attempts before it raises `pending`.
const READER_TRIES: u32 = 16;

impl<const RING: usize> Exclusive<RING> {
    const_fn! {
        pub(crate) const fn new() -> Self {
            Self {
                claim: AtomicU32::new(0),
                pending: AtomicBool::new(false),
                count: AtomicU64::new(0),
                cells: Cells::new(),
                ring: Ring::new(),
            }
        }
    }

    /// Takes the claim if it is free: one CAS, never a wait. Shared by
    /// writers (`try_claim`) and the reader (`snapshot`).
    #[inline]
    fn claim_if_free(&self) -> Option<u32> {
        let c = self.claim.load(Ordering::Relaxed);
        if c & 1 == 1 {
            return None;
        }
        // Acquire: pairs with the Release in `release`, so this holder sees
        // the totals the previous holder left.
        self.claim.compare_exchange(c, c.wrapping_add(1), Ordering::Acquire, Ordering::Relaxed).ok()
    }

    /// A writer's claim: `None` means "take the hot/cold path". Writers also
    /// stand aside while a reader has raised `pending`.
    #[inline]
    fn try_claim(&self) -> Option<u32> {
        // Relaxed: only a hint; the CAS decides.
        if self.pending.load(Ordering::Relaxed) {
            return None;
        }
        self.claim_if_free()
    }

    #[inline]
    fn release(&self, c: u32) {
        // Release: pairs with the Acquire CAS in `try_claim`/`snapshot`.
        self.claim.store(c.wrapping_add(2), Ordering::Release);
    }

    /// Records `r` if the shard is free; returns false (recording nothing)
    /// if it is held.
    #[inline]
    pub(crate) fn try_record(&self, r: &Raw) -> bool {
        let Some(c) = self.try_claim() else { return false };
        // Exclusive from here: plain loads and stores, no RMW.
        let seq = self.count.load(Ordering::Relaxed);
        self.ring.write(seq, r);
        self.count.store(seq.saturating_add(1), Ordering::Relaxed);
        let cells = &self.cells;
        bump(&cells.total_ns, r.ns);
        bump(&cells.total_mem, r.mem);
        if r.ns < cells.min_ns.load(Ordering::Relaxed) {
            cells.min_ns.store(r.ns, Ordering::Relaxed);
        }
        if r.ns > cells.max_ns.load(Ordering::Relaxed) {
            cells.max_ns.store(r.ns, Ordering::Relaxed);
        }
        if let Some(cpu) = r.cpu_ns {
            bump(&cells.cpu_ns, cpu);
            bump(&cells.cpu_count, 1);
        }
        self.release(c);
        true
    }

    /// The totals recorded here so far: one set of whole records.
    ///
    /// Waits only for the writer holding the claim (a few dozen instructions)
    /// and, through `pending`, for writers that had already read the claim as
    /// free. The caller holds the slot's reader lock, so readers never race
    /// each other for `pending`.
    pub(crate) fn snapshot(&self) -> Totals {
        let mut step = 0u32;
        let mut tries = 0u32;
        let c = loop {
            if let Some(c) = self.claim_if_free() {
                break c;
            }
            tries += 1;
            if tries == READER_TRIES {
                self.pending.store(true, Ordering::Relaxed);
            }
            spin_wait(&mut step);
        };
        let t = self.cells.load(self.count.load(Ordering::Relaxed));
        self.release(c);
        if tries >= READER_TRIES {
            self.pending.store(false, Ordering::Relaxed);
        }
        t
    }

    /// The window of stream positions the ring can still hold: `[lo, hi)`.
    pub(crate) fn window(&self) -> (u64, u64) {
        // A stale `count` only narrows the window; entries are validated by
        // their stamps.
        let hi = self.count.load(Ordering::Relaxed);
        (hi.saturating_sub(Ring::<RING>::CAPACITY as u64), hi)
    }

    pub(crate) fn read(&self, seq: u64) -> Option<Slot> {
        self.ring.read(seq)
    }
}

/// `*v += x`, saturating, for a value only the claim holder writes.
#[inline]
fn bump(v: &AtomicU64, x: u64) {
    v.store(v.load(Ordering::Relaxed).saturating_add(x), Ordering::Relaxed);
}
