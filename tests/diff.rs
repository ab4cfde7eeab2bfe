//! `Snapshot::diff`: its verdicts on seeded synthetic runs, where the truth
//! is known. The power study (no shift, a +10% shift of everything, a +10%
//! shift of the slowest 2%) runs `PERFTRACK_DIFF_PAIRS` pairs per case (200
//! by default; docs/BENCHMARKS.md quotes a run of 1,000 in release, with
//! `--nocapture` for the table).
#![cfg(all(feature = "std", feature = "serde"))]

use core::time::Duration;
use std::time::Instant;

use perftrack::{MetricsSummary, Tracker, compare::Verdict, history::Snapshot};

/// xorshift64*: seeded, so every pair is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn uniform(&mut self) -> f64 {
        ((self.next() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    /// A standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        (-2.0 * self.uniform().ln()).sqrt() * (core::f64::consts::TAU * self.uniform()).cos()
    }
}

/// Lognormal durations: median 100 µs, σ = 0.5 (p99 about 320 µs).
const MEDIAN_NS: f64 = 100_000.0;
const SIGMA: f64 = 0.5;
/// The 98th percentile of that distribution: exp(ln(median) + σ·z₀.₉₈).
fn p98_ns() -> f64 {
    MEDIAN_NS * (SIGMA * 2.053_748_910_631_823).exp()
}

/// A one-operation snapshot of `n` records drawn by `draw`, made by a
/// tracker, so every figure is the one a real run would show.
fn run(name: &str, n: usize, mut draw: impl FnMut() -> f64) -> Snapshot {
    let t: Tracker<1, 1, 1> = Tracker::new();
    let op = t.operation(name).unwrap();
    for _ in 0..n {
        op.record(Duration::from_nanos(draw().max(1.0) as u64), 0);
    }
    Snapshot { summaries: vec![op.summary()], ..Snapshot::default() }
}

#[derive(Clone, Copy)]
enum Case {
    NoShift,
    ShiftAll,
    ShiftTail,
}

/// Base and head of one seeded pair.
fn pair(case: Case, seed: u64, n: usize) -> (Snapshot, Snapshot) {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let base_draw = |rng: &mut Rng| MEDIAN_NS * (SIGMA * rng.normal()).exp();
    let base = run("op", n, || base_draw(&mut rng));
    let head = run("op", n, || {
        let x = base_draw(&mut rng);
        match case {
            Case::NoShift => x,
            Case::ShiftAll => x * 1.1,
            Case::ShiftTail if x > p98_ns() => x * 1.1,
            Case::ShiftTail => x,
        }
    });
    (base, head)
}

fn pairs() -> u64 {
    std::env::var("PERFTRACK_DIFF_PAIRS").ok().and_then(|s| s.parse().ok()).unwrap_or(200)
}

/// Over `pairs()` seeded pairs of `case`: how often the operation, its p50
/// and its p99 came out each way.
fn study(case: Case) -> (u64, [u64; 3], [u64; 3]) {
    let (mut op_regressed, mut p50, mut p99) = (0, [0u64; 3], [0u64; 3]);
    let slot = |v: Verdict| match v {
        Verdict::Regressed => 0,
        Verdict::Unchanged => 1,
        _ => 2,
    };
    for seed in 0..pairs() {
        let (base, head) = pair(case, seed, 20_000);
        let diff = head.diff(&base);
        let o = &diff.operations[0];
        op_regressed += u64::from(o.verdict == Verdict::Regressed);
        if o.verdict == Verdict::Regressed && matches!(case, Case::NoShift) {
            println!("false regression, seed {seed}:\n{diff}");
        }
        p50[slot(o.p50.verdict)] += 1;
        p99[slot(o.p99.verdict)] += 1;
    }
    (op_regressed, p50, p99)
}

fn pct(n: u64) -> f64 {
    100.0 * n as f64 / pairs() as f64
}

#[test]
fn with_no_shift_a_false_regression_is_rarer_than_one_in_a_hundred() {
    let (regressed, p50, p99) = study(Case::NoShift);
    println!(
        "no shift: operation regressed {:.1}%, p50 regressed {:.1}%, p99 regressed {:.1}%",
        pct(regressed),
        pct(p50[0]),
        pct(p99[0])
    );
    assert!(pct(regressed) <= 1.0, "{regressed} false regressions in {} pairs", pairs());
}

#[test]
fn a_ten_percent_shift_of_everything_with_20_000_records_a_side_is_detected_95_percent_of_the_time() {
    let (regressed, p50, _) = study(Case::ShiftAll);
    println!("+10% everything: operation regressed {:.1}%, p50 regressed {:.1}%", pct(regressed), pct(p50[0]));
    assert!(pct(regressed) >= 95.0, "detected in {regressed} of {} pairs", pairs());
}

#[test]
fn a_ten_percent_shift_of_the_slowest_two_percent_flags_p99_and_leaves_p50_unchanged() {
    let (regressed, p50, p99) = study(Case::ShiftTail);
    println!(
        "+10% slowest 2%: operation regressed {:.1}%, p99 regressed {:.1}%, p50 unchanged {:.1}%",
        pct(regressed),
        pct(p99[0]),
        pct(p50[1])
    );
    assert!(pct(p99[0]) >= 90.0, "p99 flagged in {} of {} pairs", p99[0], pairs());
    assert_eq!(p50[0], 0, "p50 never regressed: only the tail moved");
}

