//! `Shard`: one stripe of an operation, its aggregates and its ring on their
//! own cache lines, so that threads on different shards never share a line.

use crate::aggregate::{Aggregate, Raw, Totals};
use crate::padded::CachePadded;
use crate::ring::{Ring, Slot};
use crate::sync::const_fn;

pub(crate) struct ShardCore<const RING: usize> {
    aggregate: Aggregate,
    ring: Ring<RING>,
}

/// A cache-padded shard.
pub(crate) type Shard<const RING: usize> = CachePadded<ShardCore<RING>>;

impl<const RING: usize> ShardCore<RING> {
    const_fn! {
        pub(crate) const fn new() -> Self {
            Self { aggregate: Aggregate::new(), ring: Ring::new() }
        }
    }

    /// The whole record path: at most 5 atomic RMWs (start, ring claim, two
    /// sums, completion), plus one each for a new min or max, plus two for a
    /// CPU time. The ring is written before completion, so a snapshot that
    /// counts a record can also find it in the ring.
    #[inline]
    pub(crate) fn record(&self, r: &Raw) {
        let ticket = self.aggregate.begin();
        self.ring.write(ticket.seq, r);
        self.aggregate.finish(ticket, r);
    }

    /// See `Aggregate::snapshot`; the caller holds the slot's reader lock.
    pub(crate) fn snapshot(&self) -> Totals {
        self.aggregate.snapshot()
    }

    /// The window of `seq`s the ring can still hold: `[lo, hi)`.
    pub(crate) fn window(&self) -> (u64, u64) {
        let hi = self.aggregate.next_seq();
        (hi.saturating_sub(Ring::<RING>::CAPACITY as u64), hi)
    }

    pub(crate) fn read(&self, seq: u64) -> Option<Slot> {
        self.ring.read(seq)
    }
}
