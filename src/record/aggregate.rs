//! `Aggregate`: a shard's contended record path: exact totals that any number
//! of writers update at once, read as consistent snapshots. Records land here
//! only when the shard's exclusive path (`exclusive.rs`) is held.
//!
//! # Technique: hot/cold halves
//!
//! This is the scheme of the Prometheus Go client's histogram
//! (client_golang PR #457), chosen because it gives both I2 (a snapshot is one
//! set of whole records) and I6 (a bound on the reader's wait) with writers that
//! never wait:
//!
//! * `started` packs a *hot bit* (bit 63) and the number of records ever
//!   started (bits 0..63). A writer's single `fetch_add(1)` both counts itself
//!   and learns which half to write: the two can never disagree.
//! * Each half holds running totals and a `completed` count; a writer bumps
//!   `completed` (`Release`) after its other updates.
//! * A reader flips the hot bit. From then on new writers go to the other
//!   half, so the now-cold half can only gain the few writers already in flight.
//!   The reader waits for exactly those (`completed == started`): its wait is
//!   bounded by in-flight writers, never by how fast new ones arrive.
//! * It then reads the cold half (all history: see the invariant below), adds
//!   it into the hot half, and zeroes the cold half.
//!
//! Invariant between snapshots: the cold half is all zeroes and the hot half
//! holds every completed record, so when the next reader flips, the half it
//! waits for will hold exactly the records counted in `started`.
//!
//! Readers of one aggregate must be serialised (the slot's reader lock does
//! it); writers need nothing.

use crate::backoff::Backoff;
use crate::histogram::Histogram;
use crate::platform;
use crate::record::totals::{Cells, Raw, Totals};
use crate::sync::{AtomicU8, AtomicU64, Ordering, array_of, const_fn};

const HOT_BIT: u64 = 1 << 63;
const COUNT_MASK: u64 = HOT_BIT - 1;

const SAT_NS: u8 = 1;
const SAT_MEM: u8 = 2;
const SAT_CPU: u8 = 4;
const SAT_ALLOCS: u8 = 8;

struct Half {
    completed: AtomicU64,
    cells: Cells,
    /// Sticky `SAT_*` bits: a sum wrapped, so it reads as `u64::MAX`.
    saturated: AtomicU8,
}

/// Adds `v` to `sum`; if the sum wrapped, sets `bit` in `flags` so that the
/// sum reads as saturated. One RMW; the second only on overflow.
#[inline]
pub(crate) fn add_saturating(sum: &AtomicU64, v: u64, flags: &AtomicU8, bit: u8) {
    let old = sum.fetch_add(v, Ordering::Relaxed);
    if old.checked_add(v).is_none() {
        flags.fetch_or(bit, Ordering::Relaxed);
    }
}

impl Half {
    const_fn! {
        const fn new() -> Self {
            Self { completed: AtomicU64::new(0), cells: Cells::new(), saturated: AtomicU8::new(0) }
        }
    }

    /// Adds a set of records (one record, or a cold half being moved) with
    /// atomic RMWs, so that racing writers lose nothing: each cell moves the
    /// way `Totals::merge` says. The count is the caller's (`completed`).
    #[inline]
    fn add(&self, t: &Totals) {
        let c = &self.cells;
        add_saturating(&c.total_ns, t.total_ns, &self.saturated, SAT_NS);
        add_saturating(&c.total_mem, t.total_mem, &self.saturated, SAT_MEM);
        // min/max are RMWs only when this set has a new extreme (the minimum
        // is kept inverted, so it rises too: see `Cells`). The pre-check is
        // safe: both cells only rise while writers can reach them (they are
        // reset only while cold and idle).
        if !t.min_ns > c.min_inv.load(Ordering::Relaxed) {
            c.min_inv.fetch_max(!t.min_ns, Ordering::Relaxed);
        }
        if t.max_ns > c.max_ns.load(Ordering::Relaxed) {
            c.max_ns.fetch_max(t.max_ns, Ordering::Relaxed);
        }
        if t.cpu_count > 0 {
            add_saturating(&c.cpu_ns, t.cpu_ns, &self.saturated, SAT_CPU);
            c.cpu_count.fetch_add(t.cpu_count, Ordering::Relaxed);
        }
        // Only records that measured allocations pay for the RMW.
        if t.allocs > 0 {
            add_saturating(&c.allocs, t.allocs, &self.saturated, SAT_ALLOCS);
        }
    }

