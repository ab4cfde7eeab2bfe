//! The histogram's bucket layout: which bucket a duration falls in, and what
//! each bucket spans. Pure integer arithmetic, `const`, no float: it runs on
//! the record path.
//!
//! # The native-histogram grid
//!
//! The buckets are those of a Prometheus native histogram (and of an
//! OpenTelemetry exponential histogram) of schema `s`, in seconds: native
//! bucket `n` holds the durations in `(2^((n-1)/2^s), 2^(n/2^s)]` seconds,
//! upper-inclusive. So the exported histogram is the internal one, bucket for
//! bucket, and histograms from many processes merge exactly. Schema 4 (16
//! buckets per power of two, each 4.43% wide) is the default
//! ([`FINE_BUCKETS`]); schema 2 (4 per power of two, 18.9% wide) is the one
//! for small MCUs ([`COARSE_BUCKETS`]). A lower schema's bucket is the union
//! of `2^(4-s)` neighbours of schema 4's, so the grids nest.
//!
//! Durations are whole nanoseconds, so the internal buckets are:
//!
//! * bucket 0: zero (the native zero bucket, threshold 0);
//! * below a few tens of nanoseconds (32 ns at schema 4), each whole
//!   nanosecond has a bucket of its own. Most native buckets there are
//!   narrower than a nanosecond: those that hold no whole number are absent,
//!   and the few that hold two are kept as two, so that quantiles stay exact
//!   there (the export adds the pair);
//! * above that, one internal bucket per native bucket, in order;
//! * the last bucket (*top*) holds every duration past the native bucket
//!   that holds one hour.
//!
//! # The index, without float
//!
//! With `v = 2^e · m`, `m` in `[1, 2)`, the schema-4 index is
//! `16e − 478 + ceil(16·log2 m − c)`, where `c = 16·log2(10^9) − 478`. The
//! last term is the number of thresholds `M_j = 2^((j + c)/16)`,
//! `j = 0..16`, that `m` exceeds, and `M_j` does not depend on `e`. So the
//! index needs `v`'s leading-zero count, a 32-entry table that gives the
//! count at the lower end of `m`'s 1/32-wide slice (a slice is narrower than
//! the 4.43% between thresholds, so at most one threshold lies inside it),
//! and one compare against that threshold. `K[j] = ⌊M_j · 2^63⌋` is exact
//! (checked in the tests with integer arithmetic, `K[j]^16 ≤ 2^(530+j) ·
//! 10^144 < (K[j] + 1)^16`), and so is the compare against `v`'s mantissa
//! normalised to 64 bits. The same table gives each bucket's bounds:
//! `⌊2^e · M_j⌋ = K[j] >> (63 − e)`.

use core::ops::RangeInclusive;

/// `⌊M_j · 2^63⌋` for `j` in `0..16`, where `M_j = 2^((j + c)/16)` and
/// `c = 16·log2(10^9) − 478`; then `u64::MAX`, which no mantissa exceeds.
const K: [u64; 17] = [
    0x81ff_a7a9_549c_a6e3,
    0x87c1_1235_836d_16a3,
    0x8dc3_b896_0164_a7d9,
    0x940a_7e28_259f_b382,
    0x9a98_6705_4d51_2391,
    0xa170_9975_dfb0_6757,
    0xa896_5f74_bf06_5071,
    0xb00d_2843_e106_0dc2,
    0xb7d8_8a12_d0dd_9ea0,
    0xbffc_43b7_e604_a922,
    0xc87c_3e7d_03cd_bec3,
    0xd15c_9000_bf21_1c1f,
    0xdaa1_7c2c_d195_55db,
    0xe44f_7742_cb56_e3dd,
    0xee6b_2800_0000_0000,
    0xf8f9_69d9_b5ab_f948,
    u64::MAX,
];

/// For each 1/32-wide slice `t` of the mantissa, `[1 + t/32, 1 + (t+1)/32)`,
/// the number of thresholds below its lower end.
const FIRST: [u8; 32] =
    [0, 1, 2, 2, 3, 3, 4, 5, 5, 6, 6, 7, 7, 8, 9, 9, 10, 10, 10, 11, 11, 12, 12, 13, 13, 13, 14, 14, 15, 15, 15, 16];

