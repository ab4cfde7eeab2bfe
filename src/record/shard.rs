//! `Shard`: one stripe of an operation, its aggregates and its ring on their
//! own cache lines, so that threads on different shards never share a line.

use crate::histogram::Histogram;
use crate::record::aggregate::Aggregate;
use crate::record::exclusive::Exclusive;
use crate::record::padded::CachePadded;
use crate::record::ring::Record;
use crate::record::totals::{Raw, Totals};
use crate::sync::{const_fn, hot_fn};

pub(crate) struct ShardCore<const RING: usize, const BUCKETS: usize> {
    /// The uncontended path, with the ring and a histogram: no RMW for the
    /// shard's owner, one for another writer.
    exclusive: Exclusive<RING, BUCKETS>,
    /// The contended path: wait-free under any number of writers.
    aggregate: Aggregate,
}

/// A cache-padded shard.
pub(crate) type Shard<const RING: usize, const BUCKETS: usize> = CachePadded<ShardCore<RING, BUCKETS>>;

impl<const RING: usize, const BUCKETS: usize> ShardCore<RING, BUCKETS> {
    const_fn! {
        pub(crate) const fn new() -> Self {
            Self { exclusive: Exclusive::new(), aggregate: Aggregate::new() }
        }
    }

    hot_fn! {
        /// The whole record path, for a record in histogram bucket `bucket`,
        /// by the shard's owner (`owned`, see `platform/owner.rs`) or another writer.
        /// The owner: plain stores and two Release stores, no RMW. Another
        /// writer, uncontended: one CAS, plain stores, one Release store.
        /// Contended (the shard is owned by another thread or held, or a
        /// reader has asked writers to stand aside): five RMWs on the
        /// hot/cold aggregate and the operation's shared histogram halves,
        /// one more for a new min or max, two more for a CPU time.
        pub(crate) fn record(&self, r: &Raw, bucket: usize, owned: bool, histograms: &[Histogram<BUCKETS>; 2]) {
            if !self.exclusive.try_record(r, bucket, owned) {
                self.aggregate.record(r, bucket, histograms);
            }
        }
    }

    /// Both paths' totals: each is one set of whole records and every record
    /// is in exactly one of them, so their sum is one set of whole records.
    /// The exclusive path's buckets are added into `hist`; the contended
    /// path's are in the operation's histogram half of the returned parity.
    /// `scratch` is the exclusive path's space for its copies.
    /// The caller holds the slot's reader lock.
    pub(crate) fn snapshot(&self, hist: &mut [u64; BUCKETS], scratch: &mut [u64; BUCKETS]) -> (Totals, Totals, usize) {
        let exclusive = self.exclusive.snapshot(hist, scratch);
        let (contended, parity) = self.aggregate.snapshot();
        (exclusive, contended, parity)
    }

    /// The window of `seq`s the ring can still hold: `[lo, hi)`.
    pub(crate) fn window(&self) -> (u64, u64) {
        self.exclusive.window()
    }

    pub(crate) fn read(&self, seq: u64) -> Option<Record> {
        self.exclusive.read(seq)
    }
}
