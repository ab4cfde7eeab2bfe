//! The instrument's cost, in one process: an empty `#[inline(never)]`
//! function called bare, inside the *limit* (two `FastClock` reads around it
//! and one `Operation::record`), under `#[perftrack::measure]`, inside an
//! `op.time()` guard, between `Timer::new` and `record`, between two
//! `Instant::now` and a `Tracker::record` by name (the floor a `Timer` is
//! judged against), and (feature `hotpath`) under hotpath's
//! `#[hotpath::measure]`. Every variant runs in
//! every round, in turn; the table gives each one's median ns per call and
//! the median over rounds of its ratio to the limit in the same round. Then
//! the resident memory that 10^7 instrumented calls add, perftrack's and
//! hotpath's.
//!
//! ```text
//! cargo bench -p perftrack-bench --bench instrument                      # perftrack only
//! cargo bench -p perftrack-bench --bench instrument --features hotpath   # with hotpath 0.30
//! cargo bench -p perftrack-bench --bench instrument --features off       # the attribute under perftrack's `off`
//! PERFTRACK_ROUNDS=31 PERFTRACK_CALLS=500000 cargo bench -p perftrack-bench --bench instrument
//! PERFTRACK_ONLY=2 PERFTRACK_CALLS=100000 <the bench binary>   # one row's calls alone (scripts/instructions.sh)
//! ```

use core::future::Future;
use core::hint::black_box;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::time::Instant;

use perftrack::{Timer, clock::Clock, estimate_memory_usage, instrument::HeapTracker, measure, os::FastClock};

mod common;
use common::{block_on, median};

/// Where the perftrack variants record: one tracker, one thread.
static TRACKER: HeapTracker<8, 64, 8> = HeapTracker::new();

/// Where `PerftrackLayer` records, in the tracing table.
static LAYER_TRACKER: HeapTracker<8, 64, 8> = HeapTracker::new();

/// Where `PerftrackLayer::with_busy_time` records.
static BUSY_TRACKER: HeapTracker<8, 64, 8> = HeapTracker::new();

#[inline(never)]
fn bare(x: u64) -> u64 {
    black_box(x)
}

#[measure(tracker = &TRACKER)]
#[inline(never)]
fn measured(x: u64) -> u64 {
    black_box(x)
}

/// A no-op `async fn`, bare and under `#[measure]`: polled once to ready.
#[inline(never)]
async fn bare_async(x: u64) -> u64 {
    black_box(x)
}

#[measure(tracker = &TRACKER)]
#[inline(never)]
async fn measured_async(x: u64) -> u64 {
    black_box(x)
}

/// The same, reading the thread CPU clock around each poll (the default
/// before CPU time became opt-in).
#[measure(tracker = &TRACKER, cpu_time)]
#[inline(never)]
async fn measured_async_cpu(x: u64) -> u64 {
    black_box(x)
}

/// Pending `n` times (waking itself), then ready: an `.await` that suspends.
struct Pending(u8);

