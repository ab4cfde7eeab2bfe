//! The timeline: a strict checker of the Trace Event JSON that
//! `Tracker::write_trace` writes (every event well formed, `X` events
//! nested per track, a name for every track), and what it must show: the
//! totals per operation equal the tracker's, one track per concurrent
//! async call, an awaited call on its parent's track, cancelled calls
//! marked, and a full ring's oldest events overwritten and counted.
//!
//! The timeline is one per process: each test enables it (the first
//! call's capacity holds) and writes the trace of a tracker of its own.

mod common;
use common::Pending;

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use core::time::Duration;
use std::collections::{BTreeMap, BTreeSet};

use perftrack::{THREAD_SHARDS, Tracker, timeline};
use serde_json::Value;

/// An `X` event as the checker reads it.
#[derive(Debug, Clone)]
struct Span {
    name: String,
    start_ns: u64,
    dur_ns: u64,
    /// `ts` and `ts + dur`, in ns, as a viewer draws them.
    start: f64,
    end: f64,
    cancelled: bool,
    cat: String,
}

/// Each track's spans and name.
#[derive(Debug, Default)]
struct Trace {
    tracks: BTreeMap<u64, (String, Vec<Span>)>,
    /// The counter (`C`) events: each series' value.
    counters: BTreeMap<String, f64>,
}

impl Trace {
    fn spans(&self) -> impl Iterator<Item = &Span> {
        self.tracks.values().flat_map(|(_, s)| s)
    }

    /// The track of the (first) span named `name`.
    fn track_of(&self, name: &str) -> Vec<u64> {
        self.tracks.iter().filter(|(_, (_, s))| s.iter().any(|x| x.name == name)).map(|(&t, _)| t).collect()
    }
}

/// Parses and checks a trace strictly; panics naming what is wrong.
fn check(json: &[u8]) -> Trace {
    let v: Value = serde_json::from_slice(json).expect("the trace is JSON");
    let events = v["traceEvents"].as_array().expect("a traceEvents array");
    let pid = u64::from(std::process::id());
    let mut names: BTreeMap<u64, String> = BTreeMap::new();
    let mut spans: BTreeMap<u64, Vec<Span>> = BTreeMap::new();
    let mut counters: BTreeMap<String, f64> = BTreeMap::new();
    for e in events {
        let ph = e["ph"].as_str().expect("ph");
        let tid = e["tid"].as_u64().expect("an integer tid");
        assert_eq!(e["pid"].as_u64(), Some(pid), "pid: {e}");
        match ph {
            "M" => {
                assert_eq!(e["name"], "thread_name", "{e}");
                let name = e["args"]["name"].as_str().expect("a thread name").to_string();
                assert!(names.insert(tid, name).is_none(), "two names for track {tid}");
            }
            "X" => {
                let name = e["name"].as_str().expect("a name").to_string();
                let ts = e["ts"].as_f64().expect("ts");
                let dur = e["dur"].as_f64().expect("dur");
                assert!(ts >= 0.0 && dur >= 0.0, "{e}");
                let start_ns = e["args"]["start_ns"].as_u64().expect("start_ns");
                let dur_ns = e["args"]["dur_ns"].as_u64().expect("dur_ns");
                assert!((ts * 1000.0 - start_ns as f64).abs() < 0.5, "ts is start_ns in µs: {e}");
                assert!(dur * 1000.0 <= dur_ns as f64 + 0.5 && dur * 1000.0 + 2.5 >= dur_ns as f64, "dur: {e}");
                let cancelled = e["args"]["cancelled"].as_bool().unwrap_or(false);
                let cat = e["cat"].as_str().unwrap_or_default().to_string();
                spans.entry(tid).or_default().push(Span {
                    name,
                    start_ns,
                    dur_ns,
                    start: ts * 1000.0,
                    end: (ts + dur) * 1000.0,
                    cancelled,
                    cat,
                });
            }
            "C" => {
                assert!(e["name"].as_str().is_some_and(|n| !n.is_empty()), "{e}");
                assert!(e["ts"].as_f64().is_some_and(|t| t >= 0.0), "{e}");
                let value = e["args"]["value"].as_f64().expect("a counter event's value");
                counters.insert(e["name"].as_str().unwrap().to_string(), value);
            }
            other => panic!("an event of phase {other}: {e}"),
        }
    }
    let mut trace = Trace { counters, ..Trace::default() };
    for (tid, mut s) in spans {
        let name = names.get(&tid).unwrap_or_else(|| panic!("track {tid} has no thread_name")).clone();
        // Strict nesting: sorted by start (outer first), each span either
        // inside the innermost open one or after it.
        s.sort_by(|a, b| a.start.total_cmp(&b.start).then(b.end.total_cmp(&a.end)));
        let mut open: Vec<&Span> = Vec::new();
        for x in &s {
            while open.last().is_some_and(|o| o.end <= x.start + 1e-6) {
                open.pop();
            }
            if let Some(o) = open.last() {
                assert!(
                    x.end <= o.end + 1e-6,
                    "track {tid} ({name}): {} [{}, {}] overlaps {} [{}, {}] without nesting",
                    x.name,
                    x.start,
                    x.end,
                    o.name,
                    o.start,
                    o.end
                );
            }
            open.push(x);
        }
        trace.tracks.insert(tid, (name, s));
    }
    trace
}

