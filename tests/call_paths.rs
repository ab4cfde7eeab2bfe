//! Nested spans and guards: the call-path table, the folded stacks, the
//! report's call tree, and every way a path can go untracked.

use core::panic::AssertUnwindSafe;
use core::time::Duration;
use std::collections::BTreeMap;
use std::panic::catch_unwind;

use perftrack::{PerformanceTracker, Timer, Tracker, clock::MockClock, limits::MAX_DEPTH};

mod common;
use common::{Pending, covers_ns};

fn folded<const O: usize, const R: usize, const S: usize, const B: usize>(t: &Tracker<O, R, S, B>) -> String {
    let mut out = String::new();
    t.write_folded(&mut out).unwrap();
    out
}

/// `path -> self ns` from folded text.
fn folded_map(text: &str) -> BTreeMap<String, u64> {
    text.lines()
        .map(|l| {
            let (path, n) = l.rsplit_once(' ').expect("a count after the last space");
            (path.to_string(), n.parse().expect("an integer count"))
        })
        .collect()
}

/// `(indented name, count, total, self)` rows of the report's call tree.
fn tree_rows(report: &str) -> Vec<(String, u64)> {
    let mut rows = Vec::new();
    let mut lines = report.lines().skip_while(|l| !l.starts_with("Call tree")).skip(2);
    for line in lines.by_ref() {
        if line.is_empty() || line.starts_with('(') {
            break;
        }
        let indent = line.len() - line.trim_start().len();
        let mut words = line.split_whitespace();
        let name = words.next().unwrap();
        let count = words.next().unwrap().parse().unwrap();
        rows.push((format!("{}{name}", " ".repeat(indent)), count));
    }
    rows
}