    /// Reads the (quiescent) half. The caller has synchronised with every
    /// writer of it through an `Acquire` load of `completed`.
    fn read(&self, count: u64) -> Totals {
        let mut t = self.cells.load(count);
        let sat = self.saturated.load(Ordering::Relaxed);
        for (bit, sum) in [
            (SAT_NS, &mut t.total_ns),
            (SAT_MEM, &mut t.total_mem),
            (SAT_CPU, &mut t.cpu_ns),
            (SAT_ALLOCS, &mut t.allocs),
        ] {
            if sat & bit != 0 {
                *sum = u64::MAX;
            }
        }
        t
    }

    /// Moves a cold half's totals into this (hot, live) half. A sum that
    /// read as saturated there wraps here (or lands on `u64::MAX`), so it
    /// stays saturated.
    fn absorb(&self, t: &Totals) {
        self.add(t);
        // Release: the next reader's Acquire wait on this `completed` then sees
        // the sums above (pairs with the Acquire load in `Aggregate::snapshot`).
        self.completed.fetch_add(t.count, Ordering::Release);
    }

    /// Resets a cold, idle half. Published to the writers that will use it
    /// next by the reader lock's Release and the next flip's `AcqRel`.
    fn clear(&self) {
        self.completed.store(0, Ordering::Relaxed);
        self.cells.clear();
        self.saturated.store(0, Ordering::Relaxed);
    }
}

/// A shard's lifetime aggregates. See the module docs for the protocol.
pub(crate) struct Aggregate {
    started: AtomicU64,
    halves: [Half; 2],
}

impl Aggregate {
    const_fn! {
        pub(crate) const fn new() -> Self {
            Self { started: AtomicU64::new(0), halves: array_of![Half::new(); 2] }
        }
    }

    /// Records `r`: 5 RMWs (start, two sums, its bucket in `histograms`,
    /// completion), plus one for a new extreme and two for a CPU time.
    ///
    /// `histograms` are the operation's hot/cold histogram halves, shared by
    /// all its shards: this record goes to the half of the same parity as
    /// its half here (see `OpSlot::snapshot` for why that is one set).
    // Out of line: the owner's path, inlined beside it in the shard's
    // record, is the one that must stay small (scripts/ab.sh measured the
    // owner's record 1.14x slower with this path and its fork barrier
    // inlined there); this path's own cost is a call more.
    #[inline(never)]
    pub(crate) fn record<const BUCKETS: usize>(&self, r: &Raw, bucket: usize, histograms: &[Histogram<BUCKETS>; 2]) {
        // A reader waits for this record to complete: no fork may fall in
        // the middle of it (`platform/hosted/fork.rs`).
        let section = platform::enter();
        // One RMW both counts the record and picks its half. Acquire: pairs
        // with the reader's AcqRel flip, so a writer sent to a freshly cleared
        // half sees the clearing stores.
        let n = self.started.fetch_add(1, Ordering::Acquire);
        let parity = (n >> 63) as usize & 1;
        let half = &self.halves[parity];
        half.add(&Totals::of(r));
        if let Some(h) = histograms.get(parity) {
            h.add_shared(bucket, 1);
        }
        // Release: pairs with the Acquire wait in `snapshot`, which then sees
        // every update above.
        half.completed.fetch_add(1, Ordering::Release);
        platform::leave(section);
    }

    /// A consistent snapshot: exactly the records started before the flip;
    /// and the parity of the half they were in, now cold (their buckets are
    /// in the histogram half of that parity).
    ///
    /// The caller must hold the slot's reader lock (readers are serialised).
    pub(crate) fn snapshot(&self) -> (Totals, usize) {
        // AcqRel: Release publishes the previous reader's `clear` to writers
        // that will use the new hot half; Acquire orders the wait below after
        // the flip.
        let n = self.started.fetch_add(HOT_BIT, Ordering::AcqRel);
        let total = n & COUNT_MASK;
        let cold_idx = (n >> 63) as usize;
        let cold = &self.halves[cold_idx];
        let hot = &self.halves[cold_idx ^ 1];
        // Bounded by the writers in flight at the flip: every later writer
        // lands in the other half.
        let mut backoff = Backoff::new();
        // Acquire: pairs with the Release in `record` and `absorb`.
        while cold.completed.load(Ordering::Acquire) != total {
            backoff.snooze();
        }
        let totals = cold.read(total);
        hot.absorb(&totals);
        cold.clear();
        (totals, cold_idx)
    }
}