/// For each slice `t`, in one word: the one threshold that can lie inside
/// it, `K[FIRST[t]]`, with its low 5 bits replaced by `FIRST[t]`. One load
/// gives both. The compare stays exact: a duration below `2^59` ns (18
/// years) has a mantissa whose low 5 bits are 0, and for such an `m`,
/// `m > K` exactly when `m > (K & !31) | f` for any `f < 32`. (Past that,
/// deep in the top bucket, it may be one bucket off.)
const PACKED: [u64; 32] = {
    let mut packed = [0u64; 32];
    let mut t = 0;
    while t < 32 {
        packed[t] = (K[FIRST[t] as usize] & !31) | FIRST[t] as u64;
        t += 1;
    }
    packed
};

/// The schema-4 index plus this bias is never negative for `v >= 1`
/// (1 ns is index −478); a multiple of 16, so that it divides down to every
/// lower schema.
const BIAS: usize = 480;

/// The finest schema offered.
pub(crate) const MAX_SCHEMA: u32 = 4;

/// One hour, in nanoseconds: the layouts at full length reach it before
/// their top bucket.
const HOUR_NS: u64 = 3_600_000_000_000;

/// `2^(j/16)` for `j` in `0..16`: a bucket bound in seconds is one of these
/// times a power of two (the same table as Prometheus's).
#[cfg(test)]
const ROOTS: [f64; 16] = [
    1.0,
    1.044_273_782_427_413_8,
    1.090_507_732_665_257_7,
    1.138_788_634_756_691_6,
    1.189_207_115_002_721,
    1.241_857_812_073_484,
    1.296_839_554_651_009_6,
    1.354_255_546_936_892_7,
    core::f64::consts::SQRT_2,
    1.476_826_145_939_499_3,
    1.542_210_825_407_940_7,
    1.610_490_331_949_254_3,
    1.681_792_830_507_429,
    1.756_252_160_373_299_5,
    1.834_008_086_409_342_4,
    1.915_206_561_397_147_4,
];

/// The bound on a midpoint's relative error at each schema `s` in `0..=4`:
/// half a native bucket's width over its lower bound, `(2^(2^-s) − 1) / 2`,
/// or, where more, the worst that rounding the midpoint to a whole
/// nanosecond gives in a bucket of two or three nanoseconds (1/35 at schema
/// 4: the bucket of 34 and 35 ns). The tests check every bucket against it.
const MIDPOINT_ERROR: [f64; 5] = [0.5, 0.207_106_781_186_547_57, 0.1, 1.0 / 19.0, 1.0 / 35.0];

/// [`MIDPOINT_ERROR`] as the report prints it: no float formatting, which
/// would cost an MCU kilobytes of code.
const MIDPOINT_ERROR_TEXT: [&str; 5] = ["50%", "20.7%", "10%", "5.3%", "2.9%"];

/// Half a native bucket's width over its lower bound, `(2^(2^-s) − 1) / 2`:
/// the midpoint's error for durations long enough that a nanosecond does
/// not matter.
#[cfg(test)]
const HALF_WIDTH: [f64; 5] =
    [0.5, 0.207_106_781_186_547_57, 0.094_603_557_501_360_51, 0.045_253_866_332_628_845, 0.022_136_891_213_706_877];

/// The schema-4 index of `v >= 1`, plus [`BIAS`].
#[inline]
const fn fine(v: u64) -> usize {
    let z = v.leading_zeros();
    let e = (63 - z) as usize;
    let m = v << z;
    let p = PACKED[((m >> 58) & 31) as usize];
    (e << 4) + (p & 31) as usize + (m > p) as usize + 2
}

/// The largest whole nanosecond in schema-4 native bucket `b − BIAS`, for a
/// biased index `b` from 2 up (1 ns and more).
#[inline]
const fn fine_upper(b: usize) -> u64 {
    let w = b - 2;
    let e = (w >> 4) as u32;
    if e > 63 { u64::MAX } else { K[w & 15] >> (63 - e) }
}

/// The default resolution: schema 4, so every quantile is within 1/35
/// (2.86%) of the exact value, and within 2.21% plus half a nanosecond;
/// durations under 32 ns are exact. 622 buckets, 4,976 bytes per histogram.
pub const FINE_BUCKETS: usize = Grid::new(4).full_len();