#[test]
fn explicit_spans_give_exact_folded_lines_and_self_times() {
    static T: Tracker<8, 8> = Tracker::new();
    let clock = MockClock::new();
    let ns = Duration::from_nanos;
    let [request, parse, tokenize, validate, encode] =
        ["request", "parse", "tokenize", "validate", "encode"].map(|n| T.operation(n).unwrap());
    for _ in 0..3 {
        let r = request.span(&clock);
        clock.advance(ns(10));
        {
            let p = parse.span_in(&r, &clock);
            clock.advance(ns(5));
            {
                let _t = tokenize.span_in(&p, &clock);
                clock.advance(ns(30));
            }
            validate.record_in(&p, ns(7)); // guard-free leaf: the clock does not move
            clock.advance(ns(2));
        }
        {
            let _e = encode.span_in(&r, &clock);
            clock.advance(ns(20));
        }
    }
    // request: 10 + (5 + 30 + 2) + 20 = 67 ns a run, of which 10 its own.
    // parse: 37 ns on the clock, less tokenize 30 and validate 7 = 0 ns of its own.
    // Exact text: parents first, siblings in table order.
    let text = folded(&T);
    assert_eq!(
        text,
        "request 30\nrequest;encode 60\nrequest;parse 0\nrequest;parse;validate 21\nrequest;parse;tokenize 90\n"
    );
    let map = folded_map(&folded(&T));
    let want: BTreeMap<String, u64> = [
        ("request", 30),
        ("request;parse", 0),
        ("request;parse;tokenize", 90),
        ("request;parse;validate", 21),
        ("request;encode", 60),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(map, want);
    // Parents come before their children.
    let lines: Vec<&str> = text.lines().map(|l| l.rsplit_once(' ').unwrap().0).collect();
    for (i, l) in lines.iter().enumerate() {
        if let Some((parent, _)) = l.rsplit_once(';') {
            assert!(lines[..i].contains(&parent), "{parent} before {l}");
        }
    }
    // Flat records are untouched by nesting: parse ran 3 times for 37 ns.
    let s = T.summary("parse").unwrap();
    assert_eq!((s.count, s.total_duration), (3, ns(111)));
    assert_eq!(T.untracked_paths(), 0);
}

#[test]
fn the_report_prints_the_call_tree_indented_with_counts() {
    static T: Tracker<4, 8> = Tracker::new();
    let clock = MockClock::new();
    let (a, b) = (T.operation("outer").unwrap(), T.operation("inner").unwrap());
    for _ in 0..4 {
        let o = a.span(&clock);
        b.record_in(&o, Duration::from_micros(3));
        clock.advance(Duration::from_micros(10));
    }
    let report = T.report().to_string();
    assert_eq!(tree_rows(&report), [("outer".to_string(), 4), ("  inner".to_string(), 4)]);
    let outer =
        report.lines().find(|l| l.starts_with("outer ") && l.contains("µs") && l.split_whitespace().count() == 6);
    let outer = outer.expect("the tree's outer row");
    assert!(outer.contains("40.0 µs") && outer.contains("28.0 µs"), "{outer}");
    assert!(!report.contains("untracked"));
}

#[test]
fn guards_nest_on_their_thread_and_land_in_the_tree() {
    let t = perftrack::PerformanceTracker::new();
    for _ in 0..5 {
        let _r = t.time("request").unwrap();
        t.measure("parse", || {
            let _tok = t.time("tokenize").unwrap();
        })
        .unwrap();
        Timer::new("log").record(&t).unwrap(); // a leaf under request
    }
    let map = folded_map(&folded(&t));
    let paths: Vec<&str> = map.keys().map(String::as_str).collect();
    assert_eq!(paths, ["request", "request;log", "request;parse", "request;parse;tokenize"]);
    let report = t.report().to_string();
    let rows = tree_rows(&report);
    assert_eq!(rows.iter().map(|r| r.1).collect::<Vec<_>>(), [5, 5, 5, 5]);
    assert_eq!(t.untracked_paths(), 0);
    // Every guard closed: a new guard is a root again.
    drop(t.time("after").unwrap());
    assert!(folded_map(&folded(&t)).contains_key("after"));
}

#[test]
fn guards_in_a_panicking_closure_still_close_their_paths_and_balance_the_stack() {
    let t = perftrack::PerformanceTracker::new();
    let r = catch_unwind(AssertUnwindSafe(|| {
        t.measure("outer", || {
            let _g = t.time("inner").unwrap();
            panic!("boom");
        })
    }));
    assert!(r.is_err());
    assert_eq!(t.summary("outer").unwrap().count, 1);
    assert_eq!(t.summary("inner").unwrap().count, 1);
    let paths: Vec<String> = folded_map(&folded(&t)).into_keys().collect();
    assert_eq!(paths, ["outer", "outer;inner"]);
    // Balanced: the next guard has no parent.
    drop(t.time("next").unwrap());
    assert!(folded_map(&folded(&t)).contains_key("next"));
    assert_eq!(t.untracked_paths(), 0);
}

#[test]
fn a_guard_dropped_out_of_order_is_counted_untracked_and_the_tree_stays_right() {
    let t = perftrack::PerformanceTracker::new();
    let outer = t.time("outer").unwrap();
    let inner = t.time("inner").unwrap();
    drop(outer); // closes inner's frame too
    let sibling = t.time("sibling").unwrap(); // a root: outer is closed
    drop(inner); // an orphan: flat record, untracked
    drop(sibling);
    assert_eq!(t.summary("inner").unwrap().count, 1, "the flat record is kept");
    assert_eq!(t.untracked_paths(), 1);
    let paths: Vec<String> = folded_map(&folded(&t)).into_keys().collect();
    assert_eq!(paths, ["outer", "sibling"], "no path under a closed guard, and inner has none");
    drop(t.time("after").unwrap());
    assert!(folded_map(&folded(&t)).contains_key("after"));
    assert!(t.report().to_string().contains("(1 records in untracked paths"));
}

#[test]
fn guards_of_another_tracker_in_between_are_skipped() {
    let a = perftrack::PerformanceTracker::new();
    let b = perftrack::PerformanceTracker::new();
    {
        let _outer = a.time("a_outer").unwrap();
        let _middle = b.time("b_middle").unwrap();
        let _inner = a.time("a_inner").unwrap();
    }
    let pa: Vec<String> = folded_map(&folded(&a)).into_keys().collect();
    let pb: Vec<String> = folded_map(&folded(&b)).into_keys().collect();
    assert_eq!(pa, ["a_outer", "a_outer;a_inner"]);
    assert_eq!(pb, ["b_middle"]);
}

#[test]
fn guards_deeper_than_max_depth_are_counted_and_recorded_flat() {
    fn nest(t: &Tracker<32, 64, { perftrack::THREAD_SHARDS }>, left: usize) {
        if left > 0 {
            let _g = t.time("deep").unwrap();
            nest(t, left - 1);
        }
    }
    let t = perftrack::PerformanceTracker::new();
    nest(&t, MAX_DEPTH + 8);
    assert_eq!(t.summary("deep").unwrap().count, (MAX_DEPTH + 8) as u64);
    assert_eq!(t.untracked_paths(), 8);
    assert_eq!(folded(&t).lines().count(), MAX_DEPTH);
    drop(t.time("after").unwrap());
    assert!(folded_map(&folded(&t)).contains_key("after"), "the stack is balanced after overflowing");
}

#[test]
fn a_full_path_table_keeps_flat_totals_exact_and_counts_the_untracked_records() {
    // 2 operations: 8 paths. A chain a;a;a;... 12 deep needs 12.
    static T: Tracker<2, 8> = Tracker::new();
    assert_eq!(Tracker::<2, 8>::PATH_CAPACITY, 8);
    let clock = MockClock::new();
    let a = T.operation("a").unwrap();
    fn chain(
        op: perftrack::Operation<'static, 8, { perftrack::DEFAULT_SHARDS }>,
        parent: &perftrack::Span<
            'static,
            '_,
            MockClock,
            8,
            { perftrack::DEFAULT_SHARDS },
            { perftrack::histogram::DEFAULT_BUCKETS },
        >,
        clock: &MockClock,
        left: usize,
    ) {
        if left == 0 {
            return;
        }
        let s = op.span_in(parent, clock);
        clock.advance(Duration::from_nanos(1));
        chain(op, &s, clock, left - 1);
    }
    {
        let root = a.span(&clock);
        clock.advance(Duration::from_nanos(1));
        chain(a, &root, &clock, 11);
    }
    let s = T.summary("a").unwrap();
    assert_eq!(s.count, 12);
    // Span k (k = 0 at the root) is open for 12 - k ticks: 12 + 11 + ... + 1.
    assert_eq!(s.total_duration, Duration::from_nanos(78));
    assert_eq!(T.untracked_paths(), 4);
    assert_eq!(folded(&T).lines().count(), 8);
    // The tracked part still adds up: self times of the 8 tracked paths are
    // their totals less their tracked children's; the deepest tracked one
    // keeps its untracked children's time as its own.
    let sum: u64 = folded_map(&folded(&T)).values().sum();
    assert_eq!(sum, 12, "the root's total: the whole tree's time");
}

#[test]
fn names_that_break_the_folded_format_are_replaced() {
    static T: Tracker<4, 8> = Tracker::new();
    let clock = MockClock::new();
    let (a, b, c) = (T.operation("a;b").unwrap(), T.operation("x y\tz").unwrap(), T.operation("new\nline").unwrap());
    let root = a.span(&clock);
    b.record_in(&root, Duration::from_nanos(2));
    c.record_in(&root, Duration::from_nanos(3));
    clock.advance(Duration::from_nanos(10));
    drop(root);
    assert_eq!(folded(&T), "a:b 5\na:b;x_y_z 2\na:b;new_line 3\n");
    for line in folded(&T).lines() {
        // flamegraph.pl's own parse of a line: `^(.*)\s+?(\d+(?:\.\d*)?)$`,
        // with `;` between frames and no frame empty.
        let (stack, n) = line.rsplit_once(' ').unwrap();
        assert!(n.chars().all(|c| c.is_ascii_digit()));
        assert!(stack.split(';').all(|f| !f.is_empty() && !f.contains(char::is_whitespace)));
    }
    assert_eq!((perftrack::export::FOLDED_SEMICOLON, perftrack::export::FOLDED_BLANK), (':', '_'));
}

#[test]
fn a_span_under_a_parent_of_another_tracker_is_untracked_not_misfiled() {
    static A: Tracker<2, 8> = Tracker::new();
    static B: Tracker<2, 8> = Tracker::new();
    let clock = MockClock::new();
    let pa = A.operation("a").unwrap();
    let pb = B.operation("b").unwrap();
    let parent = pa.span(&clock);
    drop(pb.span_in(&parent, &clock));
    drop(parent);
    assert_eq!(folded(&B), "");
    assert_eq!(B.untracked_paths(), 1);
    assert_eq!(B.summary("b").unwrap().count, 1);
}

/// Four threads each open `request;parse` `n` times on `t`; every path
/// record must be in the tree, and none untracked.
fn four_threads_nest_request_parse<const O: usize, const R: usize, const S: usize>(t: &Tracker<O, R, S>, n: u64) {
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..n {
                    let _r = t.time("request").unwrap();
                    let _p = t.time("parse").unwrap();
                }
            });
        }
    });
    let report = t.report().to_string();
    assert_eq!(tree_rows(&report), [("request".to_string(), 4 * n), ("  parse".to_string(), 4 * n)]);
    assert_eq!(t.untracked_paths(), 0);
}

