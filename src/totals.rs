//! `Totals` (plain values) and `Cells` (their atomic home): the exact
//! lifetime figures of a set of records, shared by both record paths.

use crate::sync::{AtomicU64, Ordering, const_fn};

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
}

impl Totals {
    pub(crate) const EMPTY: Self =
        Self { count: 0, total_ns: 0, total_mem: 0, min_ns: u64::MAX, max_ns: 0, cpu_ns: 0, cpu_count: 0 };

    /// Adds another disjoint set of records, saturating every sum.
    pub(crate) fn merge(&mut self, o: &Self) {
        self.count = self.count.saturating_add(o.count);
        self.total_ns = self.total_ns.saturating_add(o.total_ns);
        self.total_mem = self.total_mem.saturating_add(o.total_mem);
        self.min_ns = self.min_ns.min(o.min_ns);
        self.max_ns = self.max_ns.max(o.max_ns);
        self.cpu_ns = self.cpu_ns.saturating_add(o.cpu_ns);
        self.cpu_count = self.cpu_count.saturating_add(o.cpu_count);
    }
}

/// The atomic cells behind one `Totals` (all but the count, which each path
/// keeps in its own way). How they are updated is the owner's business: plain
/// stores under a claim (`exclusive.rs`) or RMWs (`aggregate.rs`). Loads here
/// are `Relaxed`; the owner orders them.
pub(crate) struct Cells {
    pub(crate) total_ns: AtomicU64,
    pub(crate) total_mem: AtomicU64,
    pub(crate) min_ns: AtomicU64,
    pub(crate) max_ns: AtomicU64,
    pub(crate) cpu_ns: AtomicU64,
    pub(crate) cpu_count: AtomicU64,
}

impl Cells {
    const_fn! {
        pub(crate) const fn new() -> Self {
            Self {
                total_ns: AtomicU64::new(0),
                total_mem: AtomicU64::new(0),
                min_ns: AtomicU64::new(u64::MAX),
                max_ns: AtomicU64::new(0),
                cpu_ns: AtomicU64::new(0),
                cpu_count: AtomicU64::new(0),
            }
        }
    }

    /// The cells as plain totals of `count` records.
    pub(crate) fn load(&self, count: u64) -> Totals {
        Totals {
            count,
            total_ns: self.total_ns.load(Ordering::Relaxed),
            total_mem: self.total_mem.load(Ordering::Relaxed),
            min_ns: self.min_ns.load(Ordering::Relaxed),
            max_ns: self.max_ns.load(Ordering::Relaxed),
            cpu_ns: self.cpu_ns.load(Ordering::Relaxed),
            cpu_count: self.cpu_count.load(Ordering::Relaxed),
        }
    }

    /// Back to "no records".
    pub(crate) fn clear(&self) {
        self.total_ns.store(0, Ordering::Relaxed);
        self.total_mem.store(0, Ordering::Relaxed);
        self.min_ns.store(u64::MAX, Ordering::Relaxed);
        self.max_ns.store(0, Ordering::Relaxed);
        self.cpu_ns.store(0, Ordering::Relaxed);
        self.cpu_count.store(0, Ordering::Relaxed);
    }
}
