//! `Distribution`: a copy of an operation's duration histogram, over all of
//! its history (or an interval between two copies), and the quantiles read
//! from it.

use core::fmt;
use core::time::Duration;

use crate::histogram::buckets::{DEFAULT_BUCKETS, Layout};

/// The durations of a set of records, as a histogram on the native-histogram grid: what
/// [`Operation::distribution`](crate::Operation::distribution) and
/// [`Tracker::distribution`](crate::Tracker::distribution) return, and what
/// [`MetricsSummary`](crate::MetricsSummary)'s quantiles are read from.
///
/// A snapshot's distribution holds exactly the records its count and totals
/// hold (I2): [`count`](Self::count) equals the summary's `count`, while
/// writers run.
///
/// # Accuracy
///
/// [`quantile(q)`](Self::quantile) finds the bucket that holds the record
/// of nearest rank `⌈q·count⌉` (counted from 1; rank 1 for `q = 0`) and
/// returns that bucket's midpoint, kept within the recorded minimum and
/// maximum (rank 1 and the last rank return them exactly). So it is within
/// [`relative_error`](Self::relative_error) of the exact nearest-rank value
/// of the same records: 1/35 (2.86%) at the default
/// [`FINE_BUCKETS`](crate::histogram::FINE_BUCKETS), 1/10 at
/// [`COARSE_BUCKETS`](crate::histogram::COARSE_BUCKETS). That bound comes from the
/// smallest buckets, where the midpoint is rounded to a whole nanosecond; in
/// general the error is under half a bucket's width plus half a nanosecond,
/// `0.0221·v + 0.5 ns` (`0.0946·v + 0.5 ns` coarse), so 2.2% once durations
/// pass a microsecond. Durations under 32 ns (9 ns coarse) are exact.
/// Durations past the bucket that holds one hour share one top bucket, whose
/// quantiles read as the recorded maximum.
///
/// The buckets are those of a Prometheus native histogram of schema 4
/// (schema 2 coarse): bucket `n` holds `(2^((n-1)/16), 2^(n/16)]` seconds.
/// [`exponential`](Self::exponential) gives them as an OpenTelemetry
/// exponential histogram, and
/// [`Tracker::write_protobuf`](crate::Tracker::write_protobuf) as a native
/// histogram, both without re-binning.
///
/// ```
/// use perftrack::Tracker;
/// use core::time::Duration;
///
/// static T: Tracker<1, 8> = Tracker::new();
/// let op = T.operation("rpc")?;
/// for us in 1..=100u64 {
///     op.record(Duration::from_micros(us), 0);
/// }
/// let d = op.distribution();
/// assert_eq!(d.count(), 100);
/// let p99 = d.quantile(0.99).unwrap().as_nanos() as f64;
/// assert!((p99 - 99_000.0).abs() <= 99_000.0 * d.relative_error());
/// # Ok::<(), perftrack::TrackerError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Distribution<const BUCKETS: usize = DEFAULT_BUCKETS> {
    counts: [u64; BUCKETS],
    count: u64,
    /// Exact for a snapshot; a bucket's midpoint for an interval. 0 when empty.
    min_ns: u64,
    max_ns: u64,
}

impl<const BUCKETS: usize> Distribution<BUCKETS> {
    const LAYOUT: Layout = Layout::of(BUCKETS);

    /// An empty distribution: the "earlier" of an interval that starts at
    /// the beginning.
    #[must_use]
    pub const fn new() -> Self {
        Self { counts: [0; BUCKETS], count: 0, min_ns: 0, max_ns: 0 }
    }

    /// A distribution filled in place by `fill` (which adds a snapshot's
    /// bucket counts into the zeroed array and returns the same records' exact
    /// minimum and maximum), so that its kilobytes are never moved.
    #[inline]
    pub(crate) fn filled(fill: impl FnOnce(&mut [u64; BUCKETS]) -> (u64, u64)) -> Self {
        let mut d = Self::new();
        let (min_ns, max_ns) = fill(&mut d.counts);
        d.seal(min_ns, max_ns);
        d
    }

