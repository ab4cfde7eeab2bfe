//! Contention harness: T threads hammer ONE shared structure (and, for
//! perftrack, also distinct operations), for T = 1, 2, 4, … up to the number
//! of cores, with every peer measured in the same run.
//!
//! ```text
//! cargo bench --bench contention                    # the whole table
//! PERFTRACK_ITERS=200000 cargo bench --bench contention
//! PERFTRACK_TABLE_OUT=table.md cargo bench --bench contention
//! PERFTRACK_REPS=3 cargo bench --bench contention   # runs per cell (median; default 5)
//! PERFTRACK_THREADS=1,2,16 cargo bench --bench contention   # thread counts (default 1, 2, 4, … cores)
//! ```
//!
//! Each thread times itself; a run's span is from the first thread's start to
//! the last thread's end. During perftrack's runs a reader thread takes a
//! snapshot of every operation each millisecond, so the cost of consistent
//! reads is in the figures.

use core::fmt::Write as _;
use core::hint::black_box;
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use core::time::Duration;
use std::sync::Mutex;
use std::thread;
use std::time::Instant;

use perftrack::{Operation, Tracker};

mod common;

/// 16 shards: one per thread up to 16 threads.
type Wide = Tracker<32, 64, 16>;

/// The most threads a run may use: "distinct operations" gives each thread
/// one of `Wide`'s 32 operations.
const MAX_THREADS: usize = 32;

#[repr(align(128))]
struct Padded(AtomicU64);

