//! `#[perftrack::measure]` and friends on every form of function: free
//! functions, methods, `async fn` (Send, nested, interleaved), generic
//! functions, `impl Trait` returns, `measure_all` with `skip`, and the
//! `name`/`tracker` options; and `measure_block!` on blocks and `async`
//! blocks.
#![cfg(all(feature = "macros", not(feature = "off")))]

use core::fmt::Debug;
use core::future::Future;
use core::pin::pin;
use core::task::{Context, Waker};

use perftrack::{global, instrument::HeapTracker, measure, measure_all, measure_block};

mod common;
use common::covers;
use common::{Pending, block_on};

/// A tracker of the tests' own, for the `tracker = …` option.
static OWN: HeapTracker<8, 8, 2> = HeapTracker::new();

fn count(name: &str) -> u64 {
    global().summary(name).map_or(0, |s| s.count)
}

#[measure]
fn free_function(x: u32) -> u32 {
    x + 1
}

mod parser {
    #[perftrack::measure]
    pub fn parse(input: &str) -> usize {
        input.len()
    }
}

#[test]
fn a_free_function_is_named_by_its_path_within_the_crate() {
    let before = (count("free_function"), count("parser::parse"));
    assert_eq!(free_function(1), 2);
    assert_eq!(parser::parse("abc"), 3);
    assert_eq!(parser::parse("abcd"), 4);
    assert_eq!((count("free_function"), count("parser::parse")), (before.0 + 1, before.1 + 2));
}

struct Svc {
    calls: u32,
}

impl Svc {
    #[measure]
    fn alpha(&mut self) -> u32 {
        self.calls += 1;
        self.calls
    }
}

#[test]
fn a_method_is_named_by_its_type() {
    let mut svc = Svc { calls: 0 };
    let before = count("Svc::alpha");
    svc.alpha();
    svc.alpha();
    assert_eq!(count("Svc::alpha"), before + 2);
}

#[measure]
fn generic<T: Debug>(value: T) -> String {
    format!("{value:?}")
}

#[measure]
fn evens(up_to: u32) -> impl Iterator<Item = u32> {
    (0..up_to).filter(|n| n % 2 == 0)
}

#[test]
fn generic_functions_share_one_operation_and_impl_trait_returns_work() {
    let before = count("generic");
    assert_eq!(generic(1u8), "1");
    assert_eq!(generic("x"), "\"x\"");
    assert_eq!(count("generic"), before + 2);
    assert_eq!(evens(7).collect::<Vec<_>>(), [0, 2, 4, 6]);
    assert!(count("evens") >= 1);
}

#[measure(name = "custom operation", tracker = &OWN)]
fn with_options() -> u32 {
    7
}

#[test]
fn name_and_tracker_options_choose_where_the_record_goes() {
    let before = OWN.summary("custom operation").map_or(0, |s| s.count);
    assert_eq!(with_options(), 7);
    assert_eq!(OWN.summary("custom operation").unwrap().count, before + 1);
    assert_eq!(count("custom operation"), 0, "not in the global tracker");
}

#[measure]
async fn fetch(n: u64) -> Result<u64, String> {
    let half = parse_number(n)?;
    Ok(half * 2)
}

fn parse_number(n: u64) -> Result<u64, String> {
    if n == 0 { Err("zero".into()) } else { Ok(n / 2) }
}

fn assert_send<T: Send>(_: &T) {}

#[test]
fn an_async_fn_records_once_per_completed_call_and_stays_send() {
    let before = count("fetch");
    let fut = fetch(10);
    assert_send(&fut);
    assert_eq!(count("fetch"), before, "a future never polled is not a call");
    assert_eq!(block_on(fut), Ok(10));
    assert_eq!(block_on(fetch(0)), Err("zero".to_string()), "`?` still works in the body");
    assert_eq!(count("fetch"), before + 2);
}

/// The async functions with and without CPU time record here.
static CPU: HeapTracker<2, 8, 2> = HeapTracker::new();

#[measure(tracker = &CPU, name = "with cpu", cpu_time)]
async fn with_cpu_time() -> u32 {
    Pending(2).await;
    3
}

#[measure(tracker = &CPU, name = "without cpu")]
async fn without_cpu_time() -> u32 {
    Pending(2).await;
    3
}

#[test]
fn an_async_fn_reads_the_cpu_clock_only_with_cpu_time() {
    assert_eq!(block_on(with_cpu_time()), 3);
    assert_eq!(block_on(without_cpu_time()), 3);
    let with = CPU.summary("with cpu").unwrap();
    let without = CPU.summary("without cpu").unwrap();
    assert_eq!((with.count, with.cpu_samples), (1, 1));
    assert_eq!((without.count, without.cpu_samples), (1, 0));
    assert!(with.total_cpu_time <= with.total_duration);
}

