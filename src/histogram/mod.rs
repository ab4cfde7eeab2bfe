//! The duration histogram: a [`Distribution`] (a snapshot's histogram:
//! counts, quantiles within their stated error, intervals between two
//! snapshots, merges across processes), its resolutions
//! ([`FINE_BUCKETS`], the default, and [`COARSE_BUCKETS`] for small
//! memories), and its buckets as OpenTelemetry exponential-histogram points
//! ([`ExponentialPoint`]).

// How it is built:
// `Histogram`: the atomic home of a duration histogram's bucket counts.
//
// How the counts are updated is the owner's business, as with `Cells`: one
// owner bumps a bucket with a plain load and store under a shard's claim
// (`exclusive.rs`), any number of writers with an RMW on a hot/cold half
// (`slot.rs`). Readers copy ranges of buckets into plain arrays.
//
// Beside it: the bucket layout (`buckets`: the index of a duration, and
// each bucket's bounds), the plain-value histogram that readers get
// (`distribution`), and its buckets as native-histogram and OpenTelemetry
// exponential-histogram buckets (`native`).

pub(crate) mod buckets;
pub(crate) mod distribution;
pub(crate) mod native;

pub use buckets::{COARSE_BUCKETS, DEFAULT_BUCKETS, FINE_BUCKETS};
pub use distribution::Distribution;
pub use native::ExponentialPoint;

use core::ops::RangeInclusive;

use crate::sync::{AtomicU64, Ordering, array_of, const_fn};

pub(crate) struct Histogram<const BUCKETS: usize> {
    counts: [AtomicU64; BUCKETS],
}

impl<const BUCKETS: usize> Histogram<BUCKETS> {
    const_fn! {
        pub(crate) const fn new() -> Self {
            Self { counts: array_of![AtomicU64::new(0); BUCKETS] }
        }
    }

    /// Adds one to bucket `i`, by its only writer: no RMW. The store is
    /// `Release`, so that a reader that sees the bump sees the writer's
    /// stores before it (the hold's ring entry, see `exclusive.rs`): a plain
    /// `mov` on x86.
    #[inline]
    pub(crate) fn bump_owned(&self, i: usize) {
        if let Some(c) = self.counts.get(i) {
            c.store(c.load(Ordering::Relaxed).wrapping_add(1), Ordering::Release);
        }
    }

    /// Adds `n` to bucket `i` with an RMW, so racing writers lose nothing.
    /// `Relaxed`: the caller publishes it (the hot/cold `completed` count).
    #[inline]
    pub(crate) fn add_shared(&self, i: usize, n: u64) {
        if let Some(c) = self.counts.get(i) {
            c.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// Copies the buckets in `range` into the same places of `out`, and
    /// returns their sum. `Relaxed`: the caller orders the copy.
    #[inline]
    pub(crate) fn copy(&self, range: RangeInclusive<usize>, out: &mut [u64; BUCKETS]) -> u64 {
        let mut sum = 0u64;
        if let (Some(src), Some(dst)) = (self.counts.get(range.clone()), out.get_mut(range)) {
            for (d, s) in dst.iter_mut().zip(src) {
                *d = s.load(Ordering::Relaxed);
                sum = sum.wrapping_add(*d);
            }
        }
        sum
    }

    /// Moves the (quiescent) buckets in `range` into `hot` with RMWs (racing
    /// writers may be bumping it), adds them into `acc`, and zeroes them here.
    pub(crate) fn drain_into(&self, range: RangeInclusive<usize>, acc: &mut [u64; BUCKETS], hot: &Self) {
        let (Some(src), Some(dst), Some(acc)) =
            (self.counts.get(range.clone()), hot.counts.get(range.clone()), acc.get_mut(range))
        else {
            return;
        };
        for ((s, d), a) in src.iter().zip(dst).zip(acc) {
            let n = s.load(Ordering::Relaxed);
            if n != 0 {
                *a = a.wrapping_add(n);
                d.fetch_add(n, Ordering::Relaxed);
                s.store(0, Ordering::Relaxed);
            }
        }
    }
}
