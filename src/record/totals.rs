//! `Raw` (one record, in integer units), `Totals` (the exact lifetime figures
//! of a set of records) and `Cells` (their atomic home).
//!
//! How records combine is written once, here: [`Totals::of`] turns a record
//! into the totals of a one-record set, and `sum`, `min` and `max` below say
//! how each figure of two disjoint sets combines. [`Totals::merge`] applies
//! them to plain values, [`Cells::fold_sums`] and [`Cells::fold_seldom`] to
//! a version of the cells as they copy it into the next; the hot/cold path's RMWs (`aggregate.rs`) are the
//! atomic forms of the same three.

use crate::sync::{AtomicU64, Ordering, const_fn};

/// One record as the core stores it: durations in whole nanoseconds
/// (already saturated to `u64`), memory in bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Raw {
    pub(crate) ns: u64,
    pub(crate) mem: u64,
    pub(crate) cpu_ns: Option<u64>,
    pub(crate) ticks: Option<u64>,
    /// Heap allocations the record's span made (0 when not measured).
    pub(crate) allocs: u64,
}

/// Plain totals copied out of a shard (or merged from several).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Totals {
    pub(crate) count: u64,
    pub(crate) total_ns: u64,
    pub(crate) total_mem: u64,
    /// `u64::MAX` when `count == 0`.
    pub(crate) min_ns: u64,
    pub(crate) max_ns: u64,
    pub(crate) cpu_ns: u64,
    pub(crate) cpu_count: u64,
    pub(crate) allocs: u64,
}

impl Totals {
    pub(crate) const EMPTY: Self =
        Self { count: 0, total_ns: 0, total_mem: 0, min_ns: u64::MAX, max_ns: 0, cpu_ns: 0, cpu_count: 0, allocs: 0 };

    /// The totals of the set that holds `r` alone.
    #[inline]
    pub(crate) const fn of(r: &Raw) -> Self {
        let (cpu_ns, cpu_count) = match r.cpu_ns {
            Some(c) => (c, 1),
            None => (0, 0),
        };
        Self {
            count: 1,
            total_ns: r.ns,
            total_mem: r.mem,
            min_ns: r.ns,
            max_ns: r.ns,
            cpu_ns,
            cpu_count,
            allocs: r.allocs,
        }
    }

    /// Adds another disjoint set of records.
    #[inline]
    pub(crate) fn merge(&mut self, o: &Self) {
        self.count = sum(self.count, o.count);
        self.total_ns = sum(self.total_ns, o.total_ns);
        self.total_mem = sum(self.total_mem, o.total_mem);
        self.min_ns = min(self.min_ns, o.min_ns);
        self.max_ns = max(self.max_ns, o.max_ns);
        self.cpu_ns = sum(self.cpu_ns, o.cpu_ns);
        self.cpu_count = sum(self.cpu_count, o.cpu_count);
        self.allocs = sum(self.allocs, o.allocs);
    }

    /// Whether these totals add to a sum that seldom changes: a CPU time or
    /// an allocation count. (The extremes, the other seldom cells, are
    /// checked against a range by the caller.)
    #[inline]
    pub(crate) const fn adds_seldom_sums(&self) -> bool {
        self.cpu_count != 0 || self.allocs != 0
    }

    /// Whether a sum reached `u64::MAX`, where it stays: figures derived from
    /// it (the averages) are then lower bounds.
    pub(crate) const fn saturated(&self) -> bool {
        self.count == u64::MAX
            || self.total_ns == u64::MAX
            || self.total_mem == u64::MAX
            || self.cpu_ns == u64::MAX
            || self.allocs == u64::MAX
    }
}

/// The atomic cells behind one `Totals` (all but the count, which each path
/// keeps in its own way). How they are updated is the owner's business: plain
/// stores under a claim (`exclusive.rs`) or RMWs (`aggregate.rs`). Loads and
/// stores here are `Relaxed`; the owner orders them.
///
/// Every cell starts at zero, so that a tracker is all zero bits when new
/// (it lives in `.bss`, and `Tracker::boxed` can allocate it zeroed): the
/// minimum is kept bit-inverted, `!min_ns`, whose "no records" value is 0.
pub(crate) struct Cells {
    pub(crate) total_ns: AtomicU64,
    pub(crate) total_mem: AtomicU64,
    /// `!min_ns`: the largest value here is the smallest duration.
    pub(crate) min_inv: AtomicU64,
    pub(crate) max_ns: AtomicU64,
    pub(crate) cpu_ns: AtomicU64,
    pub(crate) cpu_count: AtomicU64,
    pub(crate) allocs: AtomicU64,
}