    /// Sets the count from the buckets, and the extremes (kept only when
    /// there are records).
    fn seal(&mut self, min_ns: u64, max_ns: u64) {
        self.count = self.counts.iter().fold(0u64, |a, &c| a.saturating_add(c));
        (self.min_ns, self.max_ns) = if self.count == 0 { (0, 0) } else { (min_ns, max_ns) };
    }

    /// A snapshot's distribution: its bucket counts, and the exact minimum
    /// and maximum of the same records (ignored when there are none).
    pub(crate) fn from_snapshot(counts: [u64; BUCKETS], min_ns: u64, max_ns: u64) -> Self {
        let mut d = Self { counts, count: 0, min_ns: 0, max_ns: 0 };
        d.seal(min_ns, max_ns);
        d
    }

    /// A distribution from bucket counts alone: its minimum and maximum are
    /// read from its outermost non-empty buckets as quantiles are (their
    /// midpoints), the maximum kept at or below `cap_ns`.
    fn from_counts(counts: [u64; BUCKETS], cap_ns: u64) -> Self {
        let l = Self::LAYOUT;
        let first = counts.iter().position(|&c| c != 0);
        let last = counts.iter().rposition(|&c| c != 0);
        let (min_ns, max_ns) = match (first, last) {
            (Some(a), Some(b)) => {
                let min = l.midpoint(a).min(cap_ns);
                (min, l.midpoint(b).min(cap_ns).max(min))
            }
            _ => (0, 0),
        };
        Self::from_snapshot(counts, min_ns, max_ns)
    }

    /// The number of records.
    #[must_use]
    pub const fn count(&self) -> u64 {
        self.count
    }

