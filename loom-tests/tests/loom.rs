//! loom models of perftrack's concurrent core, through its public API only.
//!
//! Run with `scripts/loom.sh` (`--cfg perftrack_loom`, release,
//! `LOOM_MAX_PREEMPTIONS=2`). Models are small on purpose: 2–3 threads, 1–2
//! records each, capacities 1–2.
//!
//! Two rules keep every model able to fail:
//! * every reader that races writers runs on a **spawned** thread: a reader on
//!   the model's main thread, after it spawned the writers, is never run
//!   between the writers' steps;
//! * every model asserts a **minimum number of explored executions**, so a
//!   model that explores nothing cannot pass quietly.
//!
//! `scripts/mutants.sh` breaks the protocols one at a time and shows which
//! model (or stress test) catches each break.
#![cfg(perftrack_loom)]

use core::sync::atomic::{AtomicUsize, Ordering};
use core::time::Duration;

use loom::thread;
use perftrack::{MetricsSummary, Sample, Tracker, TrackerError};

/// The model's main thread records only through `record_on` (never as a
/// shard's owner): an owner token it took would be given back by a
/// thread-local destructor that loom runs after the model's statics are gone.
/// Spawned threads record any way they like.
fn rec(ns: u64) -> Sample {
    // memory = 3·ns + 1 for every record, so whole sets satisfy the check below.
    Sample::new(Duration::from_nanos(ns), 3 * ns + 1)
}

/// Buckets of the models' trackers: one per power of two (`[1]`, `[2, 3]`,
/// `[4, 7]`, … `[64, ∞)`), so that a model's records land in different
/// buckets and a copy stays a handful of loads.
const BUCKETS: usize = 8;

/// A snapshot is one set of whole records: its totals agree (the memory rule
/// above), and its histogram holds the same records: as many as the count,
/// in buckets whose bounds bracket the total duration. (With the records
/// these models make, a histogram of any other subset fails the bracket.)
fn assert_consistent(s: &MetricsSummary<BUCKETS>) {
    let total_ns = s.total_duration.as_nanos() as u64;
    assert_eq!(s.total_memory, 3 * total_ns + s.count, "torn snapshot {s:?}");
    assert_eq!(s.distribution.count(), s.count, "histogram and count disagree {s:?}");
    let (mut lo, mut hi) = (0u128, 0u128);
    for (upper, n) in s.distribution.buckets() {
        let upper = upper.as_nanos();
        // A bucket [2^k, 2^(k+1) - 1] (or [0, 0], [1, 1]) starts at
        // (upper + 1) / 2; the top one, [64, ∞), at 64.
        lo += if upper == u128::from(u64::MAX) { 64 } else { (upper + 1) / 2 } * n as u128;
        hi += upper * n as u128;
    }
    assert!(lo <= total_ns as u128 && total_ns as u128 <= hi, "histogram holds other records {s:?}");
    if s.count > 0 {
        assert!(s.min_duration <= s.avg_duration && s.avg_duration <= s.max_duration, "{s:?}");
    }
}

/// Spawns a thread that records. Its last step gives its owner token back,
/// as its exit does with `std` (loom runs thread-local destructors after the
/// model's statics are gone, too late to do it there).
fn spawn_writer<T: 'static>(f: impl FnOnce() -> T + 'static) -> thread::JoinHandle<T> {
    thread::spawn(move || {
        let r = f();
        perftrack::loom_thread_exit();
        r
    })
}

/// Spawns a thread that runs `f`, gives its owner token back as its exit
/// would, and then raises the returned flag: a `Relaxed` flag, which orders
/// nothing, so a thread that waits for it ([`spawn_after_exit`]) is ordered
/// after this one by the token alone.
fn spawn_then_exit(f: impl FnOnce() + 'static) -> (thread::JoinHandle<()>, &'static loom::sync::atomic::AtomicBool) {
    let exited: &'static loom::sync::atomic::AtomicBool =
        Box::leak(Box::new(loom::sync::atomic::AtomicBool::new(false)));
    let handle = thread::spawn(move || {
        f();
        perftrack::loom_thread_exit();
        exited.store(true, Ordering::Relaxed);
    });
    (handle, exited)
}

