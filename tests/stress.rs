//! The stress test: 8 threads record for about 2 seconds while a reader
//! checks the consistency invariant on every snapshot; totals are exact at
//! the end. In a binary of its own so its 2 seconds run beside nothing else.

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use core::time::Duration;
use std::thread;
use std::time::Instant;

use perftrack::{Sample, Tracker};

#[test]
#[cfg_attr(miri, ignore = "a 2-second wall-clock stress run is meaningless under miri")]
fn eight_threads_for_two_seconds_stay_consistent_and_end_exact() {
    // 4 shards for 8 threads: every shard has two writers, so both the
    // exclusive path and the contended hot/cold path carry records.
    let t: Tracker<4, 32, 4> = Tracker::new();
    let ops = [t.operation("a").unwrap(), t.operation("b").unwrap()];
    let stop = AtomicBool::new(false);
    let sent_count = AtomicU64::new(0);
    let sent_ns = AtomicU64::new(0);
    let mut snapshots = 0u64;
    thread::scope(|s| {
        for w in 0..8u64 {
            let (stop, sent_count, sent_ns) = (&stop, &sent_count, &sent_ns);
            let op = ops[(w % 2) as usize];
            s.spawn(move || {
                let (mut n, mut sum) = (0u64, 0u64);
                while !stop.load(Ordering::Relaxed) {
                    let ns = (n * 31 + w) % 4096;
                    op.record_sample(&Sample::new(Duration::from_nanos(ns), 3 * ns + 1));
                    n += 1;
                    sum += ns;
                }
                sent_count.fetch_add(n, Ordering::Relaxed);
                sent_ns.fetch_add(sum, Ordering::Relaxed);
            });
        }
        // Writers stop when this scope ends, also when an assertion below
        // panics: a failure fails the test instead of hanging it.
        struct StopOnDrop<'a>(&'a AtomicBool);
        impl Drop for StopOnDrop<'_> {
            fn drop(&mut self) {
                self.0.store(true, Ordering::Relaxed);
            }
        }
        let _stop = StopOnDrop(&stop);
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(2) {
            for s in t.summaries() {
                let ns = s.total_duration.as_nanos() as u64;
                assert_eq!(s.total_memory, 3 * ns + s.count, "torn snapshot of {}", s.name);
                assert_eq!(s.distribution.count(), s.count, "histogram and count disagree for {}", s.name);
                if s.count > 0 {
                    assert!(s.min_duration <= s.avg_duration && s.avg_duration <= s.max_duration);
                }
                for m in t.recent(&s.name) {
                    assert_eq!(m.memory_used, 3 * m.duration.as_nanos() as u64 + 1, "torn ring record");
                }
            }
            snapshots += 1;
        }
        stop.store(true, Ordering::Relaxed);
    });
    let (count, ns): (u64, u64) =
        t.summaries().fold((0, 0), |(c, n), s| (c + s.count, n + s.total_duration.as_nanos() as u64));
    assert_eq!(count, sent_count.load(Ordering::Relaxed), "lost records");
    assert_eq!(ns, sent_ns.load(Ordering::Relaxed), "lost time");
    // The reader never livelocks: it finishes rounds while writers never stop.
    // A writer parked mid-record on the exclusive path does not hold it up
    // (the totals are versioned); one parked on the contended path still can,
    // and here every shard has two writers. The floor sits far below what
    // docs/DESIGN.md reports for this test, leaving room for a noisy CI machine,
    // and still fails a reader that waits for parked writers.
    assert!(snapshots >= 200, "the reader made too little progress: {snapshots} rounds in 2 s");
    println!("reader rounds in 2 s: {snapshots}");
    for s in t.summaries() {
        assert_eq!(s.max_duration, Duration::from_nanos(4095));
        assert_eq!(s.min_duration, Duration::ZERO);
    }
}

/// Raises its flag when dropped, unwinding included.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// A future that is pending on its first poll: dropped after it, it is a
/// cancelled call.
struct PendingOnce;

impl core::future::Future for PendingOnce {
    type Output = ();
    fn poll(self: core::pin::Pin<&mut Self>, _: &mut core::task::Context<'_>) -> core::task::Poll<()> {
        core::task::Poll::Pending
    }
}

#[test]
#[cfg_attr(miri, ignore = "a wall-clock stress run is meaningless under miri")]
fn cancelled_calls_are_counted_apart_and_never_run_backwards_while_calls_are_cancelled() {
    let t: Tracker<1, 8, 2> = Tracker::new();
    let op = t.operation("hung_up").unwrap();
    let stop = AtomicBool::new(false);
    let mut summaries = 0u64;
    let mut last = (0, Duration::ZERO);
    thread::scope(|s| {
        for _ in 0..2 {
            let stop = &stop;
            s.spawn(move || {
                let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
                while !stop.load(Ordering::Relaxed) {
                    let mut fut = core::pin::pin!(op.instrument(PendingOnce));
                    assert!(fut.as_mut().poll(&mut cx).is_pending());
                }
            });
        }
        // Stops the writers however the reader ends, a failed check included:
        // the scope would otherwise wait on them for ever.
        let _stop = StopOnDrop(&stop);
        let deadline = Instant::now() + Duration::from_millis(1500);
        while Instant::now() < deadline {
            let s = op.summary();
            assert_eq!(s.count, 0, "summary {summaries}: a cancelled call made a record");
            assert!(
                s.cancelled >= last.0 && s.cancelled_duration >= last.1,
                "summary {summaries}: ran backwards from {last:?} to {:?}",
                (s.cancelled, s.cancelled_duration)
            );
            last = (s.cancelled, s.cancelled_duration);
            summaries += 1;
        }
    });
    let s = op.summary();
    assert!(s.cancelled > 1000, "the writers barely ran: {}", s.cancelled);
    assert_eq!(s.count, 0, "every call here was cancelled: none is a record");
    assert!(summaries > 100, "the reader barely ran: {summaries}");
}