impl Future for Pending {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 == 0 {
            return Poll::Ready(());
        }
        self.0 -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// The same no-op after four `Pending` polls: five polls a call.
#[inline(never)]
async fn bare_pending(x: u64) -> u64 {
    Pending(4).await;
    black_box(x)
}

#[measure(tracker = &TRACKER)]
#[inline(never)]
async fn measured_pending(x: u64) -> u64 {
    Pending(4).await;
    black_box(x)
}

#[cfg(feature = "hotpath")]
#[hotpath::measure]
#[inline(never)]
fn hotpath_measured(x: u64) -> u64 {
    black_box(x)
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Nanoseconds per call of `f` over `calls` calls.
fn per_call(calls: usize, mut f: impl FnMut(u64) -> u64) -> f64 {
    let t0 = Instant::now();
    let mut acc = 0u64;
    for i in 0..calls as u64 {
        acc = acc.wrapping_add(f(i));
    }
    black_box(acc);
    t0.elapsed().as_nanos() as f64 / calls as f64
}

fn main() {
    let rounds = env("PERFTRACK_ROUNDS", 15).max(1);
    let calls = env("PERFTRACK_CALLS", 200_000).max(1);
    #[cfg(feature = "hotpath")]
    let _hotpath = hotpath::HotpathGuardBuilder::new("instrument bench").build();

    let op = TRACKER.operation("limit").expect("a fresh tracker has room");
    let guarded = TRACKER.operation("guard").expect("a fresh tracker has room");
    TRACKER.operation("timer").expect("a fresh tracker has room");
    TRACKER.operation("instant").expect("a fresh tracker has room");
    let _ = FastClock.ticks(); // the clock's one-time calibration, outside the rounds

    // Where the `Timer` row stands in `variants`, its floor right after it.
    const TIMER: usize = 4;
    type Variant<'a> = (&'static str, Box<dyn FnMut(u64) -> u64 + 'a>);
    let mut variants: Vec<Variant<'_>> = vec![
        ("bare fn (no instrument)", Box::new(bare)),
        (
            "limit: 2 FastClock reads + Operation::record",
            Box::new(move |x| {
                let t0 = FastClock.ticks();
                let r = bare(x);
                op.record(FastClock.since(t0), 0);
                r
            }),
        ),
        (
            if cfg!(feature = "off") { "#[perftrack::measure] (feature off)" } else { "#[perftrack::measure]" },
            Box::new(measured),
        ),
        (
            "op.time() guard",
            Box::new(move |x| {
                let _g = guarded.time();
                bare(x)
            }),
        ),
        (
            "Timer::new -> record",
            Box::new(|x| {
                let t = Timer::new("timer");
                let r = bare(x);
                let _ = t.record(&TRACKER);
                r
            }),
        ),
        (
            "two Instant::now + Tracker::record (by name)",
            Box::new(|x| {
                let t0 = Instant::now();
                let r = bare(x);
                let _ = TRACKER.record("instant", t0.elapsed(), 0);
                r
            }),
        ),
    ];
    assert!(variants[TIMER].0.starts_with("Timer") && variants[TIMER + 1].0.starts_with("two Instant"));
    // The async rows, bare and measured in pairs: what `#[measure]` adds to
    // an `async fn` against what it adds to the sync fn (rows 0 and 2).
    const ASYNC: usize = TIMER + 2;
    variants.push(("async fn, polled once (no instrument)", Box::new(|x| block_on(bare_async(x)))));
    variants.push(("#[perftrack::measure] async fn, polled once", Box::new(|x| block_on(measured_async(x)))));
    variants.push(("async fn, 4 Pending then Ready (no instrument)", Box::new(|x| block_on(bare_pending(x)))));
    variants
        .push(("#[perftrack::measure] async fn, 4 Pending then Ready", Box::new(|x| block_on(measured_pending(x)))));
    variants
        .push(("#[perftrack::measure(cpu_time)] async fn, polled once", Box::new(|x| block_on(measured_async_cpu(x)))));
    #[cfg(feature = "hotpath")]
    variants.push(("#[hotpath::measure] (hotpath 0.30)", Box::new(hotpath_measured)));

    // One row alone, PERFTRACK_CALLS calls and no table, for an instruction
    // counter (scripts/instructions.sh): PERFTRACK_ONLY is the row's number
    // (0: the bare fn), or `list` for the rows' names.
    if let Ok(only) = std::env::var("PERFTRACK_ONLY") {
        if only == "list" {
            variants.iter().for_each(|(name, _)| println!("{name}"));
            return;
        }
        let Some((_, f)) = only.parse::<usize>().ok().and_then(|i| variants.get_mut(i)) else {
            eprintln!("PERFTRACK_ONLY={only}: not `list` or a row number below {}", variants.len());
            std::process::exit(2);
        };
        black_box(per_call(calls, f));
        return;
    }

    let mut ns: Vec<Vec<f64>> = vec![Vec::new(); variants.len()];
    let mut ratios: Vec<Vec<f64>> = vec![Vec::new(); variants.len()];
    // `#[perftrack::measure]` against the last variant (hotpath's, when
    // built), and against the bare fn (what `off` must match).
    let mut against_last: Vec<f64> = Vec::new();
    let mut against_bare: Vec<f64> = Vec::new();
    // The `Timer` against the floor it replaces: two `Instant::now` and a
    // record by name.
    let mut timer_against_instant: Vec<f64> = Vec::new();
    // What the attribute adds to the async fn, polled once and with four
    // Pending polls, over what it adds to the sync fn, per round.
    let (mut async_added, mut pending_added, mut cpu_added) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let round: Vec<f64> = variants.iter_mut().map(|(_, f)| per_call(calls, f)).collect();
        for (i, t) in round.iter().enumerate() {
            ns[i].push(*t);
            ratios[i].push(t / round[1]);
        }
        against_last.push(round[2] / round[round.len() - 1]);
        against_bare.push(round[2] / round[0]);
        timer_against_instant.push(round[TIMER] / round[TIMER + 1]);
        let sync_added = round[2] - round[0];
        async_added.push((round[ASYNC + 1] - round[ASYNC]) / sync_added);
        pending_added.push((round[ASYNC + 3] - round[ASYNC + 2]) / sync_added);
        cpu_added.push((round[ASYNC + 4] - round[ASYNC]) / sync_added);
    }