/// Spawns a recording thread that waits for `exited` (see
/// [`spawn_then_exit`]) and then runs `f`.
fn spawn_after_exit(
    exited: &'static loom::sync::atomic::AtomicBool,
    f: impl FnOnce() + 'static,
) -> thread::JoinHandle<()> {
    spawn_writer(move || {
        while !exited.load(Ordering::Relaxed) {
            thread::yield_now();
        }
        f();
    })
}

/// Runs `body` under loom and asserts that loom explored at least
/// `min_executions` executions; prints the count for docs/DESIGN.md. Each
/// minimum is about a quarter of what the model explored at
/// `LOOM_MAX_PREEMPTIONS=2` when it was written.
fn explore(name: &str, min_executions: usize, body: impl Fn() + Sync + Send + 'static) {
    // A std atomic, not a loom one: it counts executions from outside the
    // model, one counter per model (models run in parallel).
    let runs = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    loom::model(move || {
        counter.fetch_add(1, Ordering::Relaxed);
        body();
    });
    let runs = runs.load(Ordering::Relaxed);
    println!("loom model {name}: {runs} executions explored");
    assert!(
        runs >= min_executions,
        "model {name} explored only {runs} executions (at least {min_executions} expected)"
    );
}

/// A tracker for one model execution. loom threads need `'static`, and
/// resolving the `Operation` once here keeps name lookups (ten atomic loads
/// each, not what these models are about) out of the explored threads. One
/// small tracker leaks per execution; that is the price of a `'static` handle.
fn leak<const O: usize, const R: usize, const S: usize>() -> &'static Tracker<O, R, S, BUCKETS> {
    Box::leak(Box::new(Tracker::new()))
}

/// (a) The shard's owner and a non-owner on one shard, and a reader: the
/// owner's first record marks the shard with a CAS, the non-owner (as a
/// thread past the shard count, or `record_on`) takes the CAS claim if it
/// gets there first and the hot/cold path if the shard is owned or held; the
/// reader copies the claim's version and flips the halves. Every snapshot is
/// one set of whole records, and the final state is exact. Cited for I1, I2,
/// I5 and I6.
#[test]
fn two_writers_one_reader_snapshots_are_consistent_and_final_state_exact() {
    explore("a: owner, non-owner and reader on one shard", 80_000, || {
        let t = leak::<1, 1, 1>();
        let op = t.operation("op").unwrap();
        let owner = spawn_writer(move || {
            op.record_sample(&rec(2));
            assert_eq!(perftrack::loom_thread_hint(), 0, "the first thread owns shard 0");
        });
        let other = spawn_writer(move || op.record_on(0, &rec(5)));
        let reader = thread::spawn(move || {
            let s = op.summary();
            assert_consistent(&s);
            assert!(s.count <= 2);
        });
        owner.join().unwrap();
        other.join().unwrap();
        reader.join().unwrap();
        let s = op.summary();
        assert_eq!(s.count, 2);
        assert_eq!(s.total_duration, Duration::from_nanos(7));
        let buckets: Vec<_> = s.distribution.buckets().collect();
        assert_eq!(buckets, [(Duration::from_nanos(3), 1), (Duration::from_nanos(7), 1)], "2 and 5, whatever path");
        assert_eq!((s.min_duration, s.max_duration), (Duration::from_nanos(2), Duration::from_nanos(5)));
        assert_eq!(s.total_memory, 3 * 7 + 2);
    });
}