fn trace_of<const O: usize, const R: usize, const S: usize, const B: usize>(t: &Tracker<O, R, S, B>) -> Trace {
    let mut json = Vec::new();
    t.write_trace(&mut json).unwrap();
    check(&json)
}

fn spin(d: Duration) {
    let end = std::time::Instant::now() + d;
    while std::time::Instant::now() < end {
        core::hint::spin_loop();
    }
}

#[test]
fn nested_scopes_nest_on_their_thread_tracks_and_their_totals_equal_the_summary() {
    timeline::enable(1 << 16);
    let t = Tracker::<8, 8, THREAD_SHARDS>::boxed();
    std::thread::scope(|s| {
        for i in 0..3 {
            let t = &*t;
            std::thread::Builder::new()
                .name(format!("worker-{i}"))
                .spawn_scoped(s, move || {
                    for _ in 0..50 {
                        let _outer = t.time("outer").unwrap();
                        spin(Duration::from_micros(5));
                        let _inner = t.time("inner").unwrap();
                        drop(t.time("leaf").unwrap());
                    }
                })
                .unwrap();
        }
    });
    let trace = trace_of(&*t);
    let names: BTreeSet<&str> = trace.tracks.values().map(|(n, _)| n.as_str()).collect();
    for i in 0..3 {
        assert!(names.contains(format!("worker-{i}").as_str()), "{names:?}");
    }
    for s in t.summaries() {
        let spans: Vec<&Span> = trace.spans().filter(|x| x.name == s.name.as_str()).collect();
        assert_eq!(spans.len() as u64, s.count, "{}", s.name);
        let total: u64 = spans.iter().map(|x| x.dur_ns).sum();
        assert_eq!(Duration::from_nanos(total), s.total_duration, "{}: the trace's total is the tracker's", s.name);
        assert!(spans.iter().all(|x| x.cat == "scope"));
    }
    assert!(trace.spans().all(|x| x.start_ns > 0));
}

/// Polls every future in turn until all are done, on this thread.
fn run_all(mut tasks: Vec<Pin<Box<dyn Future<Output = ()> + '_>>>) {
    let mut cx = Context::from_waker(Waker::noop());
    while !tasks.is_empty() {
        tasks.retain_mut(|t| t.as_mut().poll(&mut cx).is_pending());
    }
}

/// Two futures polled side by side: `join`'s shape, hand-written.
struct Join<A, B>(Option<Pin<Box<A>>>, Option<Pin<Box<B>>>);

impl<A: Future<Output = ()>, B: Future<Output = ()>> Future for Join<A, B> {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if let Some(a) = &mut self.0
            && a.as_mut().poll(cx).is_ready()
        {
            self.0 = None;
        }
        if let Some(b) = &mut self.1
            && b.as_mut().poll(cx).is_ready()
        {
            self.1 = None;
        }
        if self.0.is_none() && self.1.is_none() { Poll::Ready(()) } else { Poll::Pending }
    }
}

