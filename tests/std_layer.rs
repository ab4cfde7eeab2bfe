//! The std layer: Timer, scoped guards, futures, CPU time and reports.
#![cfg(feature = "std")]

use core::future::Future;
use core::panic::AssertUnwindSafe;
use core::pin::Pin;
use core::task::{Context, Poll};
use core::time::Duration;
use std::panic::catch_unwind;
use std::sync::Arc;
use std::task::Wake;
use std::thread;
use std::time::Instant;

use perftrack::{
    PerformanceTracker, Timer, Tracker,
    os::{cpu_usage, try_thread_cpu_time},
};

mod common;
use common::covers;

// ------------------------------------------------ the original design's five tests

#[test]
fn test_performance_tracker_creation() {
    let tracker = PerformanceTracker::new();
    assert!(tracker.is_empty());
    assert!(tracker.get_summary().is_empty());
    assert_eq!(PerformanceTracker::CAPACITY, perftrack::limits::DEFAULT_OPS);
}

#[test]
fn test_record_metric() {
    let tracker = PerformanceTracker::new();
    tracker.record("test_op", Duration::from_millis(100), 1024).unwrap();
    let summary = tracker.get_summary();
    let s = &summary["test_op"];
    assert_eq!(s.count, 1);
    assert_eq!(s.total_duration, Duration::from_millis(100));
    assert_eq!(s.total_memory, 1024);
    let recent = tracker.recent("test_op");
    assert_eq!(recent.len(), 1);
    assert_eq!((recent[0].duration, recent[0].memory_used), (Duration::from_millis(100), 1024));
}

#[test]
fn test_metrics_summary() {
    let tracker = PerformanceTracker::new();
    tracker.record("test_op", Duration::from_millis(100), 1000).unwrap();
    tracker.record("test_op", Duration::from_millis(200), 2000).unwrap();
    tracker.record("test_op", Duration::from_millis(300), 3000).unwrap();
    let s = tracker.summary("test_op").unwrap();
    assert_eq!(s.count, 3);
    assert_eq!(s.avg_duration, Duration::from_millis(200));
    assert_eq!(s.min_duration, Duration::from_millis(100));
    assert_eq!(s.max_duration, Duration::from_millis(300));
    assert_eq!(s.avg_memory, 2000);
    // Lifetime quantiles are read from the histogram: within 1/35.
    assert!(s.p50.abs_diff(Duration::from_millis(200)) <= Duration::from_millis(200) / 35, "{:?}", s.p50);
}

#[test]
fn test_timer_creation() {
    let timer = Timer::new("test_timer");
    assert_eq!(timer.name().as_str(), "test_timer");
    assert!(timer.elapsed() < Duration::from_secs(5));
    assert_eq!(timer.cpu_elapsed(), None, "CPU time is opt-in");
    assert_eq!(timer.memory_delta(), None, "memory is opt-in");
}

#[test]
fn test_timer_elapsed_ms() {
    let timer = Timer::new("test_timer");
    thread::sleep(Duration::from_millis(10));
    let ms = timer.elapsed_ms();
    assert!(ms >= 10.0, "{ms}");
    assert!(ms < 10_000.0, "{ms}");
}

// ------------------------------------------------ timer

#[test]
fn timer_elapsed_lies_within_instant_measured_around_it() {
    let outer = Instant::now();
    let timer = Timer::new("bounded");
    thread::sleep(Duration::from_millis(20));
    let inner = timer.elapsed();
    let around = outer.elapsed();
    assert!(covers(inner, Duration::from_millis(20)), "{inner:?}");
    // The timer's clock may be the TSC, calibrated against the OS clock to
    // within 1% (os/calibration.rs): the bound it promises, either way.
    assert!(inner <= around + around / 100, "{inner:?} > {around:?} + 1%");
}

#[test]
fn timer_record_stores_its_duration_under_its_name() {
    let t: Tracker<2, 8> = Tracker::new();
    let timer = Timer::new("job");
    thread::sleep(Duration::from_millis(2));
    let took = timer.record(&t).unwrap();
    let s = t.summary("job").unwrap();
    assert_eq!((s.count, s.total_duration), (1, took));
    assert!(covers(took, Duration::from_millis(2)), "{took:?}");
}