/// (n) A non-owner racing the owner's plain holds: the owner records twice
/// (a marking CAS, then a hold with no RMW) while a non-owner records once.
/// The non-owner never writes an owned shard's exclusive path, so the
/// owner's plain stores are never lost or torn: the final state is exact and
/// the ring whole. No reader here: (a) races one with an owner and a
/// non-owner, and one more thread would multiply this model's executions by
/// hundreds. Cited for I1, I3 and the owner's path.
#[test]
fn a_non_owner_racing_the_owner_never_breaks_its_plain_holds() {
    explore("n: non-owner racing the owner's plain holds", 24, || {
        let t = leak::<1, 2, 1>();
        let op = t.operation("op").unwrap();
        let owner = spawn_writer(move || {
            op.record_sample(&rec(2));
            op.record_sample(&rec(3));
        });
        let other = spawn_writer(move || op.record_on(0, &rec(5)));
        owner.join().unwrap();
        other.join().unwrap();
        let s = op.summary();
        assert_consistent(&s);
        assert_eq!((s.count, s.total_duration, s.total_memory), (3, Duration::from_nanos(10), 3 * 10 + 3));
        // The ring holds the records that took an exclusive path (the others
        // went hot/cold), whole, the owner's in its order.
        let recent: Vec<u64> = op.recent().iter().map(|m| m.duration.as_nanos() as u64).collect();
        assert!(!recent.is_empty() && recent.iter().all(|ns| [2, 3, 5].contains(ns)), "{recent:?}");
        assert!(recent != [3, 2], "the owner's records out of order {recent:?}");
    });
}

/// (h) Ownership handed over at thread exit, racing a reader: the owner
/// records and exits (giving its token back); a second thread, running
/// beside it and ordered after it only by the token, waits for that exit
/// (through a `Relaxed` flag, which orders nothing), takes the token,
/// inherits the shard and records with a plain hold; a reader snapshots
/// throughout. The new owner sees every store of the old one through the
/// token alone: nothing is lost, and the ring keeps both records in order.
/// Cited for I1, I2, I3 and the hand-over.
#[test]
fn ownership_handed_over_at_thread_exit_loses_nothing_while_a_reader_runs() {
    explore("h: hand-over at thread exit racing a reader", 180_000, || {
        let t = leak::<1, 2, 1>();
        let op = t.operation("op").unwrap();
        let reader = thread::spawn(move || {
            let s = op.summary();
            assert_consistent(&s);
            let ns = s.total_duration.as_nanos() as u64;
            assert!([0, 2, 6].contains(&ns), "not a whole prefix: {s:?}");
        });
        let (first, exited) = spawn_then_exit(move || {
            op.record_sample(&rec(2));
            assert_eq!(perftrack::loom_thread_hint(), 0);
        });
        let second = spawn_after_exit(exited, move || {
            op.record_sample(&rec(4));
            assert_eq!(perftrack::loom_thread_hint(), 0, "the token given back is taken again");
        });
        first.join().unwrap();
        second.join().unwrap();
        reader.join().unwrap();
        let s = op.summary();
        assert_eq!((s.count, s.total_duration, s.total_memory), (2, Duration::from_nanos(6), 3 * 6 + 2));
        let recent: Vec<u64> = op.recent().iter().map(|m| m.duration.as_nanos() as u64).collect();
        // The reader may have diverted one record to the hot/cold path.
        assert!(recent == [2, 4] || recent == [2] || recent == [4], "{recent:?}");
    });
}

/// (p) The `pending` branch: a reader whose copy is spoiled by a writer that
/// keeps recording raises `pending` (after 1 failure under loom), which sends
/// the writer to the hot/cold path; the snapshot is still whole, and once the
/// reader is done `pending` is down again: the next record takes the claim
/// path, which is the only path that fills the ring. Cited for I6.
#[test]
fn pending_diverts_writers_only_while_a_reader_needs_it() {
    explore("p: pending raised and lowered", 45_000, || {
        let t = leak::<1, 4, 1>();
        let op = t.operation("op").unwrap();
        let w = spawn_writer(move || {
            // Both in bucket [4, 7]: a copy of the histogram taken while the
            // second is in flight covers its bucket (the in-flight case).
            op.record_sample(&rec(4));
            op.record_sample(&rec(6));
        });
        let reader = thread::spawn(move || {
            let s = op.summary();
            assert_consistent(&s);
            let ns = s.total_duration.as_nanos() as u64;
            assert!([0, 4, 10].contains(&ns), "not a whole prefix: {s:?}");
        });
        w.join().unwrap();
        reader.join().unwrap();
        // A new thread: it takes the token the writer gave back, and with it
        // the shard the writer owned.
        spawn_writer(move || op.record_sample(&rec(9))).join().unwrap();
        let recent = op.recent();
        assert_eq!(recent.last().map(|m| m.duration), Some(Duration::from_nanos(9)), "pending left up: {recent:?}");
        assert_eq!(op.summary().count, 3);
    });
}

