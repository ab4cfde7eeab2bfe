//! One scrape, one snapshot per operation: while writers record, every
//! family of one OpenMetrics body agrees about each operation (the histogram's
//! count and sum, the extremes, the memory summary), and nothing an operation
//! exports runs backwards from one scrape to the next. In a binary of its own
//! so its writers run beside nothing else.

use core::sync::atomic::{AtomicBool, Ordering};
use core::time::Duration;
use std::collections::BTreeMap;
use std::thread;
use std::time::Instant;

use perftrack::{Sample, Tracker};

/// One operation's samples in one body.
#[derive(Debug, Default, Clone, Copy)]
struct Exported {
    count: u64,
    inf: u64,
    sum_ns: u64,
    memory_sum: u64,
    memory_count: u64,
    min_ns: Option<u64>,
    max_ns: Option<u64>,
}

/// `12.000000345` seconds as 12,000,000,345 ns, exactly.
fn ns_of(seconds: &str) -> u64 {
    let (s, frac) = seconds.split_once('.').expect("seconds with nine decimals");
    assert_eq!(frac.len(), 9, "{seconds}");
    s.parse::<u64>().unwrap() * 1_000_000_000 + frac.parse::<u64>().unwrap()
}

fn parse(body: &str) -> BTreeMap<String, Exported> {
    let mut ops: BTreeMap<String, Exported> = BTreeMap::new();
    for line in body.lines().filter(|l| !l.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ').unwrap();
        let (metric, labels) = series.split_once('{').unwrap();
        let op = labels.split("operation=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        let e = ops.entry(op).or_default();
        match metric {
            "perftrack_operation_duration_seconds_count" => e.count = value.parse().unwrap(),
            "perftrack_operation_duration_seconds_sum" => e.sum_ns = ns_of(value),
            "perftrack_operation_duration_seconds_bucket" if labels.contains("le=\"+Inf\"") => {
                e.inf = value.parse().unwrap();
            }
            "perftrack_operation_duration_min_seconds" => e.min_ns = Some(ns_of(value)),
            "perftrack_operation_duration_max_seconds" => e.max_ns = Some(ns_of(value)),
            "perftrack_operation_memory_bytes_sum" => e.memory_sum = value.parse().unwrap(),
            "perftrack_operation_memory_bytes_count" => e.memory_count = value.parse().unwrap(),
            _ => {}
        }
    }
    ops
}

#[test]
#[cfg_attr(miri, ignore = "a wall-clock stress run is meaningless under miri")]
fn every_family_of_one_scrape_agrees_and_nothing_runs_backwards_between_scrapes() {
    // 2 shards for 4 writers: both the owner's path and the contended path
    // carry records, so a snapshot races both.
    let t: Tracker<4, 8, 2> = Tracker::new();
    let ops = [t.operation("a").unwrap(), t.operation("b").unwrap()];
    let stop = AtomicBool::new(false);
    let mut scrapes = 0u64;
    thread::scope(|s| {
        for w in 0..4u64 {
            let (stop, op) = (&stop, ops[(w % 2) as usize]);
            s.spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let ns = (n * 37 + w) % 10_000;
                    // memory = 3·ns + 1: a body whose families came from one
                    // set of records has memory_sum == 3·sum_ns + count.
                    op.record_sample(&Sample::new(Duration::from_nanos(ns), 3 * ns + 1));
                    n += 1;
                }
            });
        }
        struct StopOnDrop<'a>(&'a AtomicBool);
        impl Drop for StopOnDrop<'_> {
            fn drop(&mut self) {
                self.0.store(true, Ordering::Relaxed);
            }
        }
        let _stop = StopOnDrop(&stop);
        let mut last: BTreeMap<String, Exported> = BTreeMap::new();
        let t0 = Instant::now();
        let mut body = String::new();
        while t0.elapsed() < Duration::from_secs(1) {
            body.clear();
            t.write_openmetrics(&mut body).unwrap();
            let now = parse(&body);
            assert_eq!(now.len(), 2, "{body}");
            for (op, e) in &now {
                assert_eq!(e.inf, e.count, "{op}: +Inf bucket and _count disagree");
                assert_eq!(e.memory_count, e.count, "{op}: the memory summary's _count and the histogram's disagree");
                assert_eq!(
                    e.memory_sum,
                    3 * e.sum_ns + e.count,
                    "{op}: memory and duration sums from different records"
                );
                if e.count > 0 {
                    let (min, max) = (e.min_ns.unwrap(), e.max_ns.unwrap());
                    assert!(min * e.count <= e.sum_ns && e.sum_ns <= max * e.count, "{op}: {e:?}");
                }
                if let Some(before) = last.get(op) {
                    assert!(
                        e.count >= before.count && e.sum_ns >= before.sum_ns,
                        "{op} ran backwards: {before:?} then {e:?}"
                    );
                    assert!(e.memory_sum >= before.memory_sum, "{op} ran backwards: {before:?} then {e:?}");
                }
            }
            last = now;
            scrapes += 1;
        }
    });
    assert!(scrapes >= 20, "only {scrapes} scrapes in 1 s");
    println!("scrapes checked: {scrapes}");
}