    let cpu = common::cpu_model();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("# {cpu}, {threads} cores; {rounds} rounds of {calls} calls per variant; medians");
    println!("| variant | ns per call | × limit (median of per-round ratios) |");
    println!("|---|---:|---:|");
    for (i, (name, _)) in variants.iter().enumerate() {
        println!("| {name} | {:.1} | {:.2} |", median(&mut ns[i]), median(&mut ratios[i]));
    }
    println!(
        "\nTimer::new -> record / (two Instant::now + Tracker::record), median of per-round ratios: {:.2}",
        median(&mut timer_against_instant)
    );
    if !cfg!(feature = "off") {
        println!(
            "\nwhat #[measure] adds to a no-op async fn / what it adds to the no-op sync fn, median of per-round ratios: polled once {:.2}, 4 Pending then Ready {:.2}; with cpu_time, polled once {:.2}",
            median(&mut async_added),
            median(&mut pending_added),
            median(&mut cpu_added)
        );
        // What perftrack reports for the two no-ops: its own cost, seen
        // from inside.
        let p50 = |name: &str| TRACKER.summary(name).and_then(|s| s.distribution.quantile(0.5));
        if let (Some(sync), Some(once)) = (p50("measured"), p50("measured_async")) {
            println!(
                "reported p50: no-op sync fn {:?}, no-op async fn {:?} ({:.2}x)",
                sync,
                once,
                once.as_nanos() as f64 / sync.as_nanos().max(1) as f64
            );
        }
    }
    if cfg!(feature = "off") {
        println!(
            "\n#[perftrack::measure] under feature off / the bare fn, median of per-round ratios: {:.3}",
            median(&mut against_bare)
        );
    }
    if cfg!(feature = "hotpath") {
        println!(
            "\n#[perftrack::measure] / #[hotpath::measure], median of per-round ratios: {:.2}",
            median(&mut against_last)
        );
    }

    if !cfg!(feature = "off") {
        tracing_spans(rounds, calls);
        timeline_rows(rounds, calls);
    }

    // Resident memory over 10^7 calls: perftrack's fixed tracker against
    // a profiler that queues every measurement.
    const RSS_CALLS: u64 = 10_000_000;
    let before = estimate_memory_usage();
    for i in 0..RSS_CALLS {
        black_box(measured(i));
    }
    let perftrack_growth = estimate_memory_usage().saturating_sub(before);
    println!();
    println!("| resident memory growth over 10^7 calls | KiB |");
    println!("|---|---:|");
    println!("| #[perftrack::measure] | {} |", perftrack_growth / 1024);
    #[cfg(feature = "hotpath")]
    {
        let before = estimate_memory_usage();
        for i in 0..RSS_CALLS {
            black_box(hotpath_measured(i));
        }
        let growth = estimate_memory_usage().saturating_sub(before);
        println!("| #[hotpath::measure] (hotpath 0.30) | {} |", growth / 1024);
    }
    if !cfg!(feature = "off") {
        let s = TRACKER.summary("measured").expect("the measured fn recorded");
        assert!(s.count >= RSS_CALLS, "every call recorded: {}", s.count);
    }
}