#[test]
fn a_name_resolved_again_lands_in_its_own_slot_of_each_tracker() {
    // The same names in the opposite slot order: a slot index remembered
    // for one tracker must never be used in the other, whether a Timer, a
    // record by name or a guard by name resolved it.
    let (t1, t2): (Tracker<2, 8>, Tracker<2, 8>) = (Tracker::new(), Tracker::new());
    t1.operation("a").unwrap();
    t1.operation("b").unwrap();
    t2.operation("b").unwrap();
    t2.operation("a").unwrap();
    for round in 1..=3u64 {
        Timer::new("a").record(&t1).unwrap();
        Timer::new("a").record(&t2).unwrap();
        t1.record("a", Duration::from_micros(1), 0).unwrap();
        t2.record("a", Duration::from_micros(1), 0).unwrap();
        drop(t2.time("a").unwrap());
        assert_eq!(t1.summary("a").unwrap().count, 2 * round);
        assert_eq!(t2.summary("a").unwrap().count, 3 * round);
        assert_eq!((t1.summary("b").unwrap().count, t2.summary("b").unwrap().count), (0, 0));
    }
}

#[test]
fn a_tracker_made_where_a_dropped_one_stood_gets_no_slot_remembered_for_the_old_one() {
    let mut tracker: Box<Tracker<3, 8>> = Box::new(Tracker::new());
    let old_address = core::ptr::from_ref(&*tracker);
    tracker.operation("first").unwrap();
    Timer::new("job").record(&tracker).unwrap(); // slot 1 of the old tracker
    // The old tracker dropped, and a new one at the very same address.
    *tracker = Tracker::new();
    assert_eq!(core::ptr::from_ref(&*tracker), old_address);
    tracker.operation("x").unwrap();
    tracker.operation("y").unwrap(); // slot 1 of the new one
    Timer::new("job").record(&tracker).unwrap();
    assert_eq!(tracker.summary("job").unwrap().count, 1);
    assert_eq!(tracker.summary("y").unwrap().count, 0);
}

#[test]
fn a_timer_refused_by_a_full_tracker_is_refused_again_and_counted_each_time() {
    let t: Tracker<1, 4> = Tracker::new();
    Timer::new("kept").record(&t).unwrap();
    for _ in 0..2 {
        assert_eq!(Timer::new("refused").record(&t), Err(perftrack::TrackerError::Full));
    }
    assert_eq!(t.refused(), 2);
    Timer::new("kept").record(&t).unwrap();
    assert_eq!(t.summary("kept").unwrap().count, 2);
}

#[test]
fn timer_with_a_bad_name_reports_the_error_when_recording() {
    let t: Tracker<1, 4> = Tracker::new();
    assert_eq!(Timer::new("").record(&t), Err(perftrack::TrackerError::EmptyName));
    assert_eq!(Timer::new("n".repeat(65)).record(&t), Err(perftrack::TrackerError::NameTooLong));
    assert!(t.is_empty());
    // Its name reads empty, as documented, and no part of the long name.
    assert_eq!(Timer::new("n".repeat(65)).name().as_str(), "");
}

#[test]
fn timer_stop_returns_the_wall_time() {
    let timer = Timer::new("s");
    thread::sleep(Duration::from_millis(3));
    let took = timer.stop();
    assert!(covers(took, Duration::from_millis(3)), "{took:?}");
}

#[test]
fn thread_cpu_time_of_a_busy_loop_covers_the_cpu_it_spent_and_never_exceeds_wall_time() {
    // The loop runs until the thread's own CPU clock has advanced 50 ms, so
    // the CPU time inside the timer is at least that however busy the machine
    // is (a preempted thread just takes longer in wall time). Both bounds
    // compare clock readings with each other, never with a fixed wall-time
    // expectation, so load cannot break them.
    const SPENT: Duration = Duration::from_millis(50);
    let timer = Timer::with_cpu("busy");
    let start = try_thread_cpu_time().expect("thread CPU clock on Linux");
    let mut x = 0u64;
    while try_thread_cpu_time().unwrap() - start < SPENT {
        for _ in 0..1000 {
            x = x.wrapping_add(core::hint::black_box(1));
        }
    }
    core::hint::black_box(x);
    let cpu = timer.cpu_elapsed().expect("thread CPU clock on Linux");
    let wall = timer.elapsed();
    assert!(cpu >= SPENT, "the timer's CPU time {cpu:?} misses CPU the thread spent inside it ({SPENT:?})");
    assert!(cpu <= wall + Duration::from_millis(2), "cpu {cpu:?} exceeds wall {wall:?}");
}

#[test]
fn thread_cpu_time_of_a_sleep_is_close_to_zero() {
    let timer = Timer::with_cpu("sleepy");
    thread::sleep(Duration::from_millis(100));
    let cpu = timer.cpu_elapsed().unwrap();
    assert!(cpu < Duration::from_millis(10), "{cpu:?}");
    assert!(covers(timer.elapsed(), Duration::from_millis(100)));
}

