//! `PerftrackLayer`: `#[instrument]` functions nested three deep, called
//! from two threads, land in the flat totals and the call tree exactly.
#![cfg(feature = "tracing")]

use std::collections::BTreeMap;

use perftrack::{PerformanceTracker, Tracker, integrations::PerftrackLayer};
use tracing_subscriber::layer::SubscriberExt;

mod common;
use common::{covers, covers_ns};

#[tracing::instrument]
fn inner(i: u64) -> u64 {
    core::hint::black_box(i * 2)
}

#[tracing::instrument]
fn middle(i: u64) -> u64 {
    inner(i) + inner(i + 1)
}

#[tracing::instrument]
fn outer(i: u64) -> u64 {
    middle(i)
}

/// `path -> count` from the report's call tree, with each row's full path.
fn tree_counts(report: &str) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    let mut stack: Vec<String> = Vec::new();
    for line in report.lines().skip_while(|l| !l.starts_with("Call tree")).skip(2) {
        if line.is_empty() || line.starts_with('(') {
            break;
        }
        let depth = (line.len() - line.trim_start().len()) / 2;
        let mut words = line.split_whitespace();
        let name = words.next().unwrap().to_string();
        stack.truncate(depth);
        stack.push(name);
        out.insert(stack.join(";"), words.next().unwrap().parse().unwrap());
    }
    out
}

/// A span's operation name: its target (this test crate's module path), then
/// its name.
fn op(name: &str) -> String {
    format!("{}::{name}", module_path!())
}

/// `op` on each frame of a folded path.
fn path(frames: &str) -> String {
    frames.split(';').map(op).collect::<Vec<_>>().join(";")
}

#[test]
fn instrumented_functions_three_deep_on_two_threads_give_exact_totals_and_paths() {
    static TRACKER: PerformanceTracker = PerformanceTracker::new();
    const N: u64 = 500;
    let layer = PerftrackLayer::new(&TRACKER).with_busy_time();
    let subscriber = tracing_subscriber::registry().with(layer);
    let dispatch = tracing::Dispatch::new(subscriber);
    std::thread::scope(|s| {
        for t in 0..2 {
            let dispatch = dispatch.clone();
            s.spawn(move || {
                tracing::dispatcher::with_default(&dispatch, || {
                    for i in 0..N {
                        outer(t * N + i);
                    }
                })
            });
        }
    });
    assert_eq!(TRACKER.summary(op("outer")).unwrap().count, 2 * N);
    assert_eq!(TRACKER.summary(op("middle")).unwrap().count, 2 * N);
    assert_eq!(TRACKER.summary(op("inner")).unwrap().count, 4 * N);
    let want: BTreeMap<String, u64> =
        [("outer", 2 * N), ("outer;middle", 2 * N), ("outer;middle;inner", 4 * N)].map(|(k, v)| (path(k), v)).into();
    assert_eq!(tree_counts(&TRACKER.report().to_string()), want);
    let mut folded = String::new();
    TRACKER.write_folded(&mut folded).unwrap();
    let paths: Vec<&str> = folded.lines().map(|l| l.rsplit_once(' ').unwrap().0).collect();
    assert_eq!(paths, [path("outer"), path("outer;middle"), path("outer;middle;inner")]);
    assert_eq!(TRACKER.untracked_paths(), 0);
    // Busy time is recorded as the CPU column: every span was entered.
    assert_eq!(TRACKER.summary(op("inner")).unwrap().cpu_samples, 4 * N);
}

/// `path -> ns` from a folded-stack text.
fn folded_map(folded: &str) -> BTreeMap<String, u64> {
    folded.lines().map(|l| l.rsplit_once(' ').unwrap()).map(|(p, n)| (p.to_string(), n.parse().unwrap())).collect()
}

/// How long the spans below sleep.
const SLEEP: core::time::Duration = core::time::Duration::from_millis(20);

/// A `job` span entered throughout, and inside it a `wait` span that is
/// alive for [`SLEEP`] without being entered.
fn job_with_a_waiting_child() {
    let job = tracing::info_span!("job");
    job.in_scope(|| {
        let wait = tracing::info_span!("wait");
        wait.in_scope(|| {});
        std::thread::sleep(SLEEP);
        drop(wait);
    });
}