#[test]
fn threads_nesting_the_same_paths_at_once_lose_no_path_record() {
    four_threads_nest_request_parse(&perftrack::PerformanceTracker::new(), 2_000);
}

#[test]
fn a_report_without_nested_scopes_has_no_call_tree() {
    let t = PerformanceTracker::new();
    for _ in 0..3 {
        drop(t.time("flat_a").unwrap());
        drop(t.time("flat_b").unwrap());
    }
    let report = t.report().to_string();
    assert!(!report.contains("Call tree"), "a flat run repeats the table as a tree:\n{report}");
    {
        let _outer = t.time("outer").unwrap();
        drop(t.time("inner").unwrap());
    }
    let report = t.report().to_string();
    assert!(report.contains("Call tree"), "a nested scope shows the tree:\n{report}");
    assert_eq!(tree_rows(&report).iter().filter(|(name, _)| name == "  inner").count(), 1, "{report}");
}

#[test]
fn the_report_names_the_run_and_says_when_tree_totals_are_summed_over_threads() {
    let t = PerformanceTracker::new();
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                let _outer = t.time("outer").unwrap();
                drop(t.time("inner").unwrap());
            });
        }
    });
    let report = t.report().to_string();
    let run = report.lines().find(|l| l.starts_with("Run: ")).expect("a run line with std");
    assert!(run.contains("of wall time since the first record"), "{run}");
    // Threads of other tests in this process count too: at least these two.
    let threads: usize = run.rsplit(", ").next().unwrap().split(' ').next().unwrap().parse().unwrap();
    assert!(threads >= 2, "{run}");
    assert!(report.contains(&format!("(totals summed over the {threads} threads that recorded")), "{report}");
}