    /// The quantile `q` of the durations, by nearest rank, read as described
    /// under "Accuracy" above; `None` when there are no records.
    ///
    /// A `q` below 0 is read as 0 (the minimum) and above 1 as 1 (the
    /// maximum); a NaN `q` returns `None`. It never panics.
    #[must_use]
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        let [d] = self.quantiles([q]);
        d
    }

    /// Several quantiles in one walk over the buckets (a summary's four),
    /// each as [`quantile`](Self::quantile) reads it. `qs` in rising order
    /// walk once; any order gives the same answers.
    pub(crate) fn quantiles<const N: usize>(&self, qs: [f64; N]) -> [Option<Duration>; N] {
        let mut out = [None; N];
        let (mut i, mut seen) = (0usize, 0u64);
        for (slot, q) in out.iter_mut().zip(qs) {
            let Some(rank) = self.rank(q) else { continue };
            // The first and last ranks are the recorded extremes: exact when
            // they are known (a snapshot's are).
            if rank == self.count {
                *slot = Some(Duration::from_nanos(self.max_ns));
                continue;
            }
            if rank == 1 {
                *slot = Some(Duration::from_nanos(self.min_ns));
                continue;
            }
            // Walk on from where the last quantile stopped, or start over
            // when this one is lower.
            if seen >= rank {
                (i, seen) = (0, 0);
            }
            while let Some(&c) = self.counts.get(i) {
                seen = seen.saturating_add(c);
                if seen >= rank {
                    break;
                }
                i += 1;
            }
            if let Some(&c) = self.counts.get(i) {
                let ns = Self::LAYOUT.midpoint(i).clamp(self.min_ns, self.max_ns);
                *slot = Some(Duration::from_nanos(ns));
                // Stay on this bucket: the next rank may fall in it too.
                seen = seen.saturating_sub(c);
            }
        }
        out
    }

    /// The nearest rank of `q`, `⌈q·count⌉` in `1..=count`; `None` with no
    /// records or a NaN `q`.
    fn rank(&self, q: f64) -> Option<u64> {
        if self.count == 0 || q.is_nan() {
            return None;
        }
        let q = q.clamp(0.0, 1.0);
        // rank = ceil(q·count), at least 1, without `f64::ceil` (not in core).
        let exact = q * self.count as f64;
        let mut rank = exact as u64;
        if (rank as f64) < exact {
            rank += 1;
        }
        Some(rank.clamp(1, self.count))
    }

    /// The non-empty buckets, shortest first: each bucket's upper bound
    /// (inclusive, so a record of exactly that duration is in it) and its
    /// count. The top bucket's bound is `u64::MAX` nanoseconds.
    pub fn buckets(&self) -> impl Iterator<Item = (Duration, u64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|&(_, &c)| c != 0)
            .map(|(i, &c)| (Duration::from_nanos(Self::upper_ns(i)), c))
    }

    /// The records in `self` that are not in `earlier`: the interval between
    /// two snapshots of one operation, `earlier` taken first.
    ///
    /// Its minimum and maximum are not known exactly: they are read from the
    /// interval's lowest and highest non-empty buckets, as quantiles are
    /// (their midpoints, so within [`relative_error`](Self::relative_error);
    /// the maximum kept at or below `self`'s). A bucket that holds fewer records in `self` than
    /// in `earlier` (the two are not snapshots of one operation in that
    /// order) counts as empty.
    ///
    /// ```
    /// use perftrack::Tracker;
    /// use core::time::Duration;
    ///
    /// static T: Tracker<1, 8> = Tracker::new();
    /// let op = T.operation("tick")?;
    /// op.record(Duration::from_millis(10), 0);
    /// let before = op.distribution();
    /// op.record(Duration::from_micros(5), 0);
    /// op.record(Duration::from_micros(5), 0);
    /// let interval = op.distribution().since(&before);
    /// assert_eq!(interval.count(), 2);
    /// // The 10 ms record is not in the interval.
    /// assert!(interval.quantile(1.0).unwrap() < Duration::from_micros(6));
    /// # Ok::<(), perftrack::TrackerError>(())
    /// ```
    #[must_use]
    pub fn since(&self, earlier: &Self) -> Self {
        let mut counts = self.counts;
        for (c, e) in counts.iter_mut().zip(&earlier.counts) {
            *c = c.saturating_sub(*e);
        }
        Self::from_counts(counts, self.max_ns)
    }

    /// Adds one record of duration `d`, outside any tracker: for building a
    /// distribution offline (from a log, a simulation, a test). Saturating;
    /// no allocation.
    ///
    /// ```
    /// use perftrack::Distribution;
    /// use core::time::Duration;
    ///
    /// let mut d = Distribution::<{ perftrack::histogram::DEFAULT_BUCKETS }>::new();
    /// for us in [3, 1, 2] {
    ///     d.record(Duration::from_micros(us));
    /// }
    /// assert_eq!((d.count(), d.min(), d.max()), (3, Some(Duration::from_micros(1)), Some(Duration::from_micros(3))));
    /// ```
    pub fn record(&mut self, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        if let Some(c) = self.counts.get_mut(Self::LAYOUT.index(ns)) {
            *c = c.saturating_add(1);
        }
        let (min_ns, max_ns) = if self.count == 0 { (ns, ns) } else { (self.min_ns.min(ns), self.max_ns.max(ns)) };
        self.count = self.count.saturating_add(1);
        self.min_ns = min_ns;
        self.max_ns = max_ns;
    }

    /// Adds another distribution's records (another operation's, or one read
    /// back from another process's JSON history): bucket by bucket,
    /// saturating.
    pub fn merge(&mut self, other: &Self) {
        if other.count == 0 {
            return;
        }
        let (min_ns, max_ns) = if self.count == 0 {
            (other.min_ns, other.max_ns)
        } else {
            (self.min_ns.min(other.min_ns), self.max_ns.max(other.max_ns))
        };
        for (c, o) in self.counts.iter_mut().zip(&other.counts) {
            *c = c.saturating_add(*o);
        }
        *self = Self::from_snapshot(self.counts, min_ns, max_ns);
    }

    /// The bound on a quantile's relative error, `|reported - exact| / exact`,
    /// at this resolution: 1/35 for [`FINE_BUCKETS`](crate::histogram::FINE_BUCKETS),
    /// 1/10 for [`COARSE_BUCKETS`](crate::histogram::COARSE_BUCKETS) (see "Accuracy"
    /// above).
    #[must_use]
    pub const fn relative_error(&self) -> f64 {
        Self::LAYOUT.relative_error()
    }

    /// The smallest duration, or `None` with no records (read from a bucket,
    /// within the relative error, for an interval from [`since`](Self::since)).
    #[must_use]
    pub fn min(&self) -> Option<Duration> {
        (self.count > 0).then(|| Duration::from_nanos(self.min_ns))
    }

    /// The largest duration, or `None` with no records (read from a bucket,
    /// within the relative error, for an interval from [`since`](Self::since)).
    #[must_use]
    pub fn max(&self) -> Option<Duration> {
        (self.count > 0).then(|| Duration::from_nanos(self.max_ns))
    }

    /// Every bucket's count, including the empty ones (for exporters).
    pub(crate) fn counts(&self) -> &[u64; BUCKETS] {
        &self.counts
    }

    /// The upper bound (inclusive, ns) of bucket `i`.
    pub(crate) fn upper_ns(i: usize) -> u64 {
        Self::LAYOUT.upper(i)
    }

    /// The lower bound (inclusive, ns) of bucket `i`.
    #[cfg(feature = "serde")]
    pub(crate) fn lower_ns(i: usize) -> u64 {
        Self::LAYOUT.lower(i)
    }
}