#[test]
fn timer_with_cpu_puts_cpu_time_in_the_report() {
    let t: Tracker<2, 8> = Tracker::new();
    let timer = Timer::with_cpu("crunch");
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_millis(5) {}
    timer.record(&t).unwrap();
    let s = t.summary("crunch").unwrap();
    assert_eq!(s.cpu_samples, 1);
    assert!(s.total_cpu_time > Duration::ZERO);
    assert!(t.report().to_string().lines().nth(1).unwrap().ends_with("CPU"));
}

#[test]
fn process_cpu_usage_grows_with_work() {
    let before = cpu_usage();
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_millis(30) {}
    let after = cpu_usage();
    assert!(after.total() > before.total(), "{before:?} -> {after:?}");
    assert!(try_thread_cpu_time().unwrap() > Duration::ZERO);
}

// ------------------------------------------------ scoped timing

#[test]
fn guard_records_when_dropped() {
    let t: Tracker<2, 8> = Tracker::new();
    {
        let _g = t.time("scope").unwrap();
        thread::sleep(Duration::from_millis(2));
    }
    let s = t.summary("scope").unwrap();
    assert_eq!(s.count, 1);
    assert!(covers(s.total_duration, Duration::from_millis(2)), "{s:?}");
}

#[test]
fn guard_records_the_time_spent_when_a_panic_unwinds_through_it() {
    let t: Tracker<2, 8> = Tracker::new();
    let r = catch_unwind(AssertUnwindSafe(|| {
        let _g = t.time("doomed").unwrap();
        thread::sleep(Duration::from_millis(5));
        panic!("boom");
    }));
    assert!(r.is_err());
    let s = t.summary("doomed").unwrap();
    assert_eq!(s.count, 1);
    assert!(covers(s.total_duration, Duration::from_millis(5)), "{s:?}");
}

#[test]
fn measure_records_even_when_the_closure_panics() {
    let t: Tracker<2, 8> = Tracker::new();
    assert_eq!(t.measure("ok", || 7).unwrap(), 7);
    let op = t.operation("bad").unwrap();
    let r = catch_unwind(AssertUnwindSafe(|| {
        op.measure(|| {
            thread::sleep(Duration::from_millis(3));
            panic!("inside measure")
        })
    }));
    assert!(r.is_err());
    assert_eq!(t.summary("ok").unwrap().count, 1);
    assert!(covers(t.summary("bad").unwrap().total_duration, Duration::from_millis(3)));
}

#[test]
fn guard_stop_records_once() {
    let t: Tracker<1, 8> = Tracker::new();
    let op = t.operation("once").unwrap();
    let g = op.time();
    let d = g.stop();
    let s = op.summary();
    assert_eq!((s.count, s.total_duration), (1, d));
}

// ------------------------------------------------ async

struct ThreadWaker(thread::Thread);
impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// A minimal executor: polls on this thread, parks between polls, and idles
/// `gap` before each re-poll so that wall time exceeds busy time.
fn block_on<F: Future>(fut: F, gap: Duration) -> F::Output {
    let waker = Arc::new(ThreadWaker(thread::current())).into();
    let mut cx = Context::from_waker(&waker);
    let mut fut = core::pin::pin!(fut);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        thread::park_timeout(Duration::from_millis(100));
        thread::sleep(gap);
    }
}

