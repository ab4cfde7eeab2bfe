//! With `CountingAlloc` installed: guards, `measure`, `Timer::with_memory`
//! and `Timed` futures record exactly the bytes and allocations of their
//! span, on their thread.

use core::future::Future;
use core::hint::black_box;
use core::pin::Pin;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use core::task::{Context, Poll, Waker};

use perftrack::{
    Timer, Tracker,
    histogram::COARSE_BUCKETS,
    os::{AllocStats, CountingAlloc},
};

/// A small tracker: what these tests check does not depend on its shape,
/// and miri (which runs them too) interprets every byte of a snapshot.
type Small = Tracker<4, 16, 2, COARSE_BUCKETS>;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::system();

#[test]
fn a_span_allocating_a_vec_of_1000_bytes_records_1000_bytes_and_1_allocation() {
    let t = Small::boxed();
    let op = t.operation("alloc").unwrap();
    op.measure(|| drop(black_box(Vec::<u8>::with_capacity(1000))));
    let s = op.summary();
    assert_eq!((s.total_memory, s.total_allocations), (1000, 1));
    let r = op.recent();
    assert_eq!((r[0].memory_used, r[0].allocations), (1000, 1));
}

#[test]
fn a_span_that_only_frees_records_0_bytes_allocated() {
    let t = Small::boxed();
    let v: Vec<u64> = black_box(vec![7; 100]);
    {
        let _g = t.time("free").unwrap();
        drop(v);
    }
    let s = t.summary("free").unwrap();
    assert_eq!((s.total_memory, s.total_allocations), (0, 0));
}

#[test]
fn allocations_on_another_thread_during_the_span_are_not_counted_in_it() {
    let t = Small::boxed();
    let go = AtomicBool::new(false);
    let done = AtomicU64::new(0);
    std::thread::scope(|s| {
        s.spawn(|| {
            while !go.load(Ordering::Acquire) {
                core::hint::spin_loop();
            }
            for _ in 0..100 {
                drop(black_box(vec![0u8; 4096]));
            }
            done.store(1, Ordering::Release);
        });
        let _g = t.time("mine").unwrap();
        go.store(true, Ordering::Release);
        while done.load(Ordering::Acquire) == 0 {
            core::hint::spin_loop();
        }
        drop(black_box(vec![0u8; 10]));
    });
    let s = t.summary("mine").unwrap();
    assert_eq!((s.total_memory, s.total_allocations), (10, 1), "only this thread's allocation");
}

#[test]
fn nested_spans_are_inclusive() {
    let t = Small::boxed();
    {
        let _outer = t.time("outer").unwrap();
        drop(black_box(vec![0u8; 100]));
        {
            let _inner = t.time("inner").unwrap();
            drop(black_box(vec![0u8; 200]));
            drop(black_box(vec![0u8; 300]));
        }
    }
    let (o, i) = (t.summary("outer").unwrap(), t.summary("inner").unwrap());
    assert_eq!((i.total_memory, i.total_allocations), (500, 2));
    assert_eq!((o.total_memory, o.total_allocations), (600, 3));
}

/// Allocates 64 bytes in each of three polls, and is ready on the third.
struct ThreePolls(u32);

impl Future for ThreePolls {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        drop(black_box(vec![0u8; 64]));
        self.0 += 1;
        if self.0 == 3 {
            Poll::Ready(())
        } else {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

#[test]
fn a_timed_future_records_the_allocations_of_all_its_polls() {
    let t = Small::boxed();
    let mut fut = core::pin::pin!(t.instrument("fut", ThreePolls(0)).unwrap());
    let mut cx = Context::from_waker(Waker::noop());
    drop(black_box(vec![0u8; 1000])); // between polls: not the future's
    assert!(fut.as_mut().poll(&mut cx).is_pending());
    drop(black_box(vec![0u8; 1000]));
    assert!(fut.as_mut().poll(&mut cx).is_pending());
    assert!(fut.as_mut().poll(&mut cx).is_ready());
    let s = t.summary("fut").unwrap();
    assert_eq!((s.total_memory, s.total_allocations), (192, 3));
}

#[test]
fn timer_with_memory_counts_this_threads_bytes_not_resident_pages() {
    let t = Small::boxed();
    let timer = Timer::with_memory("load");
    drop(black_box(vec![0u8; 1234]));
    assert_eq!(timer.memory_delta(), Some(1234));
    assert_eq!(timer.allocations(), Some(1));
    timer.record(&t).unwrap();
    let s = t.summary("load").unwrap();
    assert_eq!((s.total_memory, s.total_allocations), (1234, 1));
}

#[test]
fn realloc_counts_a_free_of_the_old_size_and_an_allocation_of_the_new() {
    let mut v: Vec<u8> = Vec::with_capacity(10);
    let before = AllocStats::thread();
    v.reserve_exact(20); // capacity 10 -> 20
    let after = AllocStats::thread();
    assert_eq!(after.allocations - before.allocations, 1);
    assert_eq!(after.bytes_allocated - before.bytes_allocated, 20);
    assert_eq!(after.deallocations - before.deallocations, 1);
    assert_eq!(after.bytes_freed - before.bytes_freed, 10);
    drop(v);
}

#[test]
fn the_report_and_the_exposition_show_allocations() {
    let t = Small::boxed();
    for _ in 0..4 {
        t.measure("build", || drop(black_box(vec![0u8; 16]))).unwrap();
    }
    let report = t.report().to_string();
    assert!(report.lines().nth(1).unwrap().contains("Allocs/call"), "{report}");
    let row = report.lines().find(|l| l.starts_with("build")).unwrap();
    assert!(row.trim_end().ends_with("1.0"), "{row}");
    let mut text = String::new();
    t.write_openmetrics(&mut text).unwrap();
    assert!(text.contains("# TYPE perftrack_operation_allocations summary"), "{text}");
    assert!(text.contains(r#"perftrack_operation_allocations_sum{operation="build"} 4"#), "{text}");
    assert!(AllocStats::counting());
}