#[test]
fn a_forgotten_guard_never_parents_the_scopes_of_a_new_tracker_at_the_same_address() {
    let mut tracker: Box<Tracker<4, 4, 1>> = Box::new(Tracker::new());
    // A guard that never closes: its frame stays on this thread's stack.
    core::mem::forget(tracker.time("lost").unwrap());
    // A new tracker in the same memory.
    *tracker = Tracker::new();
    for _ in 0..5 {
        let _a = tracker.time("a").unwrap();
        drop(tracker.time("b").unwrap());
    }
    let mut folded = String::new();
    tracker.write_folded(&mut folded).unwrap();
    let lines: Vec<&str> = folded.lines().map(|l| l.rsplit_once(' ').unwrap().0).collect();
    assert_eq!(lines, ["a", "a;b"], "the new tracker's scopes are roots of its own tree:\n{folded}");
    assert_eq!(tracker.untracked_paths(), 0);
    assert_eq!(tree_rows(&tracker.report().to_string()), [("a".to_string(), 5), ("  b".to_string(), 5)]);
}

#[test]
fn an_orphan_closing_where_a_newer_frame_now_stands_leaves_that_frame_alone() {
    let t = perftrack::PerformanceTracker::new();
    let outer = t.time("outer").unwrap();
    let inner = t.time("inner").unwrap(); // frame 1
    drop(outer); // closes inner's frame too: inner is an orphan
    let c = t.time("c").unwrap(); // frame 0
    let d = t.time("d").unwrap(); // frame 1 again, with a new token
    drop(inner); // the orphan: its position holds d's frame now, which it must not close
    drop(d);
    drop(c);
    assert_eq!(t.untracked_paths(), 1, "only the orphan is untracked");
    let paths: Vec<String> = folded_map(&folded(&t)).into_keys().collect();
    assert_eq!(paths, ["c", "c;d", "outer"]);
    // inner's path was claimed when it opened; it holds no record.
    assert_eq!(
        tree_rows(&t.report().to_string()),
        [("outer".to_string(), 1), ("  inner".to_string(), 0), ("c".to_string(), 1), ("  d".to_string(), 1)]
    );
}