/// The resolution for small MCUs: schema 2, so every quantile is within
/// 1/10 of the exact value, and within 9.47% plus half a nanosecond;
/// durations under 9 ns are exact. 165 buckets, 1,320 bytes per histogram.
pub const COARSE_BUCKETS: usize = Grid::new(2).full_len();

/// The bucket count a tracker has unless it names one: [`FINE_BUCKETS`].
pub const DEFAULT_BUCKETS: usize = FINE_BUCKETS;

/// The native grid of one schema, before a length is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Grid {
    schema: u32,
    /// Durations below this have a bucket each (the bucket of their value);
    /// from it up, each bucket is one native bucket.
    direct: u64,
    /// What to take from a biased native index at this schema to get the
    /// internal bucket (wrapping: it may be "negative").
    offset: usize,
}

impl Grid {
    const fn new(schema: u32) -> Self {
        let mut g = Self { schema, direct: u64::MAX, offset: 0 };
        // The first whole nanosecond that shares its native bucket with the
        // one before: below the one before it, each native bucket holds at
        // most one. Below `2^(s+1)` ns every nanosecond keeps its own bucket
        // even where two share a native one, so that a quantile there is
        // exact, as before the native grid (the export adds the pair).
        let mut v = 2;
        while g.native(v) != g.native(v - 1) {
            v += 1;
        }
        let mut d = if v - 1 > 2 << schema { v - 1 } else { 2 << schema };
        // ... and from the start of a native bucket.
        while g.native(d) == g.native(d - 1) {
            d += 1;
        }
        g.direct = d;
        g.offset = g.native(g.direct).wrapping_sub(g.direct as usize);
        g
    }

    /// The biased native index of `v >= 1` at this schema.
    #[inline]
    const fn native(self, v: u64) -> usize {
        let r = MAX_SCHEMA - self.schema;
        (fine(v) + (1 << r) - 1) >> r
    }

    /// The internal bucket of `v`, before the top is cut.
    #[inline]
    const fn bucket(self, v: u64) -> usize {
        if v < self.direct { v as usize } else { self.native(v).wrapping_sub(self.offset) }
    }

    /// Buckets to reach one hour, plus the top one.
    const fn full_len(self) -> usize {
        self.bucket(HOUR_NS) + 2
    }
}

/// A bucket layout: `len` buckets on the native grid of one schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    grid: Grid,
    len: usize,
}

impl Layout {
    /// The layout of `len` buckets (at least 2: a tracker checks it at
    /// compile time): the finest schema whose buckets reach one hour in
    /// `len`, else schema 0 over a shorter range.
    pub(crate) const fn of(len: usize) -> Self {
        let mut s = MAX_SCHEMA;
        while s > 0 && Grid::new(s).full_len() > len {
            s -= 1;
        }
        Self { grid: Grid::new(s), len }
    }

    /// The native-histogram schema.
    pub(crate) const fn schema(self) -> u32 {
        self.grid.schema
    }

    /// The bucket of a duration of `ns` nanoseconds.
    #[inline]
    pub(crate) const fn index(self, ns: u64) -> usize {
        let raw = self.grid.bucket(ns);
        if raw < self.len { raw } else { self.len - 1 }
    }

    /// The buckets a set of records with these extremes can occupy.
    #[inline]
    pub(crate) const fn span(self, min_ns: u64, max_ns: u64) -> RangeInclusive<usize> {
        self.index(min_ns)..=self.index(max_ns)
    }

    /// The largest duration in bucket `i` (inclusive), in nanoseconds; the
    /// top bucket has none below `u64::MAX`.
    #[inline]
    pub(crate) const fn upper(self, i: usize) -> u64 {
        if i + 1 >= self.len {
            u64::MAX
        } else if (i as u64) < self.grid.direct {
            i as u64
        } else {
            let r = MAX_SCHEMA - self.grid.schema;
            fine_upper(i.wrapping_add(self.grid.offset) << r)
        }
    }

    /// The smallest duration in bucket `i`, in nanoseconds.
    #[inline]
    pub(crate) const fn lower(self, i: usize) -> u64 {
        if i == 0 { 0 } else { self.upper(i - 1).saturating_add(1) }
    }

