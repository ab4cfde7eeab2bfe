//! The classic histogram's bucket bounds: the default powers of 4 seconds,
//! or the caller's snapped onto the native grid, and each operation's
//! cumulative counts under them. Every exporter writes these buckets.

use core::time::Duration;

use crate::histogram::buckets::{Layout, MAX_SCHEMA, fine_bound_ns};
use crate::histogram::distribution::Distribution;
use crate::summary::saturating_ns;

/// The default classic bucket bounds: every power of 4 seconds, `4^k` s,
/// from `2^-20` s (about 0.95 µs) to `2^6` s (64 s), fourteen of them, as
/// schema-4 native indices (`32k`, `k` in `-10..=3`). Each is a bound of the
/// native grid that the internal buckets follow, so the exposition's counts
/// are exact; a layout too coarse to have one skips it.
const CLASSIC_FROM: i32 = -10;
const CLASSIC_TO: i32 = 3;

/// The classic bounds of one exposition, in whole nanoseconds, ascending:
/// the default powers of 4, or bounds of the caller's snapped up to the
/// upper bound of the internal bucket that holds them. A bound in the
/// layout's top bucket (unbounded above) is `+Inf`'s, and left to it.
struct Bounds<'a> {
    layout: Layout,
    custom: Option<&'a [Duration]>,
    next: usize,
    last: Option<u64>,
}

impl Iterator for Bounds<'_> {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        loop {
            let i = self.next;
            self.next += 1;
            let b = match self.custom {
                Some(bounds) => {
                    let ns = saturating_ns(*bounds.get(i)?);
                    self.layout.upper(self.layout.index(ns))
                }
                None => {
                    let k = CLASSIC_FROM + i32::try_from(i).ok()?;
                    if k > CLASSIC_TO {
                        return None;
                    }
                    let step = 1i32 << (MAX_SCHEMA - self.layout.schema());
                    let b = fine_bound_ns(32 * k);
                    if (32 * k) % step != 0 || self.layout.upper(self.layout.index(b)) != b {
                        continue;
                    }
                    b
                }
            };
            if b == u64::MAX || self.last.is_some_and(|last| b <= last) {
                continue;
            }
            self.last = Some(b);
            return Some(b);
        }
    }
}

/// The classic exposition buckets of `d` under `bounds` (`None`: the
/// default powers of 4): `(le, cumulative count)` pairs, `le` in whole
/// nanoseconds and inclusive (the largest whole nanosecond within the
/// bound); `+Inf` is the caller's (the count).
pub(crate) fn exposition_buckets<'a, const B: usize>(
    d: &'a Distribution<B>,
    bounds: Option<&'a [Duration]>,
) -> impl Iterator<Item = (u64, u64)> + 'a {
    let layout = const { Layout::of(B) };
    let counts = d.counts();
    let (mut next, mut below) = (0usize, 0u64);
    Bounds { layout, custom: bounds, next: 0, last: None }.map(move |b| {
        let end = layout.index(b) + 1;
        if let Some(c) = counts.get(next..end) {
            below = c.iter().fold(below, |a, &n| a.saturating_add(n));
        }
        next = next.max(end);
        (b, below)
    })
}