#[test]
fn spans_nest_exactly_max_depth_deep_and_the_deeper_ones_are_counted_untracked() {
    // 16 operations: 64 paths, room for every depth.
    static T: Tracker<16, 8> = Tracker::new();
    let clock = MockClock::new();
    let op = T.operation("s").unwrap();
    type S<'c> = perftrack::Span<
        'static,
        'c,
        MockClock,
        8,
        { perftrack::DEFAULT_SHARDS },
        { perftrack::histogram::DEFAULT_BUCKETS },
    >;
    fn chain(
        op: perftrack::Operation<'static, 8, { perftrack::DEFAULT_SHARDS }>,
        parent: &S<'_>,
        clock: &MockClock,
        left: usize,
    ) {
        if left > 0 {
            let s = op.span_in(parent, clock);
            chain(op, &s, clock, left - 1);
        }
    }
    {
        let root = op.span(&clock);
        chain(op, &root, &clock, MAX_DEPTH + 1); // depths 2 ..= MAX_DEPTH + 2
    }
    assert_eq!(T.summary("s").unwrap().count, (MAX_DEPTH + 2) as u64);
    // Depths 1 ..= MAX_DEPTH are paths; the two below them are not.
    assert_eq!(folded(&T).lines().count(), MAX_DEPTH);
    assert_eq!(T.untracked_paths(), 2);
}