#[measure(tracker = &OWN)]
async fn slow_handler() -> u32 {
    Pending(3).await;
    std::thread::sleep(core::time::Duration::from_millis(2));
    Pending(1).await;
    7
}

#[test]
fn a_call_dropped_mid_flight_is_counted_cancelled_apart_from_the_completed_calls() {
    let summary = || OWN.summary("slow_handler").map_or((0, 0), |s| (s.count, s.cancelled));
    let before = summary();
    let time_before = OWN.summary("slow_handler").map_or(core::time::Duration::ZERO, |s| s.cancelled_duration);
    // Never polled: not a call.
    drop(slow_handler());
    assert_eq!(summary(), before);
    // Polled twice, then dropped: a cancelled call, counted apart with its
    // wall time so far, and no record.
    {
        let mut fut = pin!(slow_handler());
        let mut cx = Context::from_waker(Waker::noop());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
    }
    assert_eq!(summary(), (before.0, before.1 + 1));
    assert!(OWN.summary("slow_handler").unwrap().cancelled_duration > time_before);
    // Sleeps 2 ms in its body, then completes: a call, not cancelled.
    assert_eq!(block_on(slow_handler()), 7);
    let after = OWN.summary("slow_handler").unwrap();
    assert_eq!((after.count, after.cancelled), (before.0 + 1, before.1 + 1));
    assert!(covers(after.max_duration, core::time::Duration::from_millis(2)), "{after:?}");
    // Dropping a completed future records nothing more.
    let mut done = Box::pin(slow_handler());
    let mut cx = Context::from_waker(Waker::noop());
    while done.as_mut().poll(&mut cx).is_pending() {}
    drop(done);
    assert_eq!(OWN.summary("slow_handler").unwrap().cancelled, before.1 + 1);
    assert_eq!(OWN.summary("slow_handler").unwrap().count, before.0 + 2);
    let report = OWN.report().to_string();
    let row = report.lines().find(|l| l.starts_with("slow_handler ")).unwrap();
    let header = report.lines().find(|l| l.starts_with("Operation")).unwrap();
    assert!(header.trim_end().ends_with(" Cancelled"), "{report}");
    assert!(row.trim_end().ends_with(&format!(" {}", before.1 + 1)), "{report}");
}

#[measure(tracker = &OWN)]
async fn outer_task() -> u32 {
    let a = inner_task().await;
    a + 1
}

#[measure(tracker = &OWN)]
async fn inner_task() -> u32 {
    1
}

#[test]
fn nested_async_calls_each_record() {
    let before = (OWN.summary("outer_task").map_or(0, |s| s.count), OWN.summary("inner_task").map_or(0, |s| s.count));
    assert_eq!(block_on(outer_task()), 2);
    assert_eq!(OWN.summary("outer_task").unwrap().count, before.0 + 1);
    assert_eq!(OWN.summary("inner_task").unwrap().count, before.1 + 1);
}

struct Store;

#[measure_all(tracker = &OWN)]
impl Store {
    fn get(&self) -> u32 {
        1
    }

    fn new() -> Self {
        Store
    }

    #[perftrack::skip]
    fn hot_path(&self) -> u32 {
        2
    }

    const fn constant() -> u32 {
        3
    }
}

#[measure_all]
mod handlers {
    pub fn index() -> &'static str {
        "index"
    }

    #[perftrack::skip]
    pub fn health() -> &'static str {
        "ok"
    }
}

#[test]
fn measure_all_times_every_function_but_the_skipped_and_const_ones() {
    let s = Store::new();
    assert_eq!(s.get() + s.hot_path() + Store::constant(), 6);
    assert!(OWN.summary("Store::get").is_some());
    assert!(OWN.summary("Store::new").is_some(), "an associated fn is named by its type too");
    assert!(OWN.summary("Store::hot_path").is_none());
    let before = count("handlers::index");
    assert_eq!((handlers::index(), handlers::health()), ("index", "ok"));
    assert_eq!(count("handlers::index"), before + 1);
    assert_eq!(count("handlers::health"), 0);
}

#[measure(tracker = &LOCAL_TREE)]
fn request() {
    parse_step();
    parse_step();
}

#[measure(tracker = &LOCAL_TREE)]
fn parse_step() {}

static LOCAL_TREE: HeapTracker<4, 4, 1> = HeapTracker::new();

