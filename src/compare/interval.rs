//! Confidence intervals from a histogram, for a diff's verdicts: a quantile's
//! from the ranks of order statistics (distribution-free), widened to the
//! bounds of the buckets those ranks fall in; the mean's from the normal
//! approximation.
//!
//! # The quantile interval
//!
//! Of `n` independent records of one distribution, the number below its
//! true `q`-quantile is Binomial(`n`, `q`). So the order statistics of ranks
//! `l = ⌊nq − z·√(nq(1−q))⌋` and `u = ⌈nq + z·√(nq(1−q))⌉` bracket the
//! true quantile with probability about `1 − α` (`z` the normal quantile of
//! `1 − α/2`), whatever the distribution: no shape is assumed. A histogram
//! does not hold the records themselves, only their buckets, so each order
//! statistic is read by interpolation inside its bucket ([`at_rank`]); what
//! that reading may be off by, the bucket error, is the diff's separate
//! gate (`mod.rs`), never ignored. Ties (many records in one bucket) are
//! ranks like any others. Where `l < 1` or `u > n`, there are too few
//! records to bound the quantile at all.

use crate::histogram::distribution::Distribution;

/// The normal quantile for a two-sided 95% interval.
#[cfg(test)]
pub(crate) const Z95: f64 = 1.959_963_984_540_054;

/// Each side's interval in a comparison of two: `z / √2`, so that two
/// independent estimates with equal spread whose intervals do not overlap
/// differ as a test of their difference at level `z` would say. `z` is
/// 2.878, the two-sided 0.4% level: a diff tests five figures of each
/// operation, so a 1% chance of any false verdict is spread over them
/// (Bonferroni, 0.2% a side per figure).
pub(crate) const Z_PAIR: f64 = 2.878_161_739_095_476 / core::f64::consts::SQRT_2;

/// An interval of durations in nanoseconds, `lo..=hi`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Interval {
    pub(crate) lo: f64,
    pub(crate) hi: f64,
}

/// The duration of the record of rank `rank` (from 1, at most the count),
/// read by linear interpolation inside its bucket: the bucket's records
/// are taken as spread evenly across it. For a smooth distribution this is
/// far closer to the exact order statistic than the bucket's midpoint;
/// whatever the records, it is in the right bucket, so within the bucket's
/// width of the exact value. Kept within the recorded extremes.
pub(crate) fn at_rank<const B: usize>(d: &Distribution<B>, rank: u64) -> Option<f64> {
    let (min, max) = (d.min()?.as_nanos() as f64, d.max()?.as_nanos() as f64);
    let mut below = 0u64;
    for (i, &c) in d.counts().iter().enumerate() {
        if c > 0 && below.saturating_add(c) >= rank {
            let (lo, hi) = (Distribution::<B>::lower_ns(i) as f64, Distribution::<B>::upper_ns(i) as f64 + 1.0);
            let within = ((rank - below) as f64 - 0.5) / c as f64;
            return Some((lo + within * (hi - lo)).clamp(min, max));
        }
        below = below.saturating_add(c);
    }
    None
}

/// `d`'s `q`-quantile by nearest rank, interpolated as [`at_rank`] reads.
pub(crate) fn estimate<const B: usize>(d: &Distribution<B>, q: f64) -> Option<f64> {
    let n = d.count();
    if n == 0 {
        return None;
    }
    let rank = ((q * n as f64).ceil() as u64).clamp(1, n);
    at_rank(d, rank)
}

/// The `1 − α` interval (`z` for it) of `d`'s `q`-quantile, or `None` when
/// `d` has too few records to bound it.
pub(crate) fn quantile<const B: usize>(d: &Distribution<B>, q: f64, z: f64) -> Option<Interval> {
    let n = d.count();
    if n == 0 || !(0.0..=1.0).contains(&q) {
        return None;
    }
    let nf = n as f64;
    let half = z * (nf * q * (1.0 - q)).sqrt();
    let (l, u) = ((nf * q - half).floor(), (nf * q + half).ceil());
    if l < 1.0 || u > nf {
        return None;
    }
    Some(Interval { lo: at_rank(d, l as u64)?, hi: at_rank(d, u as u64)? })
}

/// The median of `v`, which it sorts; `None` when empty.
pub(crate) fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 })
}

/// The standard deviation of `d`'s durations, from its buckets' midpoints
/// (within the bucket error of the exact one); `None` below 2 records.
pub(crate) fn std_dev<const B: usize>(d: &Distribution<B>) -> Option<f64> {
    let n = d.count();
    if n < 2 {
        return None;
    }
    let mid = |i: usize| (Distribution::<B>::lower_ns(i) as f64 + Distribution::<B>::upper_ns(i) as f64) / 2.0;
    let (mut sum, mut sum_sq) = (0.0f64, 0.0f64);
    for (i, &c) in d.counts().iter().enumerate().filter(|&(_, &c)| c > 0) {
        let (x, c) = (mid(i), c as f64);
        sum += c * x;
        sum_sq += c * x * x;
    }
    let nf = n as f64;
    let mean = sum / nf;
    Some(((sum_sq - nf * mean * mean).max(0.0) / (nf - 1.0)).sqrt())
}

#[cfg(test)]
mod tests {
    use core::time::Duration;

    use super::{Z95, estimate, quantile, std_dev};
    use crate::histogram::distribution::Distribution;

    fn of(values: impl IntoIterator<Item = u64>) -> Distribution {
        let mut d = Distribution::new();
        for v in values {
            d.record(Duration::from_nanos(v));
        }
        d
    }

    #[test]
    fn a_quantile_interval_brackets_the_exact_quantile_and_spans_whole_buckets() {
        let d = of(1..=10_000);
        let i = quantile(&d, 0.5, Z95).unwrap();
        assert!(i.lo <= 5_000.0 && 5_000.0 <= i.hi, "{i:?}");
        // About ±98 ranks; uniform records interpolate almost exactly.
        assert!((i.lo - 4_902.0).abs() < 10.0 && (i.hi - 5_099.0).abs() < 10.0, "{i:?}");
    }

    #[test]
    fn an_interpolated_quantile_stays_in_the_bucket_of_the_exact_one_even_for_one_repeated_value() {
        let d = of([1_000_000; 50]);
        assert_eq!(estimate(&d, 0.5), Some(1_000_000.0), "the extremes pin a single value");
        let d = of((1..=10_000).map(|i| i * 100));
        let p90 = estimate(&d, 0.9).unwrap();
        assert!((p90 - 900_000.0).abs() < 900_000.0 / 200.0, "{p90}");
    }

    #[test]
    fn too_few_records_to_bound_a_tail_quantile_give_no_interval() {
        let d = of(1..=100);
        assert!(quantile(&d, 0.999, Z95).is_none(), "100 records cannot bound a p99.9");
        assert!(quantile(&d, 0.5, Z95).is_some());
        assert!(quantile(&Distribution::<625>::new(), 0.5, Z95).is_none());
    }

    #[test]
    fn the_standard_deviation_from_buckets_is_close_to_the_exact_one() {
        let d = of((1..=1_000).map(|i| i * 1_000));
        // Exact: 1,000 × sqrt((1000² − 1) / 12) · sqrt(1000/999).
        let exact = 288_819.0;
        let got = std_dev(&d).unwrap();
        assert!((got - exact).abs() < exact * 0.03, "{got}");
        assert!(std_dev(&of([5])).is_none());
    }
}
