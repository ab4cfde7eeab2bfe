//! A distribution's buckets as the standard exponential buckets: the
//! Prometheus native histogram's (for the protobuf exposition) and the
//! OpenTelemetry exponential histogram's. The internal buckets are native
//! buckets (see `buckets.rs`), so both are read off, never re-binned.

use crate::histogram::buckets::Layout;
use crate::histogram::distribution::Distribution;

/// The native buckets of `d` at `schema` (at most the layout's own), in
/// order: `(index, count)`, empty ones left out. Internal buckets that share
/// a native bucket (below 32 ns, or at a lower schema) are added; the top
/// bucket's records (past an hour) go to the native bucket of the recorded
/// maximum, the one native bucket known to hold some of them.
pub(crate) fn native_buckets<const B: usize>(
    d: &Distribution<B>,
    schema: i32,
) -> impl Iterator<Item = (i32, u64)> + '_ {
    let layout = const { Layout::of(B) };
    let shift = layout.schema() as i32 - schema.min(layout.schema() as i32);
    let top = d.max().map_or(0, |m| u64::try_from(m.as_nanos()).unwrap_or(u64::MAX));
    let at = move |(i, &c): (usize, &u64)| {
        let n = layout.native(i).unwrap_or_else(|| layout.native_of(top));
        // ceil(n / 2^shift): the coarser bucket that holds this one.
        ((n + (1 << shift) - 1) >> shift, c)
    };
    let mut it = d.counts().iter().enumerate().skip(1).filter(|&(_, &c)| c != 0).map(at).peekable();
    core::iter::from_fn(move || {
        let (n, mut c) = it.next()?;
        while let Some((_, more)) = it.next_if(|&(m, _)| m == n) {
            c = c.saturating_add(more);
        }
        Some((n, c))
    })
}

/// A [`Distribution`] as an OpenTelemetry exponential histogram data point
/// (positive buckets only: durations are never negative), in seconds:
/// what [`Distribution::exponential`] returns.
///
/// OTel's `scale` is the native schema, and its bucket `i` holds
/// `(base^i, base^(i+1)]` with `base = 2^(2^-scale)`, so OTel index `i` is
/// Prometheus's native index `i + 1`. The counts are dense from `offset`,
/// with zeros for empty buckets between non-empty ones, as the OTel data
/// model has them.
///
/// ```
/// use perftrack::Distribution;
/// use core::time::Duration;
///
/// let mut d = Distribution::<{ perftrack::histogram::DEFAULT_BUCKETS }>::new();
/// d.record(Duration::from_secs(1)); // 2^0 s: the bucket (2^-1/16, 2^0]
/// d.record(Duration::ZERO);
/// let p = d.exponential();
/// assert_eq!((p.scale, p.zero_count, p.offset), (4, 1, -1));
/// assert_eq!(p.bucket_counts().collect::<Vec<_>>(), [1]);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ExponentialPoint<'a, const B: usize> {
    /// The OTel scale: the native-histogram schema (4 at the default
    /// resolution).
    pub scale: i32,
    /// Records of zero duration (OTel's zero bucket, threshold 0).
    pub zero_count: u64,
    /// The OTel index of the first count in
    /// [`bucket_counts`](Self::bucket_counts): 0 when there is none.
    pub offset: i32,
    distribution: &'a Distribution<B>,
}

impl<const B: usize> ExponentialPoint<'_, B> {
    /// The positive bucket counts, dense from [`offset`](Self::offset) to
    /// the last non-empty bucket.
    pub fn bucket_counts(&self) -> impl Iterator<Item = u64> + '_ {
        let mut next = self.offset;
        native_buckets(self.distribution, self.scale).flat_map(move |(n, c)| {
            let gap = (n - 1 - next).max(0) as usize;
            next = n;
            core::iter::repeat_n(0, gap).chain(core::iter::once(c))
        })
    }
}

impl<const B: usize> Distribution<B> {
    /// This distribution as an OpenTelemetry exponential histogram point
    /// (see [`ExponentialPoint`]): the same buckets, not re-binned.
    #[must_use]
    pub fn exponential(&self) -> ExponentialPoint<'_, B> {
        let scale = const { Layout::of(B) }.schema() as i32;
        let offset = native_buckets(self, scale).next().map_or(0, |(n, _)| n - 1);
        ExponentialPoint { scale, zero_count: self.counts().first().copied().unwrap_or(0), offset, distribution: self }
    }
}
