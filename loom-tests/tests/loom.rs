//! loom models of perftrack's concurrent core, through its public API only.
//!
//! Run with `scripts/loom.sh` (`--cfg perftrack_loom`, release,
//! `LOOM_MAX_PREEMPTIONS=2`). Models are small on purpose: 2–3 threads, 1–2
//! records each, capacities 1–2.
#![cfg(perftrack_loom)]

use core::time::Duration;

use loom::sync::Arc;
use loom::thread;
use perftrack::{MetricsSummary, Sample, Tracker, TrackerError};

fn rec(ns: u64) -> Sample {
    // memory = 3·ns + 1 for every record, so whole sets satisfy the check below.
    Sample::new(Duration::from_nanos(ns), 3 * ns + 1)
}

fn assert_consistent(s: &MetricsSummary) {
    let total_ns = s.total_duration.as_nanos() as u64;
    assert_eq!(s.total_memory, 3 * total_ns + s.count, "torn snapshot {s:?}");
    if s.count > 0 {
        assert!(s.min_duration <= s.avg_duration && s.avg_duration <= s.max_duration, "{s:?}");
    }
}

/// A tracker for one model execution. loom threads need `'static`, and
/// resolving the `Operation` once here keeps name lookups (ten atomic loads
/// each, not what these models are about) out of the explored threads. One
/// small tracker leaks per execution; that is the price of a `'static` handle.
fn leak<const O: usize, const R: usize, const S: usize>() -> &'static Tracker<O, R, S> {
    Box::leak(Box::new(Tracker::new()))
}

/// (a) Two writers and one reader on one operation (one shard, so the writers
/// really share the hot/cold halves): every snapshot is one set of whole
/// records, and the final state is exact.
#[test]
fn two_writers_one_reader_snapshots_are_consistent_and_final_state_exact() {
    loom::model(|| {
        let t = leak::<1, 1, 1>();
        let op = t.operation("op").unwrap();
        let writers: Vec<_> =
            [2u64, 5].into_iter().map(|ns| thread::spawn(move || op.record_sample(&rec(ns)))).collect();
        let reader = thread::spawn(move || {
            let s = op.summary();
            assert_consistent(&s);
            assert!(s.count <= 2);
        });
        for w in writers {
            w.join().unwrap();
        }
        reader.join().unwrap();
        let s = op.summary();
        assert_eq!(s.count, 2);
        assert_eq!(s.total_duration, Duration::from_nanos(7));
        assert_eq!((s.min_duration, s.max_duration), (Duration::from_nanos(2), Duration::from_nanos(5)));
        assert_eq!(s.total_memory, 3 * 7 + 2);
    });
}

/// (b) The ring: a writer overwrites a 1-entry ring while a reader copies it.
/// The reader gets nothing or one whole record, never a mix.
#[test]
fn ring_overwrite_during_copy_never_yields_a_torn_record() {
    loom::model(|| {
        let t: Arc<Tracker<1, 1, 1>> = Arc::new(Tracker::new());
        let op = t.operation("ring").unwrap();
        op.record_sample(&rec(1));
        let writer = {
            let t = t.clone();
            thread::spawn(move || {
                let op = t.operation("ring").unwrap();
                op.record_sample(&rec(2));
                op.record_sample(&rec(3));
            })
        };
        let recent = t.recent("ring");
        assert!(recent.len() <= 1);
        for m in &recent {
            let ns = m.duration.as_nanos() as u64;
            assert!((1..=3).contains(&ns), "invented record {m:?}");
            assert_eq!(m.memory_used, 3 * ns + 1, "torn record {m:?}");
            assert_eq!(m.seq, ns - 1, "record does not match its position {m:?}");
        }
        writer.join().unwrap();
        let last = t.recent("ring");
        assert_eq!(last.len(), 1);
        assert_eq!(last[0].duration, Duration::from_nanos(3));
    });
}

/// (c1) Two threads registering the same name end with one slot.
#[test]
fn two_threads_registering_one_name_get_one_slot() {
    loom::model(|| {
        let t: Arc<Tracker<2, 1, 1>> = Arc::new(Tracker::new());
        let hs: Vec<_> = (0..2)
            .map(|_| {
                let t = t.clone();
                thread::spawn(move || t.record("same", Duration::from_nanos(1), 0).unwrap())
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
        assert_eq!(t.len(), 1);
        assert_eq!(t.summary("same").unwrap().count, 2);
    });
}

/// (c2) Two threads race for the last free slot: exactly one wins, the other
/// gets `Full`, and the name already there keeps recording.
#[test]
fn race_for_the_last_free_slot_has_exactly_one_winner() {
    loom::model(|| {
        let t: Arc<Tracker<2, 1, 1>> = Arc::new(Tracker::new());
        t.record("old", Duration::from_nanos(1), 0).unwrap();
        let hs: Vec<_> = ["x", "y"]
            .into_iter()
            .map(|name| {
                let t = t.clone();
                thread::spawn(move || {
                    let r = t.operation(name).map(|_| ());
                    t.record("old", Duration::from_nanos(1), 0).unwrap();
                    r
                })
            })
            .collect();
        let results: Vec<Result<(), TrackerError>> = hs.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
        assert!(results.contains(&Err(TrackerError::Full)));
        assert_eq!(t.summary("old").unwrap().count, 3);
    });
}

/// Cross-shard snapshot (issue 4): two writers on different shards and one
/// reader. Each snapshot merges both shards and must still be one set of
/// whole records.
#[test]
fn cross_shard_snapshot_with_writers_on_two_shards_is_consistent() {
    loom::model(|| {
        let t = leak::<1, 1, 2>();
        let op = t.operation("op").unwrap();
        let writers: Vec<_> = [(0usize, 3u64), (1, 4)]
            .into_iter()
            .map(|(shard, ns)| thread::spawn(move || op.record_on(shard, &rec(ns))))
            .collect();
        let s = op.summary();
        assert_consistent(&s);
        for w in writers {
            w.join().unwrap();
        }
        let s = op.summary();
        assert_eq!(s.count, 2);
        assert_eq!(s.total_duration, Duration::from_nanos(7));
        assert_eq!(s.max_duration, Duration::from_nanos(4));
    });
}