#[test]
fn a_change_within_the_bucket_error_is_never_a_regression_even_with_huge_samples() {
    // 2% slower, 200,000 records a side: the intervals are narrow, but the
    // change is inside the buckets' error (2 × 1/35), and under 5%.
    let (base, head) = {
        let mut rng = Rng(7);
        let mut draw = || MEDIAN_NS * (SIGMA * rng.normal()).exp();
        let base = run("op", 200_000, &mut draw);
        let head = run("op", 200_000, || draw() * 1.02);
        (base, head)
    };
    let diff = head.diff(&base);
    assert!(diff.regressions().is_empty(), "{diff}");
    // With no threshold at all, the quantiles still cannot call it: their
    // buckets could be wrong by that much. (The mean is exact: a real 2% is
    // a real 2%.)
    let strict = head.diff_with(&base, 0.0);
    for (label, c) in strict.operations[0].figures().into_iter().skip(1) {
        assert_ne!(c.verdict, Verdict::Regressed, "{label} regressed on a change inside the bucket error: {strict}");
    }
    assert_eq!(strict.operations[0].mean.verdict, Verdict::Regressed, "{strict}");
}

#[test]
fn too_few_records_are_insufficient_never_regressed() {
    let (base, head) = (run("op", 3, || 100_000.0), run("op", 3, || 900_000.0));
    let diff = head.diff(&base);
    let o = &diff.operations[0];
    assert_eq!(o.verdict, Verdict::Insufficient, "{diff}");
    assert!(o.p50.relative.unwrap() > 7.0, "the change is still shown: {diff}");
}

#[test]
fn operations_in_only_one_run_are_listed_and_insufficient() {
    let base = run("old", 1000, || 5_000.0);
    let head = run("new", 1000, || 5_000.0);
    let diff = head.diff(&base);
    let names: Vec<(&str, u64, u64, Verdict)> =
        diff.operations.iter().map(|o| (o.name.as_str(), o.base_count, o.head_count, o.verdict)).collect();
    assert_eq!(names, [("new", 0, 1000, Verdict::Insufficient), ("old", 1000, 0, Verdict::Insufficient)]);
}

#[test]
fn every_format_names_the_operation_its_change_and_its_verdict() {
    let (base, head) = pair(Case::ShiftAll, 1, 20_000);
    let mut head = head;
    head.summaries[0].name = perftrack::Name::try_from("parse|json").unwrap();
    let mut base = base;
    base.summaries[0].name = head.summaries[0].name.clone();
    let diff = head.diff(&base);
    let text = diff.to_string();
    assert!(text.contains("parse|json") && text.contains("regressed") && text.contains("▲"), "{text}");
    let md = diff.to_markdown();
    assert!(md.contains("| `parse\\|json` | 20000 | 20000 |") && md.contains("**regressed**"), "{md}");
    let json: serde_json::Value = serde_json::from_str(&diff.to_json().unwrap()).unwrap();
    let op = &json["operations"][0];
    assert_eq!(op["verdict"], "Regressed");
    assert_eq!(op["p50"]["verdict"], "Regressed");
    assert!(op["p50"]["relative"].as_f64().unwrap() > 0.05);
    assert_eq!(op["p50"]["error_bound"].as_f64().unwrap(), 2.0 / 35.0);
}

#[test]
fn merged_summaries_of_two_runs_equal_one_run_of_all_their_records() {
    let (a, b) = pair(Case::ShiftAll, 3, 5_000);
    let mut merged: MetricsSummary = a.summaries[0].clone();
    merged.merge(&b.summaries[0]);
    assert_eq!(merged.count, 10_000);
    let mut d = a.summaries[0].distribution.clone();
    d.merge(&b.summaries[0].distribution);
    assert_eq!(merged.distribution, d);
    assert_eq!(merged.total_duration, a.summaries[0].total_duration + b.summaries[0].total_duration);
    assert_eq!(merged.p50, d.quantile(0.5).unwrap());
}

/// Not a timed assertion: the cost of a 32-operation diff, printed for
/// docs/BENCHMARKS.md (run with `--release --nocapture`).
#[test]
fn a_diff_of_two_32_operation_snapshots_is_made_and_timed() {
    let mut rng = Rng(11);
    let mut draw = || MEDIAN_NS * (SIGMA * rng.normal()).exp();
    let side = |draw: &mut dyn FnMut() -> f64| Snapshot {
        summaries: (0..32).map(|i| run(&format!("op{i}"), 2_000, &mut *draw).summaries.remove(0)).collect(),
        ..Snapshot::default()
    };
    let (base, head) = (side(&mut draw), side(&mut draw));
    let started = Instant::now();
    let rounds = 20;
    for _ in 0..rounds {
        assert_eq!(core::hint::black_box(head.diff(&base)).operations.len(), 32);
    }
    println!("a diff of two 32-operation snapshots: {:?} each", started.elapsed() / rounds);
}