    /// The value a quantile in bucket `i` is read as: its midpoint, rounded
    /// down (the bucket's own value where it is one nanosecond wide). The
    /// top bucket has no midpoint: it reads as `u64::MAX`, which callers
    /// clamp to the recorded maximum.
    #[inline]
    pub(crate) const fn midpoint(self, i: usize) -> u64 {
        if i + 1 >= self.len {
            return u64::MAX;
        }
        let lo = self.lower(i);
        lo + (self.upper(i) - lo) / 2
    }

    /// The bound on `|midpoint - v| / v` for any `v` in a bucket below the
    /// top one (see [`MIDPOINT_ERROR`]).
    pub(crate) const fn relative_error(self) -> f64 {
        MIDPOINT_ERROR[self.grid.schema as usize]
    }

    /// [`relative_error`](Self::relative_error) as a percentage, for text.
    pub(crate) const fn relative_error_text(self) -> &'static str {
        MIDPOINT_ERROR_TEXT[self.grid.schema as usize]
    }

    /// Half a native bucket's width over its lower bound: with the half
    /// nanosecond of rounding, `|midpoint - v| < half_width · v + 0.5 ns`.
    #[cfg(test)]
    pub(crate) const fn half_width(self) -> f64 {
        HALF_WIDTH[self.grid.schema as usize]
    }

    /// The native-histogram index of bucket `i`, or `None` for the zero
    /// bucket (0) and the top bucket (which is not one native bucket).
    /// Rising with `i`; below `direct`, two neighbours may share one.
    pub(crate) const fn native(self, i: usize) -> Option<i32> {
        if i == 0 || i + 1 >= self.len {
            return None;
        }
        let r = MAX_SCHEMA - self.grid.schema;
        let biased =
            if (i as u64) < self.grid.direct { self.grid.native(i as u64) } else { i.wrapping_add(self.grid.offset) };
        Some(biased as i32 - (BIAS >> r) as i32)
    }
}

impl Layout {
    /// The native index, at this layout's schema, of any duration of at
    /// least 1 ns, past the top bucket's start too.
    pub(crate) const fn native_of(self, ns: u64) -> i32 {
        let r = MAX_SCHEMA - self.grid.schema;
        let ns = if ns == 0 { 1 } else { ns };
        self.grid.native(ns) as i32 - (BIAS >> r) as i32
    }
}

/// The largest whole nanosecond within schema-4 native bucket `n4`: every
/// duration up to it is in that bucket or an earlier one.
pub(crate) const fn fine_bound_ns(n4: i32) -> u64 {
    let b = n4 as i64 + BIAS as i64;
    if b < 2 { 0 } else { fine_upper(b as usize) }
}

/// The upper bound of native bucket `n` at `schema`, in seconds:
/// `2^(n / 2^schema)`, computed as Prometheus computes it (a table root times
/// a power of two), so the two agree to the bit.
#[cfg(test)]
pub(crate) fn native_upper_seconds(schema: u32, n: i32) -> f64 {
    let n4 = n << (MAX_SCHEMA - schema.min(MAX_SCHEMA));
    let (root, exp) = (ROOTS[(n4 & 15) as usize], n4 >> 4);
    root * pow2(exp)
}

/// `2^k` as an `f64`, exactly, for `k` in the normal range.
#[cfg(test)]
fn pow2(k: i32) -> f64 {
    let k = k.clamp(-1022, 1023);
    f64::from_bits(((k + 1023) as u64) << 52)
}

#[cfg(test)]
mod tests {
    use super::*;

    extern crate std;
    use std::vec::Vec;

    /// Little-endian base-2^32 naturals, enough to check `K` exactly.
    fn mul(a: &[u32], b: &[u32]) -> Vec<u32> {
        let mut out = std::vec![0u32; a.len() + b.len()];
        for (i, &x) in a.iter().enumerate() {
            let mut carry = 0u64;
            for (j, &y) in b.iter().enumerate() {
                let t = u64::from(x) * u64::from(y) + u64::from(out[i + j]) + carry;
                out[i + j] = t as u32;
                carry = t >> 32;
            }
            out[i + b.len()] = carry as u32;
        }
        while out.len() > 1 && out.last() == Some(&0) {
            out.pop();
        }
        out
    }

    fn pow(a: &[u32], k: u32) -> Vec<u32> {
        (0..k).fold(std::vec![1u32], |acc, _| mul(&acc, a))
    }

