//! No heap allocation on the record, resolve, snapshot, window or report
//! paths, proven by a counting global allocator.
//!
//! The counter only counts allocations made by the thread under test (a
//! `const` thread-local flag and count, which themselves never allocate), so
//! other tests running in parallel cannot disturb it.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::Cell;
use core::fmt::Write as _;
use core::time::Duration;
use std::alloc::System;

use perftrack::{PerformanceTracker, Sample, Tracker};

struct Counting;

std::thread_local! {
    // Both the flag and the count are per thread: tests run in parallel, and
    // one test's deliberate allocation must not show in another's count.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

fn note() {
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        let _ = ALLOCS.try_with(|n| n.set(n.get() + 1));
    }
}

#[allow(unsafe_code)]
// SAFETY: every method forwards to `System` with the caller's own arguments,
// so `Counting` upholds exactly `System`'s `GlobalAlloc` contract.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: forwarded unchanged; the caller upholds `alloc_zeroed`'s contract.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: forwarded unchanged; `ptr` came from this allocator (= System).
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged; `ptr` came from this allocator (= System).
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` with counting on, and returns how many allocations it made.
fn allocations_in(f: impl FnOnce()) -> usize {
    let before = ALLOCS.with(Cell::get);
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    ALLOCS.with(Cell::get) - before
}

/// A sink for `report()` that never allocates: a fixed buffer.
struct Sink(heapless::String<8192>);
impl core::fmt::Write for Sink {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0.push_str(s).map_err(|_| core::fmt::Error)
    }
}

static TRACKER: PerformanceTracker = PerformanceTracker::new();

#[test]
fn counting_allocator_sees_a_real_allocation() {
    // Guards against a counter that can never count.
    let n = allocations_in(|| drop(core::hint::black_box(Vec::<u8>::with_capacity(16))));
    assert_eq!(n, 1);
}

#[test]
fn record_summary_distribution_since_recent_report_and_export_never_allocate() {
    let local: Tracker<4, 16, 2> = Tracker::new();
    // A PerformanceTracker allocates its tracker once, at first use: not a
    // record, snapshot or report path, so it happens before the count.
    let global: &Tracker<32, 64, { perftrack::THREAD_SHARDS }> = &TRACKER;
    let n = allocations_in(|| {
        for t in [global as &dyn Probe, &local as &dyn Probe] {
            t.exercise();
        }
    });
    assert_eq!(n, 0, "heap allocations on the record/snapshot/report paths");
}

trait Probe {
    fn exercise(&self);
}

impl<const O: usize, const R: usize, const S: usize> Probe for Tracker<O, R, S> {
    fn exercise(&self) {
        // Fewer under miri, which interprets every record.
        const N: u64 = if cfg!(miri) { 50 } else { 1000 };
        let op = self.operation("first").unwrap();
        for i in 0..N {
            op.record(Duration::from_nanos(i), i);
            op.record_at(Duration::from_nanos(i), i, i);
        }
        op.record_sample(&Sample::new(Duration::from_micros(1), 0).with_cpu_time(Duration::from_nanos(10)));
        self.record("second", Duration::from_millis(1), 10).unwrap();
        self.record_sample("second", &Sample::new(Duration::ZERO, 0)).unwrap();
        let before = op.summary();
        assert_eq!(before.count, 2 * N + 1);
        assert_eq!(op.distribution().count(), 2 * N + 1);
        op.record(Duration::from_nanos(7), 0);
        let interval = op.summary().since(&before);
        assert_eq!(interval.distribution.quantile(0.5), Some(Duration::from_nanos(7)));
        let mut om = Sink(heapless::String::new());
        // The exposition of two operations is far longer than the sink: only
        // that nothing allocates on the way matters here.
        let _ = self.write_openmetrics(&mut om);
        // The protobuf exposition into a fixed buffer, whole, and the OTel
        // view of a distribution.
        let mut pb = heapless::Vec::<u8, 16384>::new();
        self.write_protobuf(&mut pb).unwrap();
        assert!(pb.len() > 100);
        let d = op.distribution();
        assert_eq!(d.exponential().bucket_counts().sum::<u64>() + d.exponential().zero_count, d.count());
        // Counters and gauges: registration, updates, reads and export.
        let c = self.counter_with_labels("sent", &[("peer", "a")]).unwrap();
        c.increment(3);
        let g = self.gauge("depth").unwrap();
        g.set(2.0);
        g.increment(1.0);
        assert_eq!((c.get(), g.get()), (3, 3.0));
        assert_eq!(self.metric_readings().count(), 2);
        let _ = self.write_openmetrics(&mut Sink(heapless::String::new()));
        let labelled = self.operation_with_labels("third", &[("k", "v")]).unwrap();
        labelled.record(Duration::from_nanos(9), 0);
        assert!(self.summary("second").is_some());
        assert_eq!(self.summaries().count(), 3);
        assert!(!self.recent("first").is_empty());
        let mut sink = Sink(heapless::String::new());
        write!(sink, "{}", self.report()).unwrap();
        assert!(sink.0.contains("second"));
    }
}

#[cfg(feature = "std")]
#[test]
fn timer_new_stop_and_record_never_allocate() {
    let t: Tracker<4, 16, 2> = Tracker::new();
    t.record("timed", Duration::ZERO, 0).unwrap(); // registration is not under test
    // Nor is the clock's one-time calibration (it reads /proc once).
    let _ = perftrack::clock::Clock::ticks(&perftrack::os::FastClock);
    let n = allocations_in(|| {
        for _ in 0..100 {
            let timer = perftrack::Timer::new("timed");
            core::hint::black_box(timer.clone().stop());
            timer.record(&t).unwrap();
        }
        let op = t.operation("timed").unwrap();
        op.measure(|| core::hint::black_box(1));
        drop(t.time("timed").unwrap());
    });
    assert_eq!(n, 0);
    assert_eq!(t.summary("timed").unwrap().count, 103);
}
