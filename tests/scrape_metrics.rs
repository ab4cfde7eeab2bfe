//! Counters and labelled series while scraped: new series appear and
//! counters grow under four writers, and every scrape's counters and
//! per-series counts are at least the scrape before's; at rest the export is
//! the truth. In a binary of its own, as `scrape.rs`, so its writers run
//! beside nothing else.

use core::sync::atomic::{AtomicBool, Ordering};
use core::time::Duration;
use std::collections::BTreeMap;
use std::thread;
use std::time::Instant;

use perftrack::Tracker;

/// The counter and labelled-series samples of one body: `name{labels}` to
/// value.
fn samples(body: &str, prefix: &str) -> BTreeMap<String, u64> {
    body.lines()
        .filter(|l| l.starts_with(prefix))
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').unwrap();
            (series.to_string(), value.parse().unwrap())
        })
        .collect()
}

#[test]
#[cfg_attr(miri, ignore = "a wall-clock stress run is meaningless under miri")]
fn counters_and_growing_labelled_series_never_run_backwards_and_end_at_the_truth() {
    let t = Tracker::<64, 4, 2>::boxed();
    let stop = AtomicBool::new(false);
    let mut scrapes = 0u64;
    let truth: Vec<(u64, u64)> = thread::scope(|s| {
        let writers: Vec<_> = (0..4u64)
            .map(|w| {
                let (t, stop) = (&t, &stop);
                s.spawn(move || {
                    let worker = ["0", "1"][(w % 2) as usize];
                    let jobs = t.counter_with_labels("jobs", &[("worker", worker)]).unwrap();
                    let (mut n, mut added) = (0u64, 0u64);
                    while !stop.load(Ordering::Relaxed) {
                        jobs.increment(1 + n % 3);
                        added += 1 + n % 3;
                        // New labelled series appear while scrapes run: up
                        // to 16 per writer, one record each time.
                        let step = (n % 16).to_string();
                        let op = t.operation_with_labels("step", &[("n", &step), ("writer", &w.to_string())]).unwrap();
                        op.record(Duration::from_nanos(n % 1000), 0);
                        n += 1;
                    }
                    (n, added)
                })
            })
            .collect();
        let mut last_counters: BTreeMap<String, u64> = BTreeMap::new();
        let mut last_counts: BTreeMap<String, u64> = BTreeMap::new();
        let t0 = Instant::now();
        let mut body = String::new();
        // Ten scrapes at least, and a second of them: a slow machine takes
        // longer, not fewer scrapes.
        let (mut first, mut latest) = (None, 0u64);
        while scrapes < 10 || t0.elapsed() < Duration::from_secs(1) {
            body.clear();
            t.write_openmetrics(&mut body).unwrap();
            let counters = samples(&body, "jobs_total");
            let counts = samples(&body, "perftrack_operation_duration_seconds_count");
            for (series, before) in &last_counters {
                assert!(counters[series] >= *before, "{series} ran backwards: {before} then {}", counters[series]);
            }
            for (series, before) in &last_counts {
                let now = counts.get(series).unwrap_or_else(|| panic!("{series} vanished"));
                assert!(now >= before, "{series} ran backwards: {before} then {now}");
            }
            latest = counters.values().sum();
            first.get_or_insert(latest);
            (last_counters, last_counts) = (counters, counts);
            scrapes += 1;
        }
        stop.store(true, Ordering::Relaxed);
        assert!(
            latest > first.unwrap_or(0),
            "the writers added nothing between the first and the last of {scrapes} scrapes"
        );
        writers.into_iter().map(|h| h.join().unwrap()).collect()
    });
    // At rest, the export equals the truth.
    let mut body = String::new();
    t.write_openmetrics(&mut body).unwrap();
    let counters = samples(&body, "jobs_total");
    for worker in 0..2u64 {
        let added: u64 = truth.iter().enumerate().filter(|(w, _)| *w as u64 % 2 == worker).map(|(_, (_, a))| a).sum();
        assert_eq!(counters[&format!("jobs_total{{worker=\"{worker}\"}}")], added);
    }
    let counts = samples(&body, "perftrack_operation_duration_seconds_count");
    let records: u64 = counts.values().sum();
    assert_eq!(records, truth.iter().map(|(n, _)| n).sum::<u64>());
    assert_eq!(counts.len(), 4 * 16.min(truth.iter().map(|(n, _)| *n as usize).min().unwrap()));
}