/// Returns Pending `n` times; inside each poll it spins (CPU) for `spin` and
/// then blocks (no CPU) for `work`.
struct Steps {
    left: u32,
    work: Duration,
    spin: Duration,
}
impl Future for Steps {
    type Output = u32;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        // Spin on the thread's own CPU clock: the poll then really spends
        // `spin` of CPU however loaded the machine is.
        let t0 = try_thread_cpu_time().unwrap();
        while try_thread_cpu_time().unwrap() - t0 < self.spin {
            core::hint::spin_loop();
        }
        thread::sleep(self.work);
        if self.left == 0 {
            return Poll::Ready(7);
        }
        self.left -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[test]
fn timed_future_with_cpu_time_records_wall_from_first_poll_and_cpu_time_inside_poll() {
    let t: Tracker<2, 8> = Tracker::new();
    let steps = Steps { left: 2, work: Duration::from_millis(20), spin: Duration::from_millis(5) };
    let fut = t.instrument("fetch", steps).unwrap().with_cpu_time();
    let started = Instant::now();
    assert_eq!(block_on(fut, Duration::from_millis(20)), 7);
    let around = started.elapsed();
    let s = t.summary("fetch").unwrap();
    assert_eq!((s.count, s.cpu_samples), (1, 1));
    let (wall, cpu) = (s.total_duration, s.total_cpu_time);
    // 3 polls spin 5 ms each and block 20 ms each; 2 gaps of 20 ms between.
    assert!(covers(wall, Duration::from_millis(3 * 25 + 2 * 20)), "wall {wall:?}");
    // `wall` is read from the fast clock (the TSC where there is one),
    // `around` from `Instant`: two clocks, the fast one calibrated against
    // the other to within 1% (`the_fast_clock_agrees_with_the_os_clock_over_20_ms`).
    assert!(wall <= around + around / 100, "wall {wall:?} longer than the whole block_on, {around:?}");
    // The blocking 60 ms inside `poll` is not CPU time; the spinning is.
    assert!(cpu < Duration::from_millis(40), "a blocking sleep counted as CPU: {cpu:?}");
    assert!(cpu >= Duration::from_millis(3), "3 polls spin 5 ms each: {cpu:?}");
}

#[test]
fn a_timed_future_reads_no_cpu_clock_unless_asked_and_the_report_says_so() {
    let t: Tracker<2, 8> = Tracker::new();
    let steps = Steps { left: 2, work: Duration::from_millis(2), spin: Duration::from_millis(1) };
    let fut = t.instrument("fetch", steps).unwrap();
    assert_eq!(block_on(fut, Duration::from_millis(2)), 7);
    let s = t.summary("fetch").unwrap();
    assert_eq!((s.count, s.cpu_samples, s.total_cpu_time), (1, 0, Duration::ZERO));
    assert!(covers(s.total_duration, Duration::from_millis(3 * 3 + 2 * 2)), "wall {:?}", s.total_duration);
    let report = t.report().to_string();
    assert!(report.contains("(No CPU column: CPU time is off by default;"), "{report}");
}

#[test]
fn timer_with_cpu_never_reports_more_cpu_than_wall_over_many_short_spans() {
    let t: Tracker<1, 4, 1> = Tracker::new();
    let (mut prev_wall, mut prev_cpu) = (Duration::ZERO, Duration::ZERO);
    for i in 0..2_000u64 {
        let timer = Timer::with_cpu("short");
        core::hint::black_box(i.count_ones());
        timer.record(&t).unwrap();
        let s = t.summary("short").unwrap();
        let (wall, cpu) = (s.total_duration - prev_wall, s.total_cpu_time - prev_cpu);
        assert!(cpu <= wall, "span {i}: CPU {cpu:?} above wall {wall:?}");
        (prev_wall, prev_cpu) = (s.total_duration, s.total_cpu_time);
    }
}

#[test]
fn a_cancelled_call_is_counted_apart_from_the_completed_ones_in_every_output() {
    let t: Tracker<2, 4> = Tracker::new();
    let op = t.operation("abandoned").unwrap();
    let other = t.operation("finished").unwrap();
    // Never polled: not a call.
    drop(op.instrument(Steps { left: 5, work: Duration::ZERO, spin: Duration::ZERO }));
    assert_eq!((op.summary().count, op.summary().cancelled), (0, 0));
    // One completed call of about 3 ms, then one cancelled after 3 ms.
    let started = Instant::now();
    assert_eq!(
        block_on(
            op.instrument(Steps { left: 0, work: Duration::from_millis(3), spin: Duration::ZERO }),
            Duration::ZERO
        ),
        7
    );
    let completed_within = started.elapsed();
    let mut fut = Box::pin(op.instrument(Steps { left: 5, work: Duration::from_millis(3), spin: Duration::ZERO }));
    let waker = Arc::new(ThreadWaker(thread::current())).into();
    assert!(fut.as_mut().poll(&mut Context::from_waker(&waker)).is_pending());
    drop(fut);
    let s = op.summary();
    // The figures hold the completed call alone; the cancelled one is apart.
    assert_eq!((s.count, s.cancelled, s.distribution.count()), (1, 1, 1));
    assert!(covers(s.cancelled_duration, Duration::from_millis(3)), "timed up to the drop: {:?}", s.cancelled_duration);
    // The total is the completed call's alone: within the time around it
    // (the two clocks agree within 1%), where the cancelled call's 3 ms
    // more would not fit.
    assert!(
        s.total_duration <= completed_within + completed_within / 100,
        "the cancelled call's time is in the total: {:?} of {completed_within:?}",
        s.total_duration
    );
    assert_eq!(
        block_on(other.instrument(Steps { left: 0, work: Duration::ZERO, spin: Duration::ZERO }), Duration::ZERO),
        7
    );
    assert_eq!((other.summary().count, other.summary().cancelled), (1, 0));
    // The text exposition: counters of the calls and of their time, for
    // every operation once one was cancelled.
    let mut body = String::new();
    t.write_openmetrics(&mut body).unwrap();
    assert!(body.contains("# TYPE perftrack_operation_cancelled counter\n"), "{body}");
    assert!(body.contains("perftrack_operation_cancelled_total{operation=\"abandoned\"} 1\n"), "{body}");
    assert!(body.contains("perftrack_operation_cancelled_total{operation=\"finished\"} 0\n"), "{body}");
    assert!(body.contains("# TYPE perftrack_operation_cancelled_seconds counter\n"), "{body}");
    assert!(body.contains("# UNIT perftrack_operation_cancelled_seconds seconds\n"), "{body}");
    assert!(body.contains("perftrack_operation_cancelled_seconds_total{operation=\"abandoned\"} 0.00"), "{body}");
    assert!(body.contains("perftrack_operation_duration_seconds_count{operation=\"abandoned\"} 1\n"), "{body}");
    // The protobuf: the same two counters, named with `_total`.
    let mut bytes = Vec::new();
    t.write_protobuf(&mut bytes).unwrap();
    for name in [&b"perftrack_operation_cancelled_total"[..], b"perftrack_operation_cancelled_seconds_total"] {
        assert!(bytes.windows(name.len()).any(|w| w == name), "{}", String::from_utf8_lossy(name));
    }
    // The report: the Cancelled column, and its note.
    let report = t.report().to_string();
    let row = report.lines().find(|l| l.starts_with("abandoned ")).unwrap();
    assert_eq!(row.split_whitespace().nth(1), Some("1"), "Count holds the completed call: {report}");
    assert!(row.trim_end().ends_with(" 1"), "{report}");
    assert!(report.contains("(Cancelled: calls dropped before they completed, counted apart"), "{report}");
}

#[test]
fn no_cancelled_family_is_written_before_a_call_is_cancelled() {
    let t: Tracker<1, 4> = Tracker::new();
    t.record("plain", Duration::from_micros(5), 0).unwrap();
    let mut body = String::new();
    t.write_openmetrics(&mut body).unwrap();
    assert!(!body.contains("cancelled"), "{body}");
    assert!(!t.report().to_string().contains("Cancelled"));
}

// ------------------------------------------------ reports

#[test]
fn get_summary_maps_every_name_to_its_summary() {
    let t = PerformanceTracker::new();
    for (n, ms) in [("a", 1), ("b", 2), ("c", 3)] {
        t.record(n, Duration::from_millis(ms), 0).unwrap();
    }
    let m = t.get_summary();
    assert_eq!(m.len(), 3);
    assert_eq!(m["b"].total_duration, Duration::from_millis(2));
}

#[test]
fn the_original_designs_local_tracker_works_in_a_thread_with_a_256_kib_stack() {
    // `let tracker = PerformanceTracker::new();` as the original design
    // wrote it, on a stack an eighth of the tracker's size: the handle is a
    // pointer, and the tracker goes on the heap at first use.
    let h = thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(|| {
            let tracker = PerformanceTracker::new();
            tracker.record("database_query", Duration::from_millis(45), 2048).unwrap();
            tracker.record("database_query", Duration::from_millis(55), 4096).unwrap();
            let summary = tracker.summary("database_query").unwrap();
            let by_name = tracker.get_summary();
            (summary.count, summary.avg_duration, by_name["database_query"].avg_memory, tracker.report().to_string())
        })
        .unwrap();
    let (count, avg, avg_memory, report) = h.join().unwrap();
    assert_eq!((count, avg, avg_memory), (2, Duration::from_millis(50), 3072));
    assert!(report.contains("database_query"));
    assert!(core::mem::size_of::<PerformanceTracker>() <= 16, "the handle is a pointer");
}

#[test]
fn a_boxed_performance_tracker_works_in_a_thread_with_a_256_kib_stack() {
    // A PerformanceTracker is bigger than this whole stack: `boxed()` must
    // never put it there.
    let h = thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(|| {
            assert!(core::mem::size_of::<perftrack::DefaultTracker>() > 256 << 10);
            let t = PerformanceTracker::new();
            t.record("deep", Duration::from_micros(7), 64).unwrap();
            let s = t.summary("deep").unwrap();
            (s.count, s.total_memory, t.report().to_string().contains("deep"))
        })
        .unwrap();
    assert_eq!(h.join().unwrap(), (1, 64, true));
}
