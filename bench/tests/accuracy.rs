//! Quantile accuracy: 10^6 records from three distributions, each quantile
//! perftrack reports compared with the exact nearest-rank value of the same
//! records, and HdrHistogram (the reference log-linear histogram) beside it.
//!
//! It lives in the bench member because it needs `hdrhistogram`, which the
//! main job should not compile.

use core::time::Duration;

use hdrhistogram::Histogram;
use perftrack::{Tracker, histogram::COARSE_BUCKETS};

const N: usize = 1_000_000;
const QUANTILES: [f64; 9] = [0.0, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999, 0.99999, 1.0];

/// A small deterministic generator (SplitMix64), so every run sees the same
/// records.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.unit(), self.unit());
        (-2.0 * u.ln()).sqrt() * (2.0 * core::f64::consts::PI * v).cos()
    }
}

fn uniform(rng: &mut Rng) -> u64 {
    1_000 + rng.next_u64() % 1_000_000 // 1 µs .. 1 ms
}

fn lognormal(rng: &mut Rng) -> u64 {
    // Median 50 µs, a long right tail (sigma 1.5: p99.99 near 12 ms).
    (50_000.0 * (1.5 * rng.normal()).exp()).round().max(1.0) as u64
}

fn bimodal(rng: &mut Rng) -> u64 {
    // 95% cache hits around 2 µs, 5% misses around 8 ms.
    if rng.next_u64() % 100 < 95 { 2_000 + rng.next_u64() % 400 } else { 8_000_000 + rng.next_u64() % 4_000_000 }
}

/// The exact nearest-rank quantile of sorted values: rank ceil(q·n), at least 1.
fn nearest_rank(sorted: &[u64], q: f64) -> u64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn rel(got: u64, exact: u64) -> f64 {
    (got as f64 - exact as f64).abs() / exact as f64
}

/// Records `values` into a tracker of `B` buckets and an HdrHistogram of 2
/// significant digits; checks every quantile against the exact value and
/// prints the worst errors. Returns perftrack's worst relative error.
fn check<const B: usize>(name: &str, values: &mut [u64]) -> f64 {
    let tracker: Box<Tracker<1, 4, 1, B>> = Box::new(Tracker::new());
    let op = tracker.operation(name).unwrap();
    let mut hdr = Histogram::<u64>::new(2).unwrap();
    for &v in values.iter() {
        op.record(Duration::from_nanos(v), 0);
        hdr.record(v).unwrap();
    }
    values.sort_unstable();
    let d = op.distribution();
    assert_eq!(d.count(), N as u64);
    let bound = d.relative_error();
    let (mut worst, mut worst_hdr) = (0f64, 0f64);
    for q in QUANTILES {
        let exact = nearest_rank(values, q);
        let got = d.quantile(q).unwrap().as_nanos() as u64;
        let e = rel(got, exact);
        assert!(e <= bound, "{name} at {B} buckets, q={q}: {got} ns vs exact {exact} ns, error {e:.5} > {bound:.5}");
        worst = worst.max(e);
        worst_hdr = worst_hdr.max(rel(hdr.value_at_quantile(q), exact));
    }
    println!(
        "{name:<10} {B:>4} buckets: worst quantile error {:.3}% (bound {:.3}%); hdrhistogram 2 digits: {:.3}%",
        worst * 100.0,
        bound * 100.0,
        worst_hdr * 100.0
    );
    worst
}

fn run(name: &str, f: fn(&mut Rng) -> u64, seed: u64) {
    let mut rng = Rng(seed);
    let values: Vec<u64> = (0..N).map(|_| f(&mut rng)).collect();
    check::<{ perftrack::histogram::FINE_BUCKETS }>(name, &mut values.clone());
    check::<COARSE_BUCKETS>(name, &mut values.clone());
}

#[test]
fn quantiles_of_a_million_uniform_records_are_within_the_stated_error() {
    run("uniform", uniform, 1);
}

#[test]
fn quantiles_of_a_million_lognormal_records_are_within_the_stated_error() {
    run("lognormal", lognormal, 2);
}

#[test]
fn quantiles_of_a_million_bimodal_records_are_within_the_stated_error() {
    run("bimodal", bimodal, 3);
}