impl Cells {
    const_fn! {
        pub(crate) const fn new() -> Self {
            Self {
                total_ns: AtomicU64::new(0),
                total_mem: AtomicU64::new(0),
                min_inv: AtomicU64::new(0),
                max_ns: AtomicU64::new(0),
                cpu_ns: AtomicU64::new(0),
                cpu_count: AtomicU64::new(0),
                allocs: AtomicU64::new(0),
            }
        }
    }

    /// The cells as plain totals of `count` records.
    #[inline]
    pub(crate) fn load(&self, count: u64) -> Totals {
        Totals {
            count,
            total_ns: self.total_ns.load(Ordering::Relaxed),
            total_mem: self.total_mem.load(Ordering::Relaxed),
            min_ns: !self.min_inv.load(Ordering::Relaxed),
            max_ns: self.max_ns.load(Ordering::Relaxed),
            cpu_ns: self.cpu_ns.load(Ordering::Relaxed),
            cpu_count: self.cpu_count.load(Ordering::Relaxed),
            allocs: self.allocs.load(Ordering::Relaxed),
        }
    }

    /// Stores into `into` these cells' sums that change with every record
    /// merged with `t`'s: what `Totals::merge` computes for them, by one
    /// owner with no RMW. Each cell is loaded just before its result is
    /// stored, which keeps few values live at once on the record path.
    #[inline]
    pub(crate) fn fold_sums(&self, into: &Self, t: &Totals) {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        into.total_ns.store(sum(get(&self.total_ns), t.total_ns), Ordering::Relaxed);
        into.total_mem.store(sum(get(&self.total_mem), t.total_mem), Ordering::Relaxed);
    }

    /// Stores into `into` the cells that seldom change (the extremes, CPU
    /// time, the allocation count) merged with `t`'s. Returns the extremes
    /// when `t` changed none of these cells, so that `into` now agrees with
    /// these cells there; `None` when it changed one.
    #[inline]
    pub(crate) fn fold_seldom(&self, into: &Self, t: &Totals) -> Option<(u64, u64)> {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let (lo, hi) = (!get(&self.min_inv), get(&self.max_ns));
        into.min_inv.store(!min(lo, t.min_ns), Ordering::Relaxed);
        into.max_ns.store(max(hi, t.max_ns), Ordering::Relaxed);
        into.cpu_ns.store(sum(get(&self.cpu_ns), t.cpu_ns), Ordering::Relaxed);
        into.cpu_count.store(sum(get(&self.cpu_count), t.cpu_count), Ordering::Relaxed);
        into.allocs.store(sum(get(&self.allocs), t.allocs), Ordering::Relaxed);
        let changed = t.min_ns < lo || t.max_ns > hi || t.adds_seldom_sums();
        (!changed).then_some((lo, hi))
    }

    /// Stores `t` (but its count) by one owner, with no RMW.
    #[inline]
    pub(crate) fn store(&self, t: &Totals) {
        self.total_ns.store(t.total_ns, Ordering::Relaxed);
        self.total_mem.store(t.total_mem, Ordering::Relaxed);
        store_if_changed(&self.min_inv, !t.min_ns);
        store_if_changed(&self.max_ns, t.max_ns);
        store_if_changed(&self.cpu_ns, t.cpu_ns);
        store_if_changed(&self.cpu_count, t.cpu_count);
        store_if_changed(&self.allocs, t.allocs);
    }

    /// Back to "no records".
    pub(crate) fn clear(&self) {
        self.store(&Totals::EMPTY);
    }
}

/// Stores `v` unless the cell already holds it.
#[inline]
fn store_if_changed(cell: &AtomicU64, v: u64) {
    if cell.load(Ordering::Relaxed) != v {
        cell.store(v, Ordering::Relaxed);
    }
}

/// How a sum combines: saturating at `u64::MAX`, where it stays.
#[inline]
const fn sum(a: u64, b: u64) -> u64 {
    a.saturating_add(b)
}

/// How a minimum combines.
#[inline]
const fn min(a: u64, b: u64) -> u64 {
    if b < a { b } else { a }
}

/// How a maximum combines.
#[inline]
const fn max(a: u64, b: u64) -> u64 {
    if b > a { b } else { a }
}