    fn cmp(a: &[u32], b: &[u32]) -> core::cmp::Ordering {
        a.len().cmp(&b.len()).then_with(|| a.iter().rev().cmp(b.iter().rev()))
    }

    fn big(v: u64) -> Vec<u32> {
        std::vec![v as u32, (v >> 32) as u32]
    }

    /// `v ≤ 10^9 · 2^(n/16)`, exactly: `v^16 · 2^-n ≤ 10^144`.
    fn at_most_bound(v: u64, n: i32) -> bool {
        let lhs = pow(&big(v), 16);
        let rhs = pow(&[10], 144);
        let two = pow(&[2], n.unsigned_abs());
        if n >= 0 { cmp(&lhs, &mul(&rhs, &two)).is_le() } else { cmp(&mul(&lhs, &two), &rhs).is_le() }
    }

    /// The schema-4 native index of `v`, by the definition: the smallest
    /// `n` with `v ≤ 10^9 · 2^(n/16)`.
    fn reference(v: u64) -> i32 {
        let mut n = (16.0 * (v as f64 / 1e9).log2()).ceil() as i32 - 2;
        while !at_most_bound(v, n) {
            n += 1;
        }
        while at_most_bound(v, n - 1) {
            n -= 1;
        }
        n
    }

    #[test]
    fn the_threshold_table_is_the_exact_floor_of_each_root() {
        for (j, &k) in K[..16].iter().enumerate() {
            let y = mul(&pow(&[2], 530 + j as u32), &pow(&[10], 144));
            assert!(cmp(&pow(&big(k), 16), &y).is_le(), "K[{j}] too large");
            assert!(cmp(&pow(&big(k + 1), 16), &y).is_gt(), "K[{j}] too small");
        }
        for (t, &first) in FIRST.iter().enumerate() {
            let lo = (32 + t as u64) << 58;
            assert_eq!(first as usize, K[..16].iter().filter(|&&k| k < lo).count(), "slice {t}");
        }
    }

    #[test]
    fn the_index_is_the_native_index_by_definition_near_every_boundary() {
        // Every boundary from 1 ns to past an hour, and its neighbours.
        for n in -478..=195 {
            let b = fine_upper((n + BIAS as i32) as usize);
            for v in [b.saturating_sub(1), b, b + 1].into_iter().filter(|&v| v >= 1) {
                assert_eq!(fine(v) as i32 - BIAS as i32, reference(v), "v = {v}");
            }
        }
        for v in (1..2_000).chain([1_000_000_000, 1_000_000_001, 999_999_999, u64::from(u32::MAX), 1 << 42]) {
            assert_eq!(fine(v) as i32 - BIAS as i32, reference(v), "v = {v}");
        }
    }

    #[test]
    fn the_named_resolutions_have_the_documented_bucket_counts() {
        assert_eq!((FINE_BUCKETS, COARSE_BUCKETS), (622, 165));
        assert_eq!(Layout::of(FINE_BUCKETS).schema(), 4);
        assert_eq!(Layout::of(COARSE_BUCKETS).schema(), 2);
        assert_eq!(Layout::of(4).schema(), 0);
    }