/// (q) The hold in flight, as a histogram copy sees it: two records spread
/// the version's bucket range from `[1]` to `[8, 15]`, and a third (5, in
/// `[4, 7]`) is in flight while a reader copies. A copy that caught its
/// bucket's bump takes it back out of the bucket its ring entry names. The
/// ring has one entry, which held the 8 before: a reader that saw the bump
/// but not the entry's new duration would take the record out of `[8, 15]`,
/// and its histogram would hold 1 and 5 beside totals of 1 and 8. Cited for
/// I2.
#[test]
fn a_copy_with_a_record_in_flight_takes_it_out_of_its_own_bucket() {
    explore("q: in-flight bucket named by the ring entry", 24, || {
        let t = leak::<1, 1, 1>();
        let op = t.operation("op").unwrap();
        op.record_on(0, &rec(1));
        op.record_on(0, &rec(8));
        let w = spawn_writer(move || op.record_sample(&rec(5)));
        let reader = thread::spawn(move || {
            let s = op.summary();
            assert_consistent(&s);
            let ns = s.total_duration.as_nanos() as u64;
            assert!([9, 14].contains(&ns), "not a whole prefix: {s:?}");
        });
        w.join().unwrap();
        reader.join().unwrap();
        assert_eq!(op.summary().count, 3);
    });
}

/// (b) The ring: a writer overwrites a 1-entry ring while a reader (on its
/// own thread) copies it. The reader gets nothing or one whole record, never a
/// mix. Cited for I3.
#[test]
fn ring_overwrite_during_copy_never_yields_a_torn_record() {
    explore("b: ring overwrite during copy", 1_500, || {
        let t = leak::<1, 1, 1>();
        let op = t.operation("ring").unwrap();
        op.record_on(0, &rec(1));
        let writer = spawn_writer(move || {
            op.record_sample(&rec(2));
            op.record_sample(&rec(3));
        });
        let reader = thread::spawn(move || {
            let recent = op.recent();
            assert!(recent.len() <= 1);
            for m in &recent {
                let ns = m.duration.as_nanos() as u64;
                assert!((1..=3).contains(&ns), "invented record {m:?}");
                assert_eq!(m.memory_used, 3 * ns + 1, "torn record {m:?}");
                assert_eq!(m.seq, ns - 1, "record does not match its position {m:?}");
            }
        });
        writer.join().unwrap();
        reader.join().unwrap();
        let last = op.recent();
        assert_eq!(last.len(), 1);
        assert_eq!(last[0].duration, Duration::from_nanos(3));
    });
}

/// (c1) Two threads registering the same name end with one slot. Cited for I4.
#[test]
fn two_threads_registering_one_name_get_one_slot() {
    explore("c1: one name registered twice", 100, || {
        let t = leak::<2, 1, 1>();
        let hs: Vec<_> =
            (0..2).map(|_| spawn_writer(move || t.record("same", Duration::from_nanos(1), 0).unwrap())).collect();
        for h in hs {
            h.join().unwrap();
        }
        assert_eq!(t.len(), 1);
        assert_eq!(t.summary("same").unwrap().count, 2);
    });
}