#[test]
fn the_default_layer_records_wall_time_and_paths_and_no_busy_time() {
    static TRACKER: Tracker<4, 8> = Tracker::new();
    let subscriber = tracing_subscriber::registry().with(PerftrackLayer::new(&TRACKER));
    tracing::subscriber::with_default(subscriber, job_with_a_waiting_child);
    let wait = TRACKER.summary(op("wait")).unwrap();
    assert_eq!((wait.count, wait.cpu_samples), (1, 0), "no CPU column without with_busy_time");
    assert!(covers(wait.total_duration, SLEEP), "{:?}", wait.total_duration);
    let (mut wall, mut busy) = (String::new(), String::new());
    TRACKER.write_folded_with(&mut wall, perftrack::export::Weight::Wall).unwrap();
    TRACKER.write_folded_with(&mut busy, perftrack::export::Weight::Busy).unwrap();
    assert_eq!(busy, wall, "no idle time is measured, so busy weights are wall weights");
    assert!(covers_ns(folded_map(&wall)[&path("job;wait")], SLEEP), "{wall}");
}

#[test]
fn with_busy_time_a_span_alive_but_not_entered_is_idle_and_its_entered_parent_keeps_that_time_as_busy() {
    static TRACKER: Tracker<4, 8> = Tracker::new();
    let layer = PerftrackLayer::new(&TRACKER).with_busy_time();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), job_with_a_waiting_child);
    let wait = TRACKER.summary(op("wait")).unwrap();
    assert_eq!(wait.cpu_samples, 1);
    assert!(covers(wait.total_duration, SLEEP), "{:?}", wait.total_duration);
    assert!(wait.total_cpu_time < core::time::Duration::from_millis(10), "entered only for an empty closure");
    let (mut wall, mut busy) = (String::new(), String::new());
    TRACKER.write_folded_with(&mut wall, perftrack::export::Weight::Wall).unwrap();
    TRACKER.write_folded_with(&mut busy, perftrack::export::Weight::Busy).unwrap();
    let (wall, busy) = (folded_map(&wall), folded_map(&busy));
    let (job, wait) = (path("job"), path("job;wait"));
    // Wall: the 20 ms are the child's. Busy: the child was not entered, and
    // the parent was on its thread all along.
    assert!(covers_ns(wall[&wait], SLEEP) && wall[&job] < 10_000_000, "{wall:?}");
    assert!(covers_ns(busy[&job], SLEEP) && busy.get(&wait).copied().unwrap_or(0) < 10_000_000, "{busy:?}");
}

#[test]
fn a_span_with_an_explicit_parent_nests_under_it_and_self_time_excludes_children() {
    static TRACKER: Tracker<4, 8> = Tracker::new();
    let subscriber = tracing_subscriber::registry().with(PerftrackLayer::new(&TRACKER));
    tracing::subscriber::with_default(subscriber, || {
        let root = tracing::info_span!("job");
        let child = tracing::info_span!(parent: &root, "step");
        child.in_scope(|| std::thread::sleep(SLEEP));
        drop(child);
        drop(root);
    });
    let mut folded = String::new();
    TRACKER.write_folded(&mut folded).unwrap();
    let map = folded_map(&folded);
    let (job, step) = (path("job"), path("job;step"));
    assert_eq!(map.keys().cloned().collect::<Vec<_>>(), [job.clone(), step.clone()]);
    assert!(covers_ns(map[&step], SLEEP), "{map:?}");
    assert!(map[&job] < map[&step], "the child's time is not the parent's own: {map:?}");
}

#[test]
fn spans_whose_names_cannot_be_registered_are_counted_as_dropped() {
    static TRACKER: Tracker<1, 8> = Tracker::new();
    let layer = PerftrackLayer::new(&TRACKER);
    let subscriber = tracing_subscriber::registry().with(layer);
    let dispatch = tracing::Dispatch::new(subscriber);
    tracing::dispatcher::with_default(&dispatch, || {
        drop(tracing::info_span!("first"));
        drop(tracing::info_span!("second")); // the tracker holds one name
    });
    assert_eq!(TRACKER.summary(op("first")).unwrap().count, 1);
    assert_eq!(TRACKER.refused(), 1, "the tracker counts the refusal too");
    let layer = dispatch.downcast_ref::<PerftrackLayer<1, 8>>().expect("the layer is in the subscriber");
    assert_eq!(layer.dropped(), 1);
}

mod db {
    #[tracing::instrument]
    pub fn query() {}
}

mod cache {
    #[tracing::instrument]
    pub fn query() {}
}

#[test]
fn same_named_spans_of_two_modules_are_two_operations() {
    static TRACKER: Tracker<4, 8> = Tracker::new();
    let subscriber = tracing_subscriber::registry().with(PerftrackLayer::new(&TRACKER));
    tracing::subscriber::with_default(subscriber, || {
        db::query();
        db::query();
        cache::query();
    });
    assert_eq!(TRACKER.summary(op("db::query")).unwrap().count, 2);
    assert_eq!(TRACKER.summary(op("cache::query")).unwrap().count, 1);
}