#[test]
fn measured_functions_nest_in_the_call_tree() {
    request();
    let mut folded = String::new();
    LOCAL_TREE.write_folded(&mut folded).unwrap();
    let paths: Vec<&str> = folded.lines().map(|l| l.rsplit_once(' ').unwrap().0).collect();
    assert_eq!(paths, ["request", "request;parse_step"]);
}

#[test]
fn a_full_tracker_runs_the_function_untimed() {
    static TINY: HeapTracker<1, 2, 1> = HeapTracker::new();
    #[measure(tracker = &TINY)]
    fn first() -> u8 {
        1
    }
    #[measure(tracker = &TINY)]
    fn second() -> u8 {
        2
    }
    assert_eq!(first() + second() + second(), 5);
    assert_eq!(TINY.len(), 1);
    assert_eq!(TINY.summary("first").unwrap().count, 1);
}

/// The count and cancelled calls of `name` in `tracker`.
fn counts(tracker: &'static HeapTracker<8, 8, 2>, name: &str) -> (u64, u64) {
    tracker.summary(name).map_or((0, 0), |s| (s.count, s.cancelled))
}

#[test]
fn a_block_yields_its_value_and_records_once_per_run_into_the_global_tracker() {
    let count = || global().summary("block::sum").map_or(0, |s| s.count);
    let before = count();
    let mut total = 0u64;
    for i in 0..3u64 {
        total += measure_block!("block::sum", { (0..=i).sum::<u64>() });
    }
    assert_eq!(total, 4);
    assert_eq!(count(), before + 3);
}

/// Leaves the measured block by `?` on odd input.
fn halve(n: u32) -> Result<u32, String> {
    measure_block!("halve", tracker = &OWN, {
        if n % 2 == 1 {
            Err(format!("{n} is odd"))?;
        }
        Ok(n / 2)
    })
}

#[test]
fn a_block_left_early_by_question_mark_is_still_recorded() {
    let before = counts(&OWN, "halve").0;
    assert_eq!(halve(4), Ok(2));
    assert_eq!(halve(3), Err("3 is odd".to_string()));
    assert_eq!(counts(&OWN, "halve").0, before + 2);
    assert_eq!(global().summary("halve"), None, "the tracker option keeps it out of the global tracker");
}

#[test]
fn a_block_nests_under_the_measured_block_around_it() {
    static TREE: HeapTracker<4, 4, 1> = HeapTracker::new();
    measure_block!("request", tracker = &TREE, {
        for _ in 0..2 {
            measure_block!("parse", tracker = &TREE, { core::hint::black_box(1) });
        }
    });
    let mut folded = String::new();
    TREE.write_folded(&mut folded).unwrap();
    let paths: Vec<&str> = folded.lines().map(|l| l.rsplit_once(' ').unwrap().0).collect();
    assert_eq!(paths, ["request", "request;parse"]);
    assert_eq!(TREE.summary("parse").unwrap().count, 2);
}

#[test]
fn a_full_tracker_runs_the_block_untimed() {
    static TINY: HeapTracker<1, 2, 1> = HeapTracker::new();
    let a = measure_block!("first", tracker = &TINY, { 1 });
    let b = measure_block!("second", tracker = &TINY, { 2 });
    assert_eq!(a + b, 3, "the refused block still runs");
    assert_eq!(TINY.len(), 1);
    assert!(TINY.summary("second").is_none());
    assert_eq!(TINY.refused(), 1, "the refusal is counted, for the report's line");
}

#[test]
fn an_async_block_is_send_timed_from_first_poll_and_cancelled_when_dropped_mid_flight() {
    let fetch = |n: u32| {
        measure_block!("fetch", tracker = &OWN, async move {
            Pending(2).await;
            n * 2
        })
    };
    let before = counts(&OWN, "fetch");
    let fut = fetch(3);
    assert_send(&fut);
    drop(fut);
    assert_eq!(counts(&OWN, "fetch"), before, "a future never polled is not a call");
    assert_eq!(block_on(fetch(3)), 6);
    assert_eq!(counts(&OWN, "fetch"), (before.0 + 1, before.1));
    {
        let mut fut = pin!(fetch(4));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
    }
    assert_eq!(counts(&OWN, "fetch"), (before.0 + 1, before.1 + 1), "dropped mid-flight: a cancelled call, no record");
    // The form without `move`, into the global tracker.
    let label = "borrowed";
    let out = block_on(measure_block!("fetch::borrowing", async { label.len() }));
    assert_eq!(out, 8);
    assert_eq!(global().summary("fetch::borrowing").unwrap().count, 1);
}