/// `#[perftrack::measure]` with the timeline off and on, in turn each
/// round (`timeline::pause` and `resume`), and the resident memory 10^7
/// calls add with it on, beside the rings' size.
fn timeline_rows(rounds: usize, calls: usize) {
    use perftrack::timeline;
    let before = estimate_memory_usage();
    timeline::enable(timeline::DEFAULT_EVENTS);
    let (mut off, mut on, mut ratio) = (Vec::new(), Vec::new(), Vec::new());
    let mut f = |x| measured(x);
    for _ in 0..rounds {
        timeline::pause();
        let a = per_call(calls, &mut f);
        timeline::resume();
        let b = per_call(calls, &mut f);
        off.push(a);
        on.push(b);
        ratio.push(b / a);
    }
    const RSS_CALLS: u64 = 10_000_000;
    for i in 0..RSS_CALLS {
        black_box(measured(i));
    }
    let growth = estimate_memory_usage().saturating_sub(before);
    let stats = timeline::stats();
    println!();
    println!("# the timeline; {rounds} rounds of {calls} calls each way; medians");
    println!("| #[perftrack::measure] | ns per call |");
    println!("|---|---:|");
    println!("| timeline off (paused) | {:.1} |", median(&mut off));
    println!("| timeline on | {:.1} |", median(&mut on));
    println!("\nwith the timeline on / off, median of per-round ratios: {:.2}", median(&mut ratio));
    println!(
        "resident growth from enable over 10^7 more calls: {} KiB; the rings: {} KiB ({} events written, {} overwritten)",
        growth / 1024,
        stats.bytes / 1024,
        stats.written,
        stats.overwritten
    );
}

/// One span's life (new, enter, exit, close) under tracing's `Registry`
/// alone, with `PerftrackLayer` on it (wall time; and with busy time too),
/// and under tracing-timing's `TimingSubscriber`, each round running all
/// four in turn, each under its own dispatcher; the ratio column is per
/// round, to tracing-timing.
fn tracing_spans(rounds: usize, calls: usize) {
    use tracing::Dispatch;
    use tracing_subscriber::layer::SubscriberExt;

    let layer = perftrack::integrations::PerftrackLayer::new(&LAYER_TRACKER);
    let busy_layer = perftrack::integrations::PerftrackLayer::new(&BUSY_TRACKER).with_busy_time();
    let timing =
        tracing_timing::Builder::default().build(|| tracing_timing::Histogram::new_with_max(1_000_000_000, 2).unwrap());
    let dispatchers = [
        ("tracing Registry alone (baseline)", Dispatch::new(tracing_subscriber::registry())),
        ("PerftrackLayer on the Registry", Dispatch::new(tracing_subscriber::registry().with(layer))),
        (
            "PerftrackLayer::with_busy_time on the Registry",
            Dispatch::new(tracing_subscriber::registry().with(busy_layer)),
        ),
        ("tracing-timing TimingSubscriber", Dispatch::new(timing)),
    ];
    const TIMING: usize = 3;
    let span = |x: u64| tracing::info_span!("work").in_scope(|| bare(x));
    let mut ns: Vec<Vec<f64>> = vec![Vec::new(); dispatchers.len()];
    let mut ratios: Vec<Vec<f64>> = vec![Vec::new(); dispatchers.len()];
    let calls = (calls / 4).max(1);
    for _ in 0..rounds {
        let round: Vec<f64> =
            dispatchers.iter().map(|(_, d)| tracing::dispatcher::with_default(d, || per_call(calls, span))).collect();
        for (i, t) in round.iter().enumerate() {
            ns[i].push(*t);
            ratios[i].push(t / round[TIMING]);
        }
    }
    let work = LAYER_TRACKER.summary("instrument::work").or_else(|| LAYER_TRACKER.summary("work"));
    assert!(work.is_some_and(|s| s.count > 0 && s.cpu_samples == 0), "the layer recorded no span, or busy time");
    let busy = BUSY_TRACKER.summary("instrument::work").or_else(|| BUSY_TRACKER.summary("work"));
    assert!(busy.is_some_and(|s| s.count > 0 && s.cpu_samples == s.count), "the busy layer recorded no busy time");
    println!();
    println!("# one span (new, enter, exit, close); {rounds} rounds of {calls} spans per subscriber; medians");
    println!("| subscriber | ns per span | × tracing-timing (median of per-round ratios) |");
    println!("|---|---:|---:|");
    for (i, (name, _)) in dispatchers.iter().enumerate() {
        println!("| {name} | {:.1} | {:.2} |", median(&mut ns[i]), median(&mut ratios[i]));
    }
}