/// (c4) Two threads registering one labelled series, its labels given in
/// different orders, end with one slot; a third series of the same name with
/// other labels gets its own. Cited for I4 (labelled series).
#[test]
fn two_threads_registering_one_labelled_series_get_one_slot() {
    explore("c4: one labelled series registered twice", 100, || {
        let t = leak::<3, 1, 1>();
        let orders: [&'static [(&'static str, &'static str)]; 2] =
            [&[("a", "1"), ("b", "2")], &[("b", "2"), ("a", "1")]];
        let hs: Vec<_> = orders
            .into_iter()
            .map(|labels| spawn_writer(move || t.operation_with_labels("req", labels).unwrap().record_on(0, &rec(1))))
            .collect();
        for h in hs {
            h.join().unwrap();
        }
        assert_eq!(t.len(), 1);
        assert_eq!(t.operation_with_labels("req", &[("a", "1"), ("b", "2")]).unwrap().summary().count, 2);
        assert_eq!(t.operation_with_labels("req", &[("a", "2")]).unwrap().summary().count, 0);
        assert_eq!((t.len(), t.get("req").is_none()), (2, true));
    });
}

/// (c5) Counter increments racing a reader on its own thread: every read is
/// at most the final count and never below the read before it, and the
/// final count is exact.
#[test]
fn counter_increments_racing_a_reader_never_run_backwards_and_end_exact() {
    explore("c5: counter increments racing a reader", 100, || {
        // One shard: both writers add to one cell, the case a lost update
        // would show in.
        let t = leak::<1, 1, 1>();
        let c = t.counter("events").unwrap();
        let writers: Vec<_> = (0..2)
            .map(|_| {
                spawn_writer(move || {
                    c.increment(1);
                    c.increment(2);
                })
            })
            .collect();
        let reader = thread::spawn(move || {
            let first = c.get();
            let second = c.get();
            assert!(first <= second && second <= 6, "{first} then {second}");
        });
        for w in writers {
            w.join().unwrap();
        }
        reader.join().unwrap();
        assert_eq!(c.get(), 6);
    });
}

/// (c5b) Two threads add to one gauge while a reader reads it: each
/// addition lands exactly once (the compare-and-swap loop), and every read
/// is a value some order of the additions passes through.
#[test]
fn gauge_additions_racing_each_other_each_land_once() {
    explore("c5b: gauge additions racing", 100, || {
        let t = leak::<1, 1, 1>();
        let g = t.gauge("depth").unwrap();
        let writers: Vec<_> = [1.0, 2.0].into_iter().map(|delta| spawn_writer(move || g.increment(delta))).collect();
        let reader = thread::spawn(move || {
            let v = g.get();
            assert!([0.0, 1.0, 2.0, 3.0].contains(&v), "read {v}");
        });
        for w in writers {
            w.join().unwrap();
        }
        reader.join().unwrap();
        assert_eq!(g.get(), 3.0);
    });
}

/// (c2) Two threads race for the last free slot: exactly one wins, the other
/// gets `Full`, and the name already there keeps recording. Cited for I4.
#[test]
fn race_for_the_last_free_slot_has_exactly_one_winner() {
    explore("c2: race for the last slot", 100, || {
        let t = leak::<2, 1, 1>();
        t.operation("old").unwrap().record_on(0, &rec(1));
        let hs: Vec<_> = ["x", "y"]
            .into_iter()
            .map(|name| {
                spawn_writer(move || {
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

/// (c3) Registration racing a reader: a reader listing every operation sees
/// the new name either not at all or whole, with a consistent summary.
/// Cited for I4.
#[test]
fn a_reader_listing_operations_sees_a_racing_registration_whole_or_not_at_all() {
    explore("c3: registration racing a reader", 200, || {
        let t = leak::<2, 1, 1>();
        t.operation("old").unwrap().record_on(0, &Sample::new(Duration::from_nanos(1), 4));
        let registrar = spawn_writer(move || t.record("new", Duration::from_nanos(2), 7).unwrap());
        let reader = thread::spawn(move || {
            let names: Vec<String> = t.summaries().map(|s| s.name.to_string()).collect();
            assert!(names == ["old"] || names == ["old", "new"], "{names:?}");
            for s in t.summaries() {
                assert!(s.count <= 1);
            }
        });
        registrar.join().unwrap();
        reader.join().unwrap();
        assert_eq!(t.len(), 2);
    });
}

/// (d) Cross-shard snapshot: two writers on different shards and a reader on
/// its own thread. Each snapshot merges both shards and must still be one set
/// of whole records. Cited for I2 across shards.
#[test]
fn cross_shard_snapshot_with_writers_on_two_shards_is_consistent() {
    explore("d: cross-shard snapshot", 1_000, || {
        let t = leak::<1, 1, 2>();
        let op = t.operation("op").unwrap();
        let writers: Vec<_> = [(0usize, 3u64), (1, 4)]
            .into_iter()
            .map(|(shard, ns)| thread::spawn(move || op.record_on(shard, &rec(ns))))
            .collect();
        let reader = thread::spawn(move || {
            let s = op.summary();
            assert_consistent(&s);
            let ns = s.total_duration.as_nanos() as u64;
            assert!([0, 3, 4, 7].contains(&ns), "not a set of whole records: {s:?}");
        });
        for w in writers {
            w.join().unwrap();
        }
        reader.join().unwrap();
        let s = op.summary();
        assert_eq!(s.count, 2);
        assert_eq!(s.total_duration, Duration::from_nanos(7));
        assert_eq!(s.max_duration, Duration::from_nanos(4));
    });
}

/// (e) Two threads close a span on the same new path at once, while a third
/// walks the call-path table: the path gets one entry (the two claims meet at
/// the first free entry of its probe order), the walker sees it once or not
/// at all, and both records land in it. Cited for the call-path table's one
/// entry per path.
#[test]
fn two_threads_claiming_one_call_path_get_one_entry() {
    explore("e: one call path claimed twice, a walker racing", 3_000, || {
        let clock: &'static perftrack::clock::MockClock = Box::leak(Box::new(perftrack::clock::MockClock::new()));
        let t = leak::<1, 1, 1>();
        let op = t.operation("a").unwrap();
        let hs: Vec<_> = (0..2).map(|_| spawn_writer(move || drop(op.span(clock)))).collect();
        let walker = thread::spawn(move || {
            let mut folded = String::new();
            t.write_folded(&mut folded).unwrap();
            assert!(folded.is_empty() || folded == "a 0\n", "{folded:?}");
        });
        for h in hs {
            h.join().unwrap();
        }
        walker.join().unwrap();
        let mut folded = String::new();
        t.write_folded(&mut folded).unwrap();
        assert_eq!(folded, "a 0\n", "one entry for the path");
        assert_eq!(t.untracked_paths(), 0);
        assert_eq!(op.summary().count, 2);
    });
}

/// One span of `op`, `ns` long, on a clock of its own thread's.
fn span_of(op: perftrack::Operation<'static, 1, 1, BUCKETS>, ns: u64) {
    let clock: &'static perftrack::clock::MockClock = Box::leak(Box::new(perftrack::clock::MockClock::new()));
    let span = op.span(clock);
    clock.advance(Duration::from_nanos(ns));
    drop(span);
}

/// (e2) A path's sums kept per owner: the shard's owner adds to its own
/// cells with a load and a store, a thread past the shard count adds to the
/// shared cells with RMWs, and a token given back at thread exit carries the
/// owner's cells to its next holder, who adds on top of them (whichever of
/// the two later threads takes it: the one that waits for the first
/// thread's exit through a `Relaxed` flag, which orders nothing, or the
/// other). No addition is lost or counted twice: the final sums are exact.
/// No walker here: (e) races one with two claimants, and the cells a walker
/// reads are independent `Relaxed` words; a fourth thread multiplies this
/// model's executions by twenty. Cited for the call-path table's counts.
#[test]
fn path_sums_by_an_owner_a_non_owner_and_a_hand_over_are_exact() {
    explore("e2: path sums by owner, non-owner and hand-over", 2_800, || {
        let t = leak::<1, 1, 1>();
        let op = t.operation("a").unwrap();
        let (first, exited) = spawn_then_exit(move || span_of(op, 2));
        let other = spawn_writer(move || span_of(op, 5));
        let second = spawn_after_exit(exited, move || span_of(op, 4));
        for h in [first, other, second] {
            h.join().unwrap();
        }
        let mut folded = String::new();
        t.write_folded(&mut folded).unwrap();
        assert_eq!(folded, "a 11\n", "every span's time, once");
        assert_eq!(op.summary().count, 3);
    });
}