#[test]
fn concurrent_async_calls_get_a_track_each_and_an_awaited_call_its_parents() {
    timeline::enable(1 << 16);
    let boxed = Tracker::<8, 8, THREAD_SHARDS>::boxed();
    let t = &*boxed;
    let (serve, render, left, right, both) = (
        t.operation("serve").unwrap(),
        t.operation("render").unwrap(),
        t.operation("left").unwrap(),
        t.operation("right").unwrap(),
        t.operation("both").unwrap(),
    );
    // 400 calls at once, each awaiting a timed child and closing a scope
    // inside its polls.
    let tasks: Vec<Pin<Box<dyn Future<Output = ()> + '_>>> = (0..400)
        .map(|_| {
            Box::pin(serve.instrument(async move {
                Pending(2).await;
                render.instrument(Pending(1)).await;
                drop(t.time("scope").unwrap());
            })) as Pin<Box<dyn Future<Output = ()> + '_>>
        })
        .collect();
    run_all(tasks);
    // A call whose two children run side by side: the first shares its
    // track, the second overlaps it and gets its own.
    run_all(vec![Box::pin(
        both.instrument(Join(
            Some(Box::pin(left.instrument(Pending(3)))),
            Some(Box::pin(right.instrument(Pending(3)))),
        )),
    )]);
    let trace = trace_of(t);
    let serve_tracks = trace.track_of("serve");
    assert_eq!(serve_tracks.len(), 400, "one track per concurrent call");
    for tid in &serve_tracks {
        let (name, spans) = &trace.tracks[tid];
        assert!(name.starts_with("serve (task "), "{name}");
        let names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["serve", "render", "scope"], "the awaited call and the scope on the call's track");
        assert!(spans.iter().all(|s| !s.cancelled));
    }
    let (both_track, left_track, right_track) =
        (trace.track_of("both"), trace.track_of("left"), trace.track_of("right"));
    assert_eq!(left_track, both_track, "the first child shares its parent's track");
    assert_ne!(right_track, both_track, "a child that overlaps its sibling has its own");
    assert!(trace.tracks[&right_track[0]].0.starts_with("right (task "));
}

#[test]
fn a_cancelled_call_is_marked_and_a_full_ring_counts_what_it_overwrote() {
    timeline::enable(1 << 16);
    let t = Tracker::<4, 8, THREAD_SHARDS>::boxed();
    let op = t.operation("abandoned").unwrap();
    let mut fut = Box::pin(op.instrument(Pending(5)));
    assert!(fut.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_pending());
    drop(fut);
    let trace = trace_of(&*t);
    let spans: Vec<&Span> = trace.spans().filter(|s| s.name == "abandoned").collect();
    assert_eq!(spans.len(), 1);
    assert!(spans[0].cancelled && spans[0].cat == "async");
    // A thread that writes more events than its ring holds: the oldest are
    // overwritten and counted, and the memory does not grow.
    let before = timeline::stats();
    let bytes = before.bytes;
    std::thread::spawn(move || {
        let t = Tracker::<2, 4, THREAD_SHARDS>::boxed();
        for _ in 0..(1 << 16) + 100 {
            drop(t.time("many").unwrap());
        }
        let trace = trace_of(&*t);
        assert_eq!(trace.spans().count(), 1 << 16, "the ring holds its capacity");
    })
    .join()
    .unwrap();
    let after = timeline::stats();
    assert!(after.overwritten >= before.overwritten + 100, "{before:?} {after:?}");
    assert_eq!(after.bytes, bytes);
}

#[test]
fn spans_shorter_than_the_filter_are_left_out_and_a_trace_holds_its_trackers_operations_and_metrics() {
    timeline::enable(1 << 16);
    let t = Tracker::<4, 8, THREAD_SHARDS>::boxed();
    drop(t.time("quick").unwrap());
    {
        let _g = t.time("slow").unwrap();
        spin(Duration::from_micros(200));
    }
    let mut json = Vec::new();
    t.write_trace_with(&mut json, &timeline::TraceOptions::default().min_duration(Duration::from_micros(100))).unwrap();
    let trace = check(&json);
    let names: Vec<&str> = trace.spans().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["slow"]);
    // A tracker's trace holds its own operations only.
    let other = Tracker::<2, 4, THREAD_SHARDS>::boxed();
    assert_eq!(trace_of(&*other).spans().count(), 0);
    // Its counters and gauges are counter events of their values now.
    t.counter_with_labels("jobs_total", &[("queue", "a")]).unwrap().increment(3);
    t.gauge("depth").unwrap().set(2.5);
    let trace = trace_of(&*t);
    assert_eq!(trace.counters.get("jobs{queue=\"a\"}"), Some(&3.0), "{:?}", trace.counters);
    assert_eq!(trace.counters.get("depth"), Some(&2.5));
}