/// Runs `work(thread_index, iters)` on `t` threads at once; returns the span.
///
/// The threads meet at a polling start line rather than a `Barrier`, whose
/// waiters wake one futex call at a time: with 16 threads that staggers the
/// starts by more than the skew the span should measure. Waiting threads
/// yield while they poll, so with `t` equal to the core count they do not
/// starve the thread still spawning the last of them.
fn run(t: usize, iters: u64, work: &(dyn Fn(usize, u64) + Sync)) -> Duration {
    let waiting = AtomicUsize::new(t);
    let spans: Vec<(Instant, Instant)> = thread::scope(|s| {
        let hs: Vec<_> = (0..t)
            .map(|i| {
                let waiting = &waiting;
                s.spawn(move || {
                    waiting.fetch_sub(1, Ordering::AcqRel);
                    while waiting.load(Ordering::Acquire) != 0 {
                        thread::yield_now();
                    }
                    let start = Instant::now();
                    work(i, iters);
                    (start, Instant::now())
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let first = spans.iter().map(|s| s.0).min().unwrap();
    let last = spans.iter().map(|s| s.1).max().unwrap();
    last - first
}

/// Runs `work` while a reader snapshots every operation of `tracker` each ms.
fn run_with_reader<const S: usize>(
    t: usize,
    iters: u64,
    tracker: &Tracker<32, 64, S>,
    work: &(dyn Fn(usize, u64) + Sync),
) -> (Duration, u64) {
    let stop = AtomicBool::new(false);
    thread::scope(|s| {
        let reader = s.spawn(|| {
            let mut snaps = 0u64;
            while !stop.load(Ordering::Relaxed) {
                for sum in tracker.summaries() {
                    assert_eq!(sum.total_memory, 3 * sum.total_duration.as_nanos() as u64 + sum.count, "torn snapshot");
                }
                snaps += 1;
                thread::sleep(Duration::from_millis(1));
            }
            snaps
        });
        let span = run(t, iters, work);
        stop.store(true, Ordering::Relaxed);
        (span, reader.join().unwrap())
    })
}

fn ns(i: u64) -> u64 {
    i & 1023
}

const WORKLOADS: [&str; 10] = [
    "perftrack same operation",
    "perftrack Counter::increment",
    "perftrack same op, 1 shard",
    "perftrack distinct operations",
    "shared fetch_add",
    "per-thread padded fetch_add",
    "metrics-util AtomicBucket",
    "prometheus-client Histogram",
    "Mutex<hdrhistogram::Histogram>",
    "Mutex<Vec<record>>",
];

/// One perftrack run: thread `i` records into `ops[i]` while a reader
/// snapshots; adds the reader's snapshot count and the span to `reader`, and
/// checks that no record was lost.
fn run_perftrack<const S: usize>(
    tracker: &Tracker<32, 64, S>,
    ops: &[Operation<'_, 64, S>],
    t: usize,
    iters: u64,
    reader: &mut (u64, Duration),
) -> Duration {
    let work = |i: usize, n: u64| {
        let op = ops[i];
        for k in 0..n {
            let d = ns(k);
            op.record(Duration::from_nanos(black_box(d)), 3 * d + 1);
        }
    };
    let (span, snaps) = run_with_reader(t, iters, tracker, &work);
    reader.0 += snaps;
    reader.1 += span;
    let total: u64 = tracker.summaries().map(|s| s.count).sum();
    assert_eq!(total, t as u64 * iters, "perftrack lost records");
    span
}

/// One run of workload `w` on `t` threads; returns its span. perftrack's runs
/// add their reader's snapshot count and their span to `reader`.
fn measure(w: &str, t: usize, iters: u64, reader: &mut (u64, Duration)) -> Duration {
    match w {
        "perftrack same operation" | "perftrack distinct operations" => {
            let tracker = Wide::new();
            let same = w == "perftrack same operation";
            let ops: Vec<_> = (0..t)
                .map(|i| {
                    let name = if same { "op0".to_string() } else { format!("op{i}") };
                    tracker.operation(&name).unwrap()
                })
                .collect();
            run_perftrack(&tracker, &ops, t, iters, reader)
        }
        "perftrack same op, 1 shard" => {
            // More threads than shards from T = 2: one thread owns the shard,
            // the others record beside it on its contended path.
            let tracker: Tracker<32, 64, 1> = Tracker::new();
            let ops = vec![tracker.operation("op0").unwrap(); t];
            run_perftrack(&tracker, &ops, t, iters, reader)
        }
        "perftrack Counter::increment" => {
            // One counter for every thread: each adds to its shard's cell.
            let tracker = Wide::new();
            let c = tracker.counter("events").unwrap();
            let span = run(t, iters, &|_, n| {
                for k in 0..n {
                    c.increment(black_box(ns(k)));
                }
            });
            let per_thread: u64 = (0..iters).map(ns).sum();
            assert_eq!(c.get(), t as u64 * per_thread, "the counter lost increments");
            span
        }
        "shared fetch_add" => {
            let c = AtomicU64::new(0);
            let span = run(t, iters, &|_, n| {
                for k in 0..n {
                    c.fetch_add(black_box(ns(k)), Ordering::Relaxed);
                }
            });
            black_box(c.load(Ordering::Relaxed));
            span
        }
        "per-thread padded fetch_add" => {
            let cs: Vec<Padded> = (0..t).map(|_| Padded(AtomicU64::new(0))).collect();
            run(t, iters, &|i, n| {
                for k in 0..n {
                    cs[i].0.fetch_add(black_box(ns(k)), Ordering::Relaxed);
                }
            })
        }
        "metrics-util AtomicBucket" => {
            let b = metrics_util::storage::AtomicBucket::new();
            run(t, iters, &|_, n| {
                for k in 0..n {
                    b.push(black_box(ns(k)));
                }
            })
        }
        "prometheus-client Histogram" => {
            let h = prometheus_client::metrics::histogram::Histogram::new(
                prometheus_client::metrics::histogram::exponential_buckets(1.0, 2.0, 11),
            );
            run(t, iters, &|_, n| {
                for k in 0..n {
                    h.observe(black_box(ns(k)) as f64);
                }
            })
        }
        "Mutex<hdrhistogram::Histogram>" => {
            let h = Mutex::new(hdrhistogram::Histogram::<u64>::new_with_bounds(1, 1 << 40, 3).unwrap());
            run(t, iters, &|_, n| {
                for k in 0..n {
                    let _ = h.lock().unwrap().record(black_box(ns(k)));
                }
            })
        }
        _ => {
            let v: Mutex<Vec<(u64, u64)>> = Mutex::new(Vec::new());
            run(t, iters, &|_, n| {
                for k in 0..n {
                    v.lock().unwrap().push((black_box(ns(k)), 64));
                }
            })
        }
    }
}

/// The thread counts to measure: `list` (comma-separated, e.g. `1,2,16`; the
/// first is the scaling baseline) when it parses, else 1, 2, 4, … up to
/// `cores` (at most [`MAX_THREADS`]).
fn thread_counts(cores: usize, list: Option<&str>) -> Vec<usize> {
    if let Some(list) = list {
        let ts: Result<Vec<usize>, _> = list.split(',').map(|t| t.trim().parse::<usize>()).collect();
        match ts {
            Ok(ts) if !ts.is_empty() && ts.iter().all(|&t| (1..=MAX_THREADS).contains(&t)) => return ts,
            _ => eprintln!(
                "PERFTRACK_THREADS={list:?} is not a comma-separated list of thread counts from 1 to {MAX_THREADS}; \
                 using the default"
            ),
        }
    }
    let cores = cores.min(MAX_THREADS);
    let mut ts = vec![];
    let mut t = 1;
    while t < cores {
        ts.push(t);
        t *= 2;
    }
    ts.push(cores);
    ts
}

fn main() {
    // `cargo bench` passes --bench; ignore arguments.
    let cores = thread::available_parallelism().map_or(2, |n| n.get());
    let iters: u64 = std::env::var("PERFTRACK_ITERS").ok().and_then(|v| v.parse().ok()).unwrap_or(500_000);
    let reps: usize = std::env::var("PERFTRACK_REPS").ok().and_then(|v| v.parse().ok()).unwrap_or(5).max(1);
    let ts = thread_counts(cores, std::env::var("PERFTRACK_THREADS").ok().as_deref());

    // Each run builds its structure fresh, so no run inherits another's state.
    // Workloads take turns within each round, so a noisy stretch of the
    // machine lands on all of them alike; each cell is the median of `reps`.
    let mut spans = vec![vec![vec![]; ts.len()]; WORKLOADS.len()];
    let mut reader = (0u64, Duration::ZERO);
    for (ti, &t) in ts.iter().enumerate() {
        for _ in 0..reps {
            for (wi, w) in WORKLOADS.iter().enumerate() {
                spans[wi][ti].push(measure(w, t, iters, &mut reader));
            }
        }
    }
    let (snapshots, reader_time) = reader;
    // The record path's target is a ratio to the padded counter. The two run
    // in the same round, a few milliseconds apart, so a round's ratio sees
    // one stretch of the machine; the median of those ratios shrugs off the
    // stretches where the host slows this VM.
    let per_round_of = |name: &str, ti: usize| {
        let at = |name: &str| WORKLOADS.iter().position(|&w| w == name).map(|wi| &spans[wi][ti]);
        let (Some(a), Some(b)) = (at(name), at("per-thread padded fetch_add")) else {
            return f64::NAN;
        };
        let mut r: Vec<f64> = a.iter().zip(b).map(|(x, y)| x.as_secs_f64() / y.as_secs_f64()).collect();
        r.sort_by(f64::total_cmp);
        r.get(r.len() / 2).copied().unwrap_or(f64::NAN)
    };
    let paired: Vec<f64> = (0..ts.len()).map(|ti| per_round_of("perftrack same operation", ti)).collect();
    let counter_paired: Vec<f64> = (0..ts.len()).map(|ti| per_round_of("perftrack Counter::increment", ti)).collect();
    let rows: Vec<(&str, Vec<(f64, f64)>)> = WORKLOADS
        .iter()
        .zip(&mut spans)
        .map(|(&w, cells)| {
            let cells = cells
                .iter_mut()
                .zip(&ts)
                .map(|(runs, &t)| {
                    runs.sort();
                    let span: Duration = runs[runs.len() / 2];
                    let per_op = span.as_nanos() as f64 / iters as f64; // wall ns per op per thread
                    let mops = (t as u64 * iters) as f64 / span.as_secs_f64() / 1e6;
                    (per_op, mops)
                })
                .collect();
            (w, cells)
        })
        .collect();

    // ---- the table, in PEERS.md's shape
    let mut out = String::new();
    let cpu = common::cpu_model();
    let _ = writeln!(
        out,
        "# {cores} cores ({cpu}); iters/thread={iters}; median of {reps} runs; wall ns per op per thread [total Mops/s]"
    );
    let _ = write!(out, "{:<34}", "workload");
    for t in &ts {
        let _ = write!(out, " {:>16}", format!("T={t}"));
    }
    let _ = writeln!(out);
    for (w, cells) in &rows {
        let _ = write!(out, "{w:<34}");
        for (per_op, mops) in cells {
            let _ = write!(out, " {:>16}", format!("{per_op:.1} [{mops:.0}]"));
        }
        let _ = writeln!(out);
    }
    let mops = |name: &str, i: usize| rows.iter().find(|r| r.0 == name).map_or(f64::NAN, |r| r.1[i].1);
    let last = ts.len() - 1;
    let tmax = ts[last];
    let scale = |name: &str| mops(name, last) / mops(name, 0);
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "scaling T={tmax} vs T={} (same operation): perftrack {:.2}x; per-thread padded fetch_add {:.2}x; perftrack/padded {:.2}",
        ts[0],
        scale("perftrack same operation"),
        scale("per-thread padded fetch_add"),
        scale("perftrack same operation") / scale("per-thread padded fetch_add")
    );
    let _ = write!(out, "perftrack same operation / per-thread padded fetch_add, median of per-round ratios:");
    for (t, r) in ts.iter().zip(&paired) {
        let _ = write!(out, " T={t} {r:.2}x");
    }
    let _ = writeln!(out);
    let _ = write!(out, "perftrack Counter::increment / per-thread padded fetch_add, median of per-round ratios:");
    for (t, r) in ts.iter().zip(&counter_paired) {
        let _ = write!(out, " T={t} {r:.2}x");
    }
    let _ = writeln!(out);
    for peer in [
        "metrics-util AtomicBucket",
        "prometheus-client Histogram",
        "Mutex<hdrhistogram::Histogram>",
        "Mutex<Vec<record>>",
        "shared fetch_add",
    ] {
        let _ = writeln!(
            out,
            "perftrack same operation vs {peer} at T={tmax}: {:.1}x",
            mops("perftrack same operation", last) / mops(peer, last)
        );
    }
    // The reader sleeps 1 ms between snapshots, so about one per ms means
    // writers never held it up.
    let _ = writeln!(
        out,
        "reader snapshots during perftrack runs: {snapshots} in {:.0} ms of runs",
        reader_time.as_secs_f64() * 1e3
    );

    // ---- snapshot cost: summaries() on 32 operations, by shard count
    let _ = writeln!(out);
    let _ = writeln!(out, "snapshot cost, summaries() of 32 operations (each with records on every shard):");
    snapshot_cost::<1>(&mut out);
    snapshot_cost::<4>(&mut out);
    snapshot_cost::<16>(&mut out);

    print!("{out}");
    if let Ok(path) = std::env::var("PERFTRACK_TABLE_OUT") {
        std::fs::write(&path, &out).unwrap();
    }
}

fn snapshot_cost<const S: usize>(out: &mut String) {
    let t: Tracker<32, 64, S> = Tracker::new();
    for i in 0..32 {
        let op = t.operation(format!("op{i}")).unwrap();
        for s in 0..S {
            for k in 0..64 {
                op.record_on(s, &perftrack::Sample::new(Duration::from_nanos(k), 1));
            }
        }
    }
    let reps = 200;
    let t0 = Instant::now();
    for _ in 0..reps {
        t.summaries().for_each(|s| {
            black_box(s);
        });
    }
    let each = t0.elapsed() / reps;
    let _ = writeln!(
        out,
        "  SHARDS={S:<3} {:>9.1} us per summaries() ({:.0} ns per operation-shard)",
        each.as_secs_f64() * 1e6,
        each.as_nanos() as f64 / (32 * S) as f64
    );
}