    #[test]
    fn durations_at_and_past_the_first_bucket_above_the_top_land_in_the_top_bucket() {
        for len in [FINE_BUCKETS, COARSE_BUCKETS, 321, 85, 44, 4, 2] {
            let l = Layout::of(len);
            // The smallest duration whose bucket on the grid is `len`, one
            // past the last: where the cut at the top begins.
            let (mut lo, mut hi) = (l.lower(len - 1), u64::MAX);
            assert!(l.grid.bucket(hi) >= len, "len {len}: the grid reaches past the top");
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if l.grid.bucket(mid) >= len { hi = mid } else { lo = mid + 1 }
            }
            assert_eq!(l.grid.bucket(lo), len, "len {len}: the first duration past the top");
            for ns in [lo, lo + 1, lo.saturating_mul(2), u64::MAX] {
                assert_eq!(l.index(ns), len - 1, "len {len}: {ns} ns");
            }
            assert_eq!(l.index(lo - 1), len - 1, "len {len}: the last duration of the top bucket's own range");
        }
    }

    #[test]
    fn buckets_tile_the_range_with_no_gap_and_no_overlap() {
        for len in [FINE_BUCKETS, COARSE_BUCKETS, 321, 85, 44, 4, 2] {
            let l = Layout::of(len);
            assert_eq!((l.lower(0), l.upper(0), l.index(0)), (0, 0, 0));
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
    fn every_bucket_lies_in_one_native_bucket_and_from_direct_up_is_one() {
        for len in [FINE_BUCKETS, COARSE_BUCKETS, 321, 85, 44] {
            let l = Layout::of(len);
            let s = l.schema();
            let mut last = i32::MIN;
            for i in 1..len - 1 {
                let n = l.native(i).unwrap();
                // Upper-inclusive: the bucket's whole nanoseconds are within
                // native bucket n.
                let (lo, hi) = (l.lower(i) as f64 / 1e9, l.upper(i) as f64 / 1e9);
                let (bottom, top) = (native_upper_seconds(s, n - 1), native_upper_seconds(s, n));
                assert!(hi <= top * (1.0 + 1e-12) && lo > bottom * (1.0 - 1e-12), "len {len} bucket {i}");
                if (i as u64) < l.grid.direct {
                    assert!(n >= last);
                } else {
                    // A native bucket of its own, whole: the next nanosecond
                    // is past it, the one before is below it.
                    assert!(n > last, "len {len} bucket {i}");
                    assert!((l.upper(i) + 1) as f64 / 1e9 > top * (1.0 - 1e-12));
                    assert!(((l.lower(i) - 1) as f64 / 1e9) <= bottom * (1.0 + 1e-12));
                }
                last = n;
            }
            assert_eq!((l.native(0), l.native(len - 1)), (None, None));
        }
    }

    #[test]
    fn a_lower_schema_bucket_is_the_union_of_finer_ones() {
        let (fine, coarse) = (Layout::of(FINE_BUCKETS), Layout::of(COARSE_BUCKETS));
        for v in (1..5_000u64).chain((0..2_000).map(|k| 5_000 + k * 1_000_003)) {
            let n4 = fine.native(fine.index(v)).unwrap();
            let n2 = coarse.native(coarse.index(v)).unwrap();
            assert_eq!(n2, n4.div_euclid(4) + i32::from(n4.rem_euclid(4) != 0), "v = {v}");
        }
    }

    #[test]
    fn the_full_layouts_reach_past_one_hour_before_the_top_bucket() {
        for len in [FINE_BUCKETS, COARSE_BUCKETS] {
            let l = Layout::of(len);
            assert_eq!(l.index(HOUR_NS), len - 2);
            assert!(l.upper(len - 2) >= HOUR_NS);
        }
    }

    #[test]
    fn a_midpoint_is_within_the_stated_relative_error_of_every_value_in_its_bucket() {
        for len in [FINE_BUCKETS, COARSE_BUCKETS, 85, 44] {
            let l = Layout::of(len);
            let (bound, half) = (l.relative_error(), l.half_width());
            let exact = (2f64.powf(2f64.powi(-(l.schema() as i32))) - 1.0) / 2.0;
            assert!((half - exact).abs() < 1e-15);
            let mut worst = 0f64;
            for i in 1..len - 1 {
                let mid = l.midpoint(i) as f64;
                for v in [l.lower(i), l.upper(i)] {
                    let err = (mid - v as f64).abs() / v as f64;
                    worst = worst.max(err);
                    assert!(err <= bound, "len {len} bucket {i} value {v}: {err} > {bound}");
                    assert!((mid - v as f64).abs() < half * v as f64 + 0.5, "len {len} bucket {i} value {v}");
                }
            }
            let text = l.relative_error_text();
            assert_eq!(text, std::format!("{:.1}%", bound * 100.0).replace(".0%", "%"), "len {len}");
            // The bound is attained (or is the half width), so it is tight.
            assert!(worst >= bound.min(half) * 0.999, "len {len}: {worst} vs {bound}");
        }
    }

    #[test]
    fn bounds_in_seconds_match_the_roots_table() {
        for (j, &r) in ROOTS.iter().enumerate() {
            assert!((r - 2f64.powf(j as f64 / 16.0)).abs() <= f64::EPSILON * r, "root {j}");
        }
        assert_eq!(native_upper_seconds(4, 0), 1.0);
        assert_eq!(native_upper_seconds(4, -16), 0.5);
        assert_eq!(native_upper_seconds(2, 5), 2.0 * ROOTS[4]);
    }
}