#[test]
fn interleaved_tasks_on_one_thread_never_produce_a_wrong_path() {
    use core::future::Future;
    use core::pin::Pin;
    use core::task::{Context, Poll, Waker};

    let t = PerformanceTracker::new();
    let task = t.operation("task").unwrap();
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut records = 0u64;
    for _ in 0..1_000 {
        // Three tasks on one thread, each holding guards across `.await`s and
        // awaiting an async call inside them, polled in a random order: a
        // current-thread executor's interleaving.
        let mut tasks: Vec<Pin<Box<dyn Future<Output = ()> + '_>>> = ["a", "b", "c"]
            .into_iter()
            .map(|name| {
                let t = &t;
                let body = async move {
                    let _outer = t.time(format!("{name}_outer")).unwrap();
                    Pending(1).await;
                    {
                        let _inner = t.time(format!("{name}_inner")).unwrap();
                        Pending(1).await;
                        drop(t.time(format!("{name}_leaf")).unwrap());
                        // An awaited async call, suspended once: the same path.
                        let leaf = t.operation(format!("{name}_leaf")).unwrap();
                        leaf.instrument(Pending(1)).await;
                    }
                    Pending(1).await;
                };
                Box::pin(task.instrument(body)) as Pin<Box<dyn Future<Output = ()>>>
            })
            .collect();
        records += 3 * 4 + 3;
        let mut cx = Context::from_waker(Waker::noop());
        while !tasks.is_empty() {
            let i = (next() % tasks.len() as u64) as usize;
            if tasks[i].as_mut().poll(&mut cx) == Poll::Ready(()) {
                drop(tasks.swap_remove(i));
            }
        }
    }
    // Every tracked path is the timed task's call, and under it one task's
    // names, in its own nesting.
    for path in folded_map(&folded(&t)).keys() {
        let frames: Vec<&str> = path.split(';').collect();
        assert_eq!(frames[0], "task", "an async call is the root of its body's scopes: {path}");
        let frames = &frames[1..];
        if frames.is_empty() {
            continue;
        }
        let task = frames[0].split('_').next().unwrap();
        let expected: Vec<String> =
            ["outer", "inner", "leaf"].iter().take(frames.len()).map(|f| format!("{task}_{f}")).collect();
        assert_eq!(frames, expected, "a path that mixes tasks or levels: {path}");
    }
    // Nothing is lost: every scope's record is either on a path or untracked.
    let on_paths: u64 = tree_rows(&t.report().to_string()).iter().map(|(_, n)| n).sum();
    assert_eq!(on_paths + t.untracked_paths(), records);
    assert_eq!(t.untracked_paths(), 0, "every scope here closes in its own task, in order");
    assert_eq!(t.summary("task").unwrap().count, 3_000);
}

/// Spins on this thread's CPU for `d`: time on a thread, however loaded the
/// machine is.
fn spin(d: Duration) {
    let t0 = perftrack::os::try_thread_cpu_time().unwrap();
    while perftrack::os::try_thread_cpu_time().unwrap() - t0 < d {
        core::hint::spin_loop();
    }
}

#[test]
fn awaited_async_calls_nest_and_their_suspended_time_counts_as_wall_but_not_busy() {
    use core::future::Future;
    use core::task::{Context, Poll, Waker};
    use perftrack::export::Weight;

    let t = PerformanceTracker::new();
    let (handler, query) = (t.operation("handler").unwrap(), t.operation("query").unwrap());
    let body = async {
        spin(Duration::from_millis(2));
        // Awaited: nests under the handler. It is suspended once.
        query
            .instrument(async {
                spin(Duration::from_millis(1));
                Pending(1).await;
                drop(t.time("decode").unwrap());
            })
            .await;
    };
    let mut fut = core::pin::pin!(handler.instrument(body));
    let mut cx = Context::from_waker(Waker::noop());
    assert!(fut.as_mut().poll(&mut cx).is_pending());
    // Both calls are suspended: 30 ms of wall time that is on no thread.
    std::thread::sleep(Duration::from_millis(30));
    assert_eq!(fut.as_mut().poll(&mut cx), Poll::Ready(()));

    let wall = folded_map(&folded(&t));
    let mut busy = String::new();
    t.write_folded_with(&mut busy, Weight::Busy).unwrap();
    let busy = folded_map(&busy);
    assert_eq!(wall.keys().collect::<Vec<_>>(), ["handler", "handler;query", "handler;query;decode"]);
    assert_eq!(busy.keys().collect::<Vec<_>>(), wall.keys().collect::<Vec<_>>());
    let ms = |ns: u64| ns / 1_000_000;
    // The query's wall self time holds the 30 ms it was suspended; its busy
    // self time only its 1 ms of work (and the poll bookkeeping).
    assert!(covers_ns(wall["handler;query"], Duration::from_millis(30)), "{wall:?}");
    // (Upper bounds below the 30 ms suspension, with room for a preempted
    // poll on a loaded machine: they still fail if the suspension counted.)
    assert!((1..25).contains(&ms(busy["handler;query"])), "{busy:?}");
    // The handler awaited the query throughout the suspension: its wall
    // self time is its own 2 ms, and so is its busy self time.
    assert!((2..25).contains(&ms(wall["handler"])), "{wall:?}");
    assert!((2..25).contains(&ms(busy["handler"])), "{busy:?}");
    // A guard's scope is on its thread throughout.
    assert_eq!(wall["handler;query;decode"], busy["handler;query;decode"]);
    assert_eq!(t.untracked_paths(), 0);
}

