//! The histogram's bucket layout: which bucket a duration falls in, and what
//! each bucket spans. Pure integer arithmetic, `const`, no float: it runs on
//! the record path.
//!
//! # Log-linear buckets
//!
//! With `b` sub-bucket bits (`S = 2^b` sub-buckets per power of two):
//!
//! * durations below `2·S` ns each have a bucket of their own (exact);
//! * above that, each power of two `[2^e, 2^(e+1))` is split into `S` equal
//!   buckets, of width `2^(e-b)`.
//!
//! So a bucket's width is at most `1/S` of its lower bound, and its midpoint
//! is within `1/(2S)` of any value in it: 1/32 at `b = 4`
//! ([`FINE_BUCKETS`]), 1/8 at `b = 2` ([`COARSE_BUCKETS`]). Buckets run up to
//! `2^42` ns (73 minutes); every longer duration lands in one last *top*
//! bucket, still counted.
//!
//! A tracker's bucket count (its `BUCKETS` parameter) picks `b`: the largest
//! `b <= 4` whose whole range fits in that many buckets. A smaller count
//! keeps `b = 0` and covers a shorter range, with the rest in the top bucket.

/// The exponent whose power of two ends the bucketed range: `2^42` ns is
/// about 73 minutes, the first duration past "at least one hour".
const RANGE_EXP: u32 = 42;

/// The finest sub-bucket bits offered.
const MAX_SUB_BITS: u32 = 4;

/// Buckets needed to cover 0 ns to `2^42` ns at `b` sub-bucket bits, plus
/// the top bucket.
const fn full_len(b: u32) -> usize {
    ((RANGE_EXP + 1 - b) as usize) << b | 1
}

/// The default resolution: 16 sub-buckets per power of two, so every
/// quantile is within 1/32 (3.125%) of the exact value. 625 buckets, 5,000
/// bytes per histogram.
pub const FINE_BUCKETS: usize = full_len(4);

/// The resolution for small MCUs: 4 sub-buckets per power of two, so every
/// quantile is within 1/8 (12.5%) of the exact value. 165 buckets, 1,320
/// bytes per histogram.
pub const COARSE_BUCKETS: usize = full_len(2);

/// The bucket count a tracker has unless it names one: [`FINE_BUCKETS`].
pub const DEFAULT_BUCKETS: usize = FINE_BUCKETS;

use core::ops::RangeInclusive;

/// A bucket layout: `len` buckets at `sub_bits` sub-bucket bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    sub_bits: u32,
    len: usize,
}

impl Layout {
    /// The layout of `len` buckets (at least 2: a tracker checks it at
    /// compile time).
    pub(crate) const fn of(len: usize) -> Self {
        let mut b = MAX_SUB_BITS;
        while b > 0 && full_len(b) > len {
            b -= 1;
        }
        Self { sub_bits: b, len }
    }

    /// Sub-bucket bits.
    pub(crate) const fn sub_bits(self) -> u32 {
        self.sub_bits
    }

    /// The bucket of a duration of `ns` nanoseconds.
    #[inline]
    pub(crate) const fn index(self, ns: u64) -> usize {
        let b = self.sub_bits;
        let raw = if ns < 2 << b {
            ns as usize
        } else {
            // e >= b + 1 here: the top b + 1 bits of `ns` pick the bucket.
            let e = 63 - ns.leading_zeros();
            let top = (ns >> (e - b)) as usize; // in [S, 2S)
            (((e - b) as usize) << b) + top
        };
        if raw < self.len { raw } else { self.len - 1 }
    }

    /// The buckets a set of records with these extremes can occupy.
    #[inline]
    pub(crate) const fn span(self, min_ns: u64, max_ns: u64) -> RangeInclusive<usize> {
        self.index(min_ns)..=self.index(max_ns)
    }

    /// The smallest duration in bucket `i`, in nanoseconds.
    pub(crate) const fn lower(self, i: usize) -> u64 {
        let b = self.sub_bits;
        let s = 1usize << b;
        if i < 2 * s {
            i as u64
        } else {
            let shift = (i >> b) - 1; // e - b
            ((s + (i & (s - 1))) as u64) << shift
        }
    }

    /// The largest duration in bucket `i` (inclusive), in nanoseconds; the
    /// top bucket has none below `u64::MAX`.
    pub(crate) const fn upper(self, i: usize) -> u64 {
        if i + 1 >= self.len { u64::MAX } else { self.lower(i + 1) - 1 }
    }

    /// The value a quantile in bucket `i` is read as: its midpoint, rounded
    /// down (the bucket's own value where it is one nanosecond wide). The
    /// top bucket has no midpoint: it reads as `u64::MAX`, which callers
    /// clamp to the recorded maximum.
    pub(crate) const fn midpoint(self, i: usize) -> u64 {
        if i + 1 >= self.len {
            return u64::MAX;
        }
        let lo = self.lower(i);
        lo + (self.lower(i + 1) - lo) / 2
    }

    /// The bound on `|midpoint - v| / v` for any `v` in a bucket below the
    /// top one: `1 / 2^(b + 1)`.
    pub(crate) const fn relative_error(self) -> f64 {
        1.0 / (2u64 << self.sub_bits) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_named_resolutions_have_the_documented_bucket_counts() {
        assert_eq!((FINE_BUCKETS, COARSE_BUCKETS), (625, 165));
        assert_eq!(Layout::of(FINE_BUCKETS).sub_bits(), 4);
        assert_eq!(Layout::of(COARSE_BUCKETS).sub_bits(), 2);
        assert_eq!(Layout::of(4).sub_bits(), 0);
    }

    #[test]
    fn buckets_tile_the_range_with_no_gap_and_no_overlap() {
        for len in [FINE_BUCKETS, COARSE_BUCKETS, 321, 85, 44, 4] {
            let l = Layout::of(len);
            assert_eq!(l.lower(0), 0);
            for i in 0..len - 1 {
                assert_eq!(l.upper(i) + 1, l.lower(i + 1), "len {len} bucket {i}");
                assert_eq!(l.index(l.lower(i)), i, "len {len} bucket {i} lower");
                assert_eq!(l.index(l.upper(i)), i, "len {len} bucket {i} upper");
                let mid = l.midpoint(i);
                assert!(l.lower(i) <= mid && mid <= l.upper(i));
            }
            assert_eq!(l.index(u64::MAX), len - 1);
            assert_eq!(l.upper(len - 1), u64::MAX);
        }
    }

    #[test]
    fn the_full_layouts_reach_past_one_hour_before_the_top_bucket() {
        for len in [FINE_BUCKETS, COARSE_BUCKETS] {
            let l = Layout::of(len);
            let hour = 3_600_000_000_000u64;
            assert!(l.index(hour) < len - 1);
            assert_eq!(l.lower(len - 1), 1 << RANGE_EXP);
        }
    }

    #[test]
    fn a_midpoint_is_within_the_stated_relative_error_of_every_value_in_its_bucket() {
        for len in [FINE_BUCKETS, COARSE_BUCKETS] {
            let l = Layout::of(len);
            let bound = l.relative_error();
            for i in 1..len - 1 {
                let mid = l.midpoint(i) as f64;
                for v in [l.lower(i), l.upper(i)] {
                    let err = (mid - v as f64).abs() / v as f64;
                    assert!(err <= bound, "len {len} bucket {i} value {v}: {err} > {bound}");
                }
            }
        }
    }
}