impl<const BUCKETS: usize> Default for Distribution<BUCKETS> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const BUCKETS: usize> fmt::Debug for Distribution<BUCKETS> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct NonEmpty<'a, const B: usize>(&'a Distribution<B>);
        impl<const B: usize> fmt::Debug for NonEmpty<'_, B> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_map().entries(self.0.buckets().map(|(d, c)| (d.as_nanos(), c))).finish()
            }
        }
        f.debug_struct("Distribution")
            .field("count", &self.count)
            .field("min_ns", &self.min_ns)
            .field("max_ns", &self.max_ns)
            .field("buckets_le_ns", &NonEmpty(self))
            .finish()
    }
}

/// serde: `{"min_ns": …, "max_ns": …, "buckets": [[upper_ns, count], …]}`,
/// non-empty buckets only, so a JSON line stays short.
#[cfg(feature = "serde")]
mod serde_impl {
    use core::fmt;

    use serde::de::{self, MapAccess, SeqAccess, Visitor};
    use serde::ser::{SerializeSeq, SerializeStruct};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::Distribution;

    struct Sparse<'a, const B: usize>(&'a Distribution<B>);

    impl<const B: usize> Serialize for Sparse<'_, B> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let n = self.0.counts.iter().filter(|&&c| c != 0).count();
            let mut seq = s.serialize_seq(Some(n))?;
            for (i, &c) in self.0.counts.iter().enumerate().filter(|&(_, &c)| c != 0) {
                seq.serialize_element(&(Distribution::<B>::upper_ns(i), c))?;
            }
            seq.end()
        }
    }

    impl<const B: usize> Serialize for Distribution<B> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut st = s.serialize_struct("Distribution", 3)?;
            st.serialize_field("min_ns", &self.min_ns)?;
            st.serialize_field("max_ns", &self.max_ns)?;
            st.serialize_field("buckets", &Sparse(self))?;
            st.end()
        }
    }

    /// The bucket list, read into a fixed array.
    struct Counts<const B: usize>([u64; B]);

    impl<'de, const B: usize> Deserialize<'de> for Counts<B> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V<const B: usize>;
            impl<'de, const B: usize> Visitor<'de> for V<B> {
                type Value = Counts<B>;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a list of [upper_ns, count] pairs")
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                    let mut counts = [0u64; B];
                    while let Some((upper, count)) = seq.next_element::<(u64, u64)>()? {
                        let i = Distribution::<B>::LAYOUT.index(upper);
                        if Distribution::<B>::upper_ns(i) != upper {
                            return Err(de::Error::custom(format_args!(
                                "{upper} ns is not a bucket bound of a {B}-bucket distribution \
                                 (written at another resolution?)"
                            )));
                        }
                        if let Some(c) = counts.get_mut(i) {
                            *c = c.saturating_add(count);
                        }
                    }
                    Ok(Counts(counts))
                }
            }
            d.deserialize_seq(V::<B>)
        }
    }

    impl<'de, const B: usize> Deserialize<'de> for Distribution<B> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V<const B: usize>;
            impl<'de, const B: usize> Visitor<'de> for V<B> {
                type Value = Distribution<B>;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a distribution: min_ns, max_ns and buckets")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                    let (mut min, mut max, mut counts) = (None, None, None);
                    while let Some(key) = map.next_key::<heapless::String<8>>()? {
                        match key.as_str() {
                            "min_ns" => min = Some(map.next_value::<u64>()?),
                            "max_ns" => max = Some(map.next_value::<u64>()?),
                            "buckets" => counts = Some(map.next_value::<Counts<B>>()?.0),
                            _ => {
                                map.next_value::<de::IgnoredAny>()?;
                            }
                        }
                    }
                    let counts = counts.ok_or_else(|| de::Error::missing_field("buckets"))?;
                    let min = min.ok_or_else(|| de::Error::missing_field("min_ns"))?;
                    let max = max.ok_or_else(|| de::Error::missing_field("max_ns"))?;
                    Distribution::checked(counts, min, max).map_err(de::Error::custom)
                }
            }
            d.deserialize_struct("Distribution", &["min_ns", "max_ns", "buckets"], V::<B>)
        }
    }

    impl<const B: usize> Distribution<B> {
        /// A distribution read back from outside, whose extremes must lie in
        /// its outermost non-empty buckets (so `min <= max`, and no later
        /// quantile or interval can be thrown off or panic).
        fn checked(counts: [u64; B], min: u64, max: u64) -> Result<Self, BadExtremes> {
            let first = counts.iter().position(|&c| c != 0);
            let last = counts.iter().rposition(|&c| c != 0);
            if let (Some(first), Some(last)) = (first, last) {
                let layout = Self::LAYOUT;
                if min > max || layout.index(min) != first || layout.index(max) != last {
                    return Err(BadExtremes { min, max, low: layout.lower(first), high: Self::upper_ns(last) });
                }
            }
            Ok(Self::from_snapshot(counts, min, max))
        }
    }

    /// Extremes that do not fit the buckets they came with.
    struct BadExtremes {
        min: u64,
        max: u64,
        low: u64,
        high: u64,
    }

    impl fmt::Display for BadExtremes {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let Self { min, max, low, high } = self;
            write!(
                f,
                "min_ns {min} and max_ns {max} must lie in the outermost non-empty buckets, \
                 from {low} to {high} ns, with min_ns <= max_ns"
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::histogram::buckets::FINE_BUCKETS;

    fn dist(values: &[u64]) -> Distribution<FINE_BUCKETS> {
        let l = Layout::of(FINE_BUCKETS);
        let mut counts = [0u64; FINE_BUCKETS];
        for &v in values {
            counts[l.index(v)] += 1;
        }
        let min = values.iter().copied().min().unwrap_or(0);
        let max = values.iter().copied().max().unwrap_or(0);
        Distribution::from_snapshot(counts, min, max)
    }

    #[test]
    fn an_empty_distribution_has_no_quantiles() {
        let d = dist(&[]);
        assert_eq!((d.count(), d.quantile(0.5), d.min()), (0, None, None));
        assert_eq!(d.buckets().count(), 0);
    }

    #[test]
    fn q_outside_zero_to_one_is_clamped_and_nan_is_rejected() {
        let d = dist(&[10, 20, 30]);
        assert_eq!(d.quantile(-1.0), d.quantile(0.0));
        assert_eq!(d.quantile(f64::INFINITY), d.quantile(1.0));
        assert_eq!(d.quantile(f64::NEG_INFINITY), Some(Duration::from_nanos(10)));
        assert_eq!(d.quantile(f64::NAN), None);
        assert_eq!(d.quantile(1.0), Some(Duration::from_nanos(30)));
    }

    #[test]
    fn nearest_rank_picks_the_bucket_of_the_ceil_q_n_th_record() {
        // 1..=30 ns: each value has an exact bucket of its own.
        let values: [u64; 30] = core::array::from_fn(|i| i as u64 + 1);
        let d = dist(&values);
        assert_eq!(d.quantile(0.5), Some(Duration::from_nanos(15)));
        assert_eq!(d.quantile(0.51), Some(Duration::from_nanos(16)));
        assert_eq!(d.quantile(0.0), Some(Duration::from_nanos(1)));
    }

    #[test]
    fn quantiles_in_one_walk_equal_each_quantile_alone_in_any_order() {
        let values: std::vec::Vec<u64> = (1..=2_000u64).map(|i| i * i % 100_003 + i).collect();
        let d = dist(&values);
        let qs = [0.0, 0.1, 0.5, 0.5, 0.9, 0.99, 0.999, 1.0, 0.3, 0.0005, f64::NAN, 0.75];
        let together = d.quantiles(qs);
        for (q, got) in qs.into_iter().zip(together) {
            assert_eq!(got, d.quantile(q), "q = {q}");
        }
        // Each alone, read from the walk of one: the bucket of the rank.
        let alone = |q: f64| {
            let rank = ((q * 2_000.0).ceil() as u64).max(1);
            let mut sorted = values.clone();
            sorted.sort_unstable();
            sorted[rank as usize - 1]
        };
        for q in [0.1, 0.5, 0.9, 0.99] {
            let got = d.quantile(q).unwrap().as_nanos() as f64;
            let exact = alone(q) as f64;
            assert!((got - exact).abs() <= exact * d.relative_error(), "q = {q}: {got} vs {exact}");
        }
    }

    #[test]
    fn the_top_bucket_reads_as_the_recorded_maximum() {
        let big = 5u64 << 42;
        let d = dist(&[big, big + 1]);
        assert_eq!(d.quantile(0.99), Some(Duration::from_nanos(big + 1)));
        assert_eq!(d.buckets().next(), Some((Duration::from_nanos(u64::MAX), 2)));
    }

    #[test]
    fn since_keeps_only_the_interval_with_extremes_read_from_its_buckets() {
        let before = dist(&[1_000_000]);
        let after = dist(&[1_000_000, 5_000, 7_000]);
        let i = after.since(&before);
        assert_eq!(i.count(), 2);
        for (got, exact) in [(i.min(), 5_000.0), (i.max(), 7_000.0), (i.quantile(1.0), 7_000.0)] {
            let got = got.unwrap().as_nanos() as f64;
            assert!((got - exact).abs() <= exact * i.relative_error(), "{got} vs {exact}");
        }
        // Not an earlier snapshot: buckets saturate at zero instead of wrapping.
        assert_eq!(before.since(&after).count(), 0);
    }

    #[test]
    fn merge_adds_counts_and_widens_extremes() {
        let mut a = dist(&[10, 20]);
        a.merge(&dist(&[5, 1_000]));
        assert_eq!(
            (a.count(), a.min(), a.max()),
            (4, Some(Duration::from_nanos(5)), Some(Duration::from_nanos(1_000)))
        );
        let mut e = Distribution::<FINE_BUCKETS>::new();
        e.merge(&dist(&[7]));
        assert_eq!(e.min(), Some(Duration::from_nanos(7)));
    }
}
