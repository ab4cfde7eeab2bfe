//! `Shard`: one stripe of an operation, its aggregates and its ring on their
//! own cache lines, so that threads on different shards never share a line.

use crate::aggregate::Aggregate;
use crate::exclusive::Exclusive;
use crate::padded::CachePadded;
use crate::ring::Record;
use crate::sync::{const_fn, hot_fn};
use crate::totals::{Raw, Totals};

pub(crate) struct ShardCore<const RING: usize> {
    /// The uncontended path, with the ring: one RMW per record.
    exclusive: Exclusive<RING>,
    /// The contended path: wait-free under any number of writers.
    aggregate: Aggregate,
}

/// A cache-padded shard.
pub(crate) type Shard<const RING: usize> = CachePadded<ShardCore<RING>>;

impl<const RING: usize> ShardCore<RING> {
    const_fn! {
        pub(crate) const fn new() -> Self {
            Self { exclusive: Exclusive::new(), aggregate: Aggregate::new() }
        }
    }

    hot_fn! {
        /// The whole record path. Uncontended: one CAS, plain stores, one
        /// Release store. Contended (another writer holds the shard, or a reader
        /// has asked writers to stand aside): four RMWs on the hot/cold
        /// aggregate, one more for a new min or max, two more for a CPU time.
        pub(crate) fn record(&self, r: &Raw) {
            if !self.exclusive.try_record(r) {
                self.aggregate.record(r);
            }
        }
    }

    /// Both paths' totals: each is one set of whole records and every record
    /// is in exactly one of them, so the sum is one set of whole records.
    /// The caller holds the slot's reader lock.
    pub(crate) fn snapshot(&self) -> Totals {
        let mut t = self.exclusive.snapshot();
        t.merge(&self.aggregate.snapshot());
        t
    }

    /// The window of `seq`s the ring can still hold: `[lo, hi)`.
    pub(crate) fn window(&self) -> (u64, u64) {
        self.exclusive.window()
    }

    pub(crate) fn read(&self, seq: u64) -> Option<Record> {
        self.exclusive.read(seq)
    }
}