#[test]
fn a_timed_call_that_ends_outside_its_parents_scope_records_untracked() {
    use core::future::Future;
    use core::task::{Context, Waker};

    let t = PerformanceTracker::new();
    let op = t.operation("detached").unwrap();
    let mut cx = Context::from_waker(Waker::noop());
    let mut fut = Box::pin(op.instrument(Pending(1)));
    {
        let _parent = t.time("parent").unwrap();
        assert!(fut.as_mut().poll(&mut cx).is_pending());
    }
    // The parent's scope has closed, and another scope is open where it
    // was: the call must neither subtract from that one nor claim its path.
    {
        let _other = t.time("other").unwrap();
        assert!(fut.as_mut().poll(&mut cx).is_ready());
    }
    assert_eq!(t.summary("detached").unwrap().count, 1);
    assert_eq!(t.untracked_paths(), 1);
    let wall = folded_map(&folded(&t));
    assert_eq!(wall.keys().collect::<Vec<_>>(), ["other", "parent"], "{wall:?}");
}

#[test]
fn threads_past_the_shard_count_and_the_shard_owner_lose_no_path_record() {
    // One shard: the first thread to record owns it and adds to its own
    // cells with plain stores; the other three add to the shared cells.
    four_threads_nest_request_parse(&Tracker::<4, 8, 1>::boxed(), if cfg!(miri) { 20 } else { 2_000 });
}

#[test]
fn a_scope_reopened_where_it_was_before_lands_on_its_own_path_again() {
    // A guard's stack keeps the last path claimed under each frame and at
    // the root: the same operation under another parent, or at the root of
    // another tracker whose operation has the same slot index, must still
    // find its own path.
    let t = PerformanceTracker::new();
    // Smaller, so that its path table is too: the same key lands elsewhere.
    let u = Tracker::<3, 8, 2>::boxed();
    u.operation("u_root").unwrap(); // slot 0 of u, as "a" is slot 0 of t
    for _ in 0..3 {
        {
            let _a = t.time("a").unwrap();
            drop(t.time("c").unwrap());
        }
        {
            let _r = u.time("u_root").unwrap();
            drop(u.time("u_leaf").unwrap());
        }
        {
            let _b = t.time("b").unwrap();
            drop(t.time("c").unwrap());
            drop(t.time("d").unwrap());
            drop(t.time("c").unwrap());
        }
        drop(t.time("c").unwrap());
        {
            let _r = u.time("u_root").unwrap();
            drop(u.time("u_leaf").unwrap());
        }
    }
    // Each row's full path, from the tree's indentation (roots come in table order).
    let mut open: Vec<String> = Vec::new();
    let mut paths = BTreeMap::new();
    for (row, count) in tree_rows(&t.report().to_string()) {
        let depth = (row.len() - row.trim_start().len()) / 2;
        open.truncate(depth);
        open.push(row.trim_start().to_string());
        paths.insert(open.join(";"), count);
    }
    let expected = [("a", 3), ("a;c", 3), ("b", 3), ("b;c", 6), ("b;d", 3), ("c", 3)]
        .map(|(path, count)| (path.to_string(), count));
    assert_eq!(paths, BTreeMap::from(expected));
    let rows = tree_rows(&u.report().to_string());
    assert_eq!(rows, [("u_root".to_string(), 6), ("  u_leaf".to_string(), 6)]);
    assert_eq!(t.untracked_paths() + u.untracked_paths(), 0);
}
