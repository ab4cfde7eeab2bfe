//! The invariants I1–I7 (docs/DESIGN.md), each shown through the public API.

use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use core::time::Duration;
use std::sync::Barrier;
use std::thread;

use perftrack::{
    MetricsSummary, Sample, Tracker, TrackerError,
    histogram::{COARSE_BUCKETS, DEFAULT_BUCKETS},
};

/// Every record in these tests has `memory == 3 * ns + 1`, so any set of whole
/// records satisfies `total_memory == 3 * total_ns + count`.
fn mem_for(ns: u64) -> u64 {
    3 * ns + 1
}

/// A snapshot is one set of whole records: its totals agree with each other
/// (the memory rule above), and its histogram holds the same records: as many
/// as the count, and bucket bounds that bracket the total duration and the
/// extremes.
fn assert_consistent<const B: usize>(s: &MetricsSummary<B>) {
    let total_ns = s.total_duration.as_nanos() as u64;
    assert_eq!(s.total_memory, 3 * total_ns + s.count, "torn snapshot: {s:?}");
    let d = &s.distribution;
    assert_eq!(d.count(), s.count, "the histogram holds other records than the totals: {s:?}");
    if s.count > 0 {
        assert!(s.min_duration <= s.avg_duration && s.avg_duration <= s.max_duration, "min/avg/max disagree: {s:?}");
        // Each record lies in its bucket, whose lower bound is at least
        // upper / (1 + 2·relative_error): so the total duration lies between
        // the sums of the buckets' bounds, and the extremes in the outer ones.
        let shrink = 1.0 + 2.0 * d.relative_error();
        let (mut lo, mut hi) = (0f64, 0u128);
        for (upper, n) in d.buckets() {
            hi += upper.as_nanos() * n as u128;
            lo += (upper.as_nanos() as f64 / shrink).floor() * n as f64;
        }
        assert!(lo <= total_ns as f64 && total_ns as u128 <= hi, "total outside its buckets ({lo}..={hi}): {s:?}");
        let (first, last) = (d.buckets().next().unwrap().0, d.buckets().last().unwrap().0);
        assert!(s.min_duration <= first && s.max_duration <= last, "extremes outside the buckets: {s:?}");
    }
}

/// Stops the writers when the reader's scope ends, also when an assertion
/// in it panics: the failure then fails the test instead of hanging it.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

// ---------------------------------------------------------------- I1

#[test]
fn i1_eight_threads_times_100k_records_are_exact_at_rest() {
    const THREADS: u64 = 8;
    const N: u64 = if cfg!(miri) { 50 } else { 100_000 };
    let t: Tracker<4, 32, 4> = Tracker::new();
    let op = t.operation("hot").unwrap();
    thread::scope(|s| {
        for w in 0..THREADS {
            s.spawn(move || {
                for i in 0..N {
                    let ns = w * N + i + 1; // every value distinct, 1..=THREADS*N
                    op.record(Duration::from_nanos(ns), mem_for(ns));
                }
            });
        }
    });
    let total = THREADS * N;
    let sum_ns = total * (total + 1) / 2;
    let s = op.summary();
    assert_eq!(s.count, total);
    assert_eq!(s.total_duration, Duration::from_nanos(sum_ns));
    assert_eq!(s.min_duration, Duration::from_nanos(1));
    assert_eq!(s.max_duration, Duration::from_nanos(total));
    assert_eq!(s.total_memory, 3 * sum_ns + total);
    // Reading again changes nothing (the snapshot moves halves, not records).
    assert_eq!(op.summary().count, total);
    assert_eq!(op.summary().total_memory, s.total_memory);
}

#[test]
fn i1_records_on_one_shared_shard_are_exact_at_rest() {
    const N: u64 = if cfg!(miri) { 50 } else { 50_000 };
    let t: Tracker<1, 8, 2> = Tracker::new();
    let op = t.operation("x").unwrap();
    thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(move || {
                for i in 0..N {
                    op.record_on(0, &Sample::new(Duration::from_nanos(i), mem_for(i)));
                }
            });
        }
    });
    let s = op.summary();
    assert_eq!(s.count, 4 * N);
    assert_eq!(s.total_duration, Duration::from_nanos(4 * (N * (N - 1) / 2)));
    assert_eq!(s.min_duration, Duration::ZERO);
    assert_consistent(&s);
}

/// Owned shards change hands as threads come and go: three drivers each
/// start threads one after another, so a new thread often takes the owner
/// token that another driver's thread has just given back at its exit (no
/// join orders them), while a reader snapshots. Two shards, three threads
/// at a time: one of them always records without owning a shard. Nothing is
/// lost, and every snapshot is whole.
#[test]
fn i1_i2_owned_shards_change_hands_at_thread_exit_without_loss() {
    const GENERATIONS: u64 = if cfg!(miri) { 2 } else { 40 };
    const N: u64 = if cfg!(miri) { 20 } else { 2_000 };
    let t: Tracker<1, 8, 2, STRESS_BUCKETS> = Tracker::new();
    let op = t.operation("x").unwrap();
    let stop = AtomicBool::new(false);
    thread::scope(|s| {
        let reader = s.spawn(|| {
            let mut snapshots = 0u64;
            while !stop.load(Ordering::Relaxed) {
                assert_consistent(&op.summary());
                snapshots += 1;
            }
            snapshots
        });
        thread::scope(|drivers| {
            for _ in 0..3 {
                drivers.spawn(|| {
                    for _ in 0..GENERATIONS {
                        thread::scope(|one| {
                            one.spawn(|| {
                                for i in 1..=N {
                                    op.record(Duration::from_nanos(i), mem_for(i));
                                }
                            });
                        });
                    }
                });
            }
        });
        stop.store(true, Ordering::Relaxed);
        assert!(reader.join().unwrap() > 0);
    });
    let s = op.summary();
    assert_eq!(s.count, 3 * GENERATIONS * N);
    assert_eq!(s.total_duration, Duration::from_nanos(3 * GENERATIONS * (N * (N + 1) / 2)));
    assert_consistent(&s);
}

// ---------------------------------------------------------------- I2 + I6

/// Under miri each writer stops after this many records, so that a test ends
/// however miri schedules it: its interpreter runs the writers' loops
/// thousands of times slower than the reader's copies need, and its random
/// scheduling can keep spoiling a reader's copies for many minutes. Natively
/// writers run until the reader is done.
const MIRI_WRITES: u64 = if cfg!(miri) { 400 } else { u64::MAX };

/// The stress tests' resolution: the default, but the coarse one under miri.
/// Miri interprets every bucket load of a copy, and under writers that never
/// pause the default layout's longer copies keep being spoiled for minutes of
/// interpretation (natively the same tests take milliseconds). The default
/// layout's reader still runs under miri in
/// `i2_many_readers_at_once_each_get_consistent_snapshots`.
const STRESS_BUCKETS: usize = if cfg!(miri) { COARSE_BUCKETS } else { DEFAULT_BUCKETS };

/// Four writers and a reader. `shared_shard`: writer `w` records on shard
/// `w % SHARDS`, so shards are shared and the contended path runs; otherwise
/// each writer records on its own thread's shard.
fn snapshots_stay_consistent_while_writers_run<const SHARDS: usize, const BUCKETS: usize>(shared_shard: bool) {
    const SNAPSHOTS: usize = if cfg!(miri) { 4 } else { 3_000 };
    let t: Tracker<2, 16, SHARDS, BUCKETS> = Tracker::new();
    let op = t.operation("io").unwrap();
    let stop = AtomicBool::new(false);
    let written = AtomicUsize::new(0);
    thread::scope(|s| {
        for w in 0..4u64 {
            let (stop, written) = (&stop, &written);
            s.spawn(move || {
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) && i < MIRI_WRITES {
                    let ns = (i * 7 + w) % 10_000;
                    let sample = Sample::new(Duration::from_nanos(ns), mem_for(ns));
                    if shared_shard {
                        op.record_on(w as usize % SHARDS, &sample)
                    } else {
                        op.record_sample(&sample)
                    }
                    i += 1;
                }
                written.fetch_add(i as usize, Ordering::Relaxed);
            });
        }
        // The reader finishes SNAPSHOTS snapshots while the writers never
        // stop: if its retries were not bounded by the writers in flight, this
        // loop would never end.
        let _stop = StopOnDrop(&stop);
        let mut last = 0;
        for _ in 0..SNAPSHOTS {
            let snap = op.summary();
            assert_consistent(&snap);
            assert!(snap.count >= last, "count went backwards");
            last = snap.count;
        }
        stop.store(true, Ordering::Relaxed);
    });
    assert_eq!(op.summary().count, written.load(Ordering::Relaxed) as u64);
}

#[test]
fn i2_snapshots_are_consistent_while_writers_share_one_shard() {
    snapshots_stay_consistent_while_writers_run::<1, STRESS_BUCKETS>(true);
}

#[test]
fn i2_coarse_histograms_stay_consistent_while_writers_share_one_shard() {
    snapshots_stay_consistent_while_writers_run::<1, COARSE_BUCKETS>(true);
}

#[test]
fn i2_histograms_stay_consistent_while_two_writers_share_each_of_two_shards() {
    // Both shards' contended paths fill the operation's one pair of
    // histogram halves: the parity shared across shards is what keeps the
    // buckets equal to the count.
    snapshots_stay_consistent_while_writers_run::<2, STRESS_BUCKETS>(true);
}

#[test]
fn i2_snapshots_are_consistent_across_shards_while_writers_run() {
    snapshots_stay_consistent_while_writers_run::<4, STRESS_BUCKETS>(false);
}

#[test]
fn i2_many_readers_at_once_each_get_consistent_snapshots() {
    const ROUNDS: usize = if cfg!(miri) { 3 } else { 2_000 };
    let t: Tracker<1, 8, 2> = Tracker::new();
    let op = t.operation("r").unwrap();
    let stop = AtomicBool::new(false);
    thread::scope(|s| {
        let stop = &stop;
        s.spawn(move || {
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) && i < MIRI_WRITES {
                op.record(Duration::from_nanos(i % 500), mem_for(i % 500));
                i += 1;
            }
        });
        let _stop = StopOnDrop(stop);
        let readers: Vec<_> =
            (0..3).map(|_| s.spawn(move || (0..ROUNDS).for_each(|_| assert_consistent(&op.summary())))).collect();
        for r in readers {
            r.join().unwrap();
        }
        stop.store(true, Ordering::Relaxed);
    });
}

// ---------------------------------------------------------------- I3

#[test]
fn i3_recent_never_returns_a_torn_or_invented_record() {
    const RING: usize = 8;
    const N: u64 = if cfg!(miri) { 40 } else { 200_000 };
    let t: Tracker<1, RING, 2> = Tracker::new();
    let op = t.operation("ring").unwrap();
    let done = AtomicBool::new(false);
    thread::scope(|s| {
        let done = &done;
        let writers: Vec<_> = (0..3u64)
            .map(|w| {
                s.spawn(move || {
                    for i in 0..N {
                        // Writer id in the high bits: each value names one real record.
                        let ns = (w << 32) | i;
                        // Two writers share shard 0, so entries are also overwritten
                        // by racing writers, not only by later records.
                        op.record_on(w as usize % 2, &Sample::new(Duration::from_nanos(ns), mem_for(ns)));
                    }
                })
            })
            .collect();
        let reader = s.spawn(move || {
            let mut reads = 0u32;
            while !done.load(Ordering::Relaxed) || reads < 10 {
                let recent = op.recent();
                assert!(recent.len() <= RING);
                for m in &recent {
                    let ns = m.duration.as_nanos() as u64;
                    assert_eq!(m.memory_used, mem_for(ns), "torn record {m:?}");
                    assert!(ns >> 32 < 3 && (ns & 0xffff_ffff) < N, "invented record {m:?}");
                }
                for shard in 0..2 {
                    let seqs: Vec<u64> = recent.iter().filter(|m| m.shard == shard).map(|m| m.seq).collect();
                    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "shard {shard} out of order: {seqs:?}");
                }
                reads += 1;
            }
            reads
        });
        for w in writers {
            w.join().unwrap();
        }
        done.store(true, Ordering::Relaxed);
        assert!(reader.join().unwrap() >= 10);
    });
}

#[test]
fn i3_recent_returns_the_newest_ring_records_oldest_first() {
    let t: Tracker<1, 4, 1> = Tracker::new();
    for i in 0..10u64 {
        t.record("w", Duration::from_nanos(i), i).unwrap();
    }
    let r = t.recent("w");
    let got: Vec<(u64, u64)> = r.iter().map(|m| (m.seq, m.duration.as_nanos() as u64)).collect();
    assert_eq!(got, [(6, 6), (7, 7), (8, 8), (9, 9)]);
    assert!(t.recent("unknown").is_empty());
}

#[test]
fn i3_recent_merges_shards_by_timestamp_when_given() {
    let t: Tracker<1, 4, 3> = Tracker::new();
    let op = t.operation("m").unwrap();
    for tick in 0..9u64 {
        op.record_on((tick % 3) as usize, &Sample::new(Duration::from_nanos(tick), 0).at(tick));
    }
    let ticks: Vec<u64> = op.recent().iter().map(|m| m.timestamp.unwrap()).collect();
    assert_eq!(ticks, [5, 6, 7, 8]);
}

#[test]
fn i3_recent_holds_the_newest_records_in_time_across_shards_without_timestamps() {
    // Thread A records 1,000 fast records and exits; thread B then records 500
    // slow ones. Each thread has a shard of its own, so by stream position
    // alone A's records (positions up to 999) would look newer than B's (up
    // to 499). The window must be B's newest 64.
    let t: Tracker<1, 64, 8> = Tracker::new();
    let op = t.operation("w").unwrap();
    thread::scope(|s| {
        s.spawn(|| (0..1000).for_each(|_| op.record(Duration::from_millis(1), 0)));
    });
    thread::scope(|s| {
        s.spawn(|| (0..500).for_each(|_| op.record(Duration::from_millis(100), 0)));
    });
    let recent = op.recent();
    assert_eq!(recent.len(), 64);
    let slow = recent.iter().filter(|m| m.duration == Duration::from_millis(100)).count();
    assert_eq!(slow, 64, "the window holds {} of B's records, {} of A's", slow, 64 - slow);
}

#[test]
fn i3_records_after_a_window_was_taken_sort_after_it_across_shards() {
    // Shard 0 gets many records, then a reader takes the window, then shard 1
    // gets a few: those few are the newest, whatever their stream positions.
    let t: Tracker<1, 8, 2> = Tracker::new();
    let op = t.operation("w").unwrap();
    for i in 0..100u64 {
        op.record_on(0, &Sample::new(Duration::from_nanos(i), 0));
    }
    assert_eq!(op.recent().len(), 8);
    for i in 0..3u64 {
        op.record_on(1, &Sample::new(Duration::from_nanos(1000 + i), 0));
    }
    let ns: Vec<u64> = op.recent().iter().map(|m| m.duration.as_nanos() as u64).collect();
    assert_eq!(ns, [95, 96, 97, 98, 99, 1000, 1001, 1002]);
}

#[test]
fn i3_a_wrapping_32_bit_counter_in_the_high_bits_orders_shards_across_its_wrap() {
    // An MCU's 32-bit cycle counter, given as `u64::from(cyccnt) << 32`
    // (docs/DESIGN.md, "The recent window"): timestamps compare as wrapping serial numbers.
    let t: Tracker<1, 4, 2> = Tracker::new();
    let op = t.operation("cyc").unwrap();
    let cyc = |c: u32| u64::from(c) << 32;
    let ticks = [0xFFFF_FFF0u32, 0xFFFF_FFF8, 0x0000_0004, 0x0000_0010, 0x0000_0020, 0x0000_0030];
    for (i, &c) in ticks.iter().enumerate() {
        op.record_on(i % 2, &Sample::new(Duration::from_nanos(i as u64), 0).at(cyc(c)));
    }
    let got: Vec<u64> = op.recent().iter().map(|m| m.duration.as_nanos() as u64).collect();
    assert_eq!(got, [2, 3, 4, 5], "newest four in counter order across the wrap");
}

#[test]
fn i3_one_shard_returns_records_in_record_order_whatever_their_timestamps() {
    let t: Tracker<1, 4, 1> = Tracker::new();
    let op = t.operation("w").unwrap();
    for (i, tick) in [u64::MAX - 1, 3, 1 << 63, 7, 5].into_iter().enumerate() {
        op.record_at(Duration::from_nanos(i as u64), 0, tick);
    }
    let got: Vec<u64> = op.recent().iter().map(|m| m.seq).collect();
    assert_eq!(got, [1, 2, 3, 4]);
}

// ---------------------------------------------------------------- I4

#[test]
fn i4_racing_registrations_of_the_same_names_get_one_slot_each() {
    const THREADS: usize = 8;
    let t: Tracker<8, 4, 2> = Tracker::new();
    let barrier = Barrier::new(THREADS);
    thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                barrier.wait();
                for name in ["alpha", "beta", "gamma", "delta"] {
                    t.record(name, Duration::from_nanos(1), 0).unwrap();
                }
            });
        }
    });
    let names: Vec<String> = t.summaries().map(|s| s.name.to_string()).collect();
    assert_eq!(names.len(), 4, "duplicate slots: {names:?}");
    for s in t.summaries() {
        assert_eq!(s.count, THREADS as u64, "{} split over slots", s.name);
    }
}

#[test]
fn i4_race_for_the_last_free_slot_has_one_winner_and_old_names_keep_recording() {
    let t: Tracker<2, 4, 1> = Tracker::new();
    t.record("existing", Duration::from_nanos(5), 0).unwrap();
    let barrier = Barrier::new(8);
    let wins = AtomicUsize::new(0);
    thread::scope(|s| {
        for i in 0..8 {
            let (t, barrier, wins) = (&t, &barrier, &wins);
            s.spawn(move || {
                barrier.wait();
                match t.operation(format!("new{i}")) {
                    Ok(_) => {
                        wins.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => assert_eq!(e, TrackerError::Full),
                }
                t.record("existing", Duration::from_nanos(5), 0).unwrap();
            });
        }
    });
    assert_eq!(wins.load(Ordering::Relaxed), 1);
    assert_eq!(t.len(), 2);
    assert_eq!(t.summary("existing").unwrap().count, 9);
}

// ---------------------------------------------------------------- I5 (bad input)

#[test]
fn i5_empty_name_is_rejected_and_nothing_is_lost() {
    let t: Tracker<2, 4> = Tracker::new();
    t.record("a", Duration::from_nanos(7), 1).unwrap();
    assert_eq!(t.record("", Duration::from_nanos(1), 1), Err(TrackerError::EmptyName));
    assert_eq!(t.operation("").unwrap_err(), TrackerError::EmptyName);
    assert_eq!(t.len(), 1);
    assert_eq!(t.summary("a").unwrap().total_duration, Duration::from_nanos(7));
}

#[test]
fn i5_name_longer_than_64_bytes_is_rejected_at_the_byte_boundary() {
    let t: Tracker<4, 4> = Tracker::new();
    let ok = "x".repeat(perftrack::limits::MAX_NAME_LEN);
    t.record(&ok, Duration::ZERO, 0).unwrap();
    assert_eq!(t.record("x".repeat(65), Duration::ZERO, 0), Err(TrackerError::NameTooLong));
    t.record("http_server_request_duration_seconds", Duration::ZERO, 0).unwrap();
    // 22 three-byte characters: 66 bytes, 22 chars.
    assert_eq!(t.record("€".repeat(22), Duration::ZERO, 0), Err(TrackerError::NameTooLong));
    t.record("€".repeat(21), Duration::ZERO, 0).unwrap();
    assert_eq!(&*t.summary("€".repeat(21)).unwrap().name, "€".repeat(21));
    assert_eq!(t.len(), 3);
}

#[test]
fn i5_full_tracker_answers_full_and_keeps_recording_known_names() {
    let t: Tracker<2, 4> = Tracker::new();
    t.record("a", Duration::from_nanos(1), 0).unwrap();
    t.record("b", Duration::from_nanos(1), 0).unwrap();
    assert_eq!(t.record("c", Duration::from_nanos(1), 0), Err(TrackerError::Full));
    t.record("a", Duration::from_nanos(1), 0).unwrap();
    assert_eq!(t.summary("a").unwrap().count, 2);
    assert_eq!(t.summary("c"), None);
}

#[test]
fn i5_duration_max_and_u64_max_memory_saturate_instead_of_wrapping() {
    let t: Tracker<1, 4> = Tracker::new();
    let op = t.operation("big").unwrap();
    op.record(Duration::MAX, u64::MAX);
    op.record(Duration::MAX, u64::MAX);
    op.record(Duration::from_nanos(1), 1);
    let s = op.summary();
    assert_eq!(s.count, 3);
    assert_eq!(s.total_duration, Duration::from_nanos(u64::MAX));
    assert_eq!(s.max_duration, Duration::from_nanos(u64::MAX));
    assert_eq!(s.min_duration, Duration::from_nanos(1));
    assert_eq!(s.total_memory, u64::MAX);
    // Still saturated after the snapshot moved the totals between halves.
    op.record(Duration::from_nanos(1), 1);
    let s = op.summary();
    assert_eq!((s.count, s.total_duration, s.total_memory), (4, Duration::from_nanos(u64::MAX), u64::MAX));
}

#[test]
fn i5_saturated_totals_keep_min_avg_max_in_order_and_say_so() {
    let t: Tracker<1, 4> = Tracker::new();
    let op = t.operation("big").unwrap();
    op.record(Duration::MAX, 0);
    op.record(Duration::MAX, 0);
    let s = op.summary();
    assert!(s.saturated, "{s:?}");
    assert!(s.min_duration <= s.avg_duration && s.avg_duration <= s.max_duration, "{s:?}");
    assert_eq!(s.avg_duration, Duration::from_nanos(u64::MAX));
    // Through the contended path too: records on a shared shard while a
    // writer holds it are not needed for this; a plain record is not saturated.
    let t: Tracker<1, 4> = Tracker::new();
    t.record("small", Duration::from_nanos(5), 0).unwrap();
    assert!(!t.summary("small").unwrap().saturated);
}

#[test]
fn i5_zero_durations_are_recorded() {
    let t: Tracker<1, 4> = Tracker::new();
    t.record("z", Duration::ZERO, 0).unwrap();
    t.record("z", Duration::ZERO, 0).unwrap();
    let s = t.summary("z").unwrap();
    assert_eq!((s.count, s.min_duration, s.max_duration, s.p99), (2, Duration::ZERO, Duration::ZERO, Duration::ZERO));
    assert_eq!(t.recent("z").len(), 2);
}

#[test]
fn i5_lapped_ring_writers_lose_no_aggregate() {
    // RING 1 with 4 writers on one shard: ring claims collide constantly,
    // and every collision must still count in the aggregates.
    const N: u64 = if cfg!(miri) { 30 } else { 20_000 };
    let t: Tracker<1, 1, 1> = Tracker::new();
    let op = t.operation("tiny").unwrap();
    thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(move || (0..N).for_each(|i| op.record(Duration::from_nanos(i), mem_for(i))));
        }
    });
    let s = op.summary();
    assert_eq!(s.count, 4 * N);
    assert_consistent(&s);
    assert_eq!(op.recent().len(), 1);
}

// ---------------------------------------------------------------- I7

/// The footprint formula of docs/DESIGN.md, written out independently of the code.
fn footprint(ops: usize, ring: usize, shards: usize, buckets: usize) -> usize {
    let a: usize = if cfg!(any(target_arch = "x86_64", target_arch = "aarch64")) { 128 } else { 64 };
    let round = |n: usize| n.div_ceil(a) * a;
    let shard = round(304 + 32 * ring + 8 * buckets);
    let names = round(400 * ops);
    let slot = a + shards * shard + round(16 * buckets);
    // The path table: its two counters, then a row per operation of four
    // entries and each shard owner's cells for them.
    let paths = round(16) + ops * (round(192) + shards * round(96));
    let metrics = round(400 * ops) + ops * (shards + 1) * a;
    let refused = round(28);
    names + ops * slot + paths + metrics + refused
}

#[test]
fn i7_size_of_tracker_matches_the_formula_in_the_design_doc() {
    assert_eq!(size_of::<Tracker<8, 16, 1>>(), footprint(8, 16, 1, 622));
    assert_eq!(size_of::<Tracker<32, 64, 8>>(), footprint(32, 64, 8, 622));
    assert_eq!(size_of::<Tracker<1, 1, 16>>(), footprint(1, 1, 16, 622));
    assert_eq!(size_of::<Tracker<8, 16, 1, COARSE_BUCKETS>>(), footprint(8, 16, 1, 165));
    assert_eq!(size_of::<Tracker<2, 4, 3, 44>>(), footprint(2, 4, 3, 44));
    assert_eq!(Tracker::<3, 5, 2>::FOOTPRINT, footprint(3, 5, 2, 622));
    // Small enough that each term shows: a cell more or less moves this one.
    assert_eq!(size_of::<Tracker<1, 4, 1, 8>>(), footprint(1, 4, 1, 8));
}

#[test]
fn the_default_tracker_stays_within_four_mebibytes() {
    // Checked when this test compiles: a bigger default fails the build.
    const { assert!(perftrack::PerformanceTracker::FOOTPRINT <= 4 << 20) };
    assert_eq!(perftrack::PerformanceTracker::FOOTPRINT, footprint(32, 64, perftrack::THREAD_SHARDS, 622));
    // No larger than before the native-histogram grid (625 buckets).
    assert!(perftrack::PerformanceTracker::FOOTPRINT < footprint(32, 64, perftrack::THREAD_SHARDS, 625));
}

// ---------------------------------------------------------------- summary and report

#[test]
fn quantiles_cover_the_whole_history_not_the_recent_window() {
    // The case a window gets wrong: 10,000 records with 2% at 10 ms, then
    // 64 fast ones that fill a 64-record window.
    // (1,000 under miri, which interprets every record: 2% still slow.)
    const N: u64 = if cfg!(miri) { 1_000 } else { 10_000 };
    let t: Tracker<1, 64, 1> = Tracker::new();
    let op = t.operation("p").unwrap();
    for i in 0..N {
        let d = if i % 50 == 0 { Duration::from_millis(10) } else { Duration::from_micros(1) };
        op.record(d, 0);
    }
    for _ in 0..64 {
        op.record(Duration::from_micros(1), 0);
    }
    let s = op.summary();
    assert_eq!(s.count, N + 64);
    assert!(t.recent("p").iter().all(|r| r.duration == Duration::from_micros(1)), "the window holds only fast records");
    // 200 of 10,064 records are slow (1.99%; 20 of 1,064 under miri, 1.88%),
    // so p99 is a slow one.
    assert!(s.p99.abs_diff(Duration::from_millis(10)) <= Duration::from_millis(10) / 35, "{:?}", s.p99);
    assert!(s.p50.abs_diff(Duration::from_micros(1)) <= Duration::from_micros(1) / 35, "{:?}", s.p50);
    assert!(s.p999.abs_diff(Duration::from_millis(10)) <= Duration::from_millis(10) / 35, "{:?}", s.p999);
}

#[test]
fn summaries_come_in_registration_order() {
    let t: Tracker<4, 4> = Tracker::new();
    for n in ["c", "a", "b"] {
        t.record(n, Duration::from_nanos(1), 0).unwrap();
    }
    let names: Vec<String> = t.summaries().map(|s| s.name.to_string()).collect();
    assert_eq!(names, ["c", "a", "b"]);
}

#[test]
fn report_columns_are_aligned_under_their_headers() {
    let t: Tracker<4, 8> = Tracker::new();
    t.record("short", Duration::from_micros(1500), 2048).unwrap();
    t.record("a_much_longer_operation_name", Duration::from_millis(12), 1024 * 1024).unwrap();
    let text = t.report().to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "=== Performance Report ===");
    for col in ["Operation", "Count", "Avg", "Min", "Max", "p50", "p99", "p99.9", "Bytes/call"] {
        assert!(lines[1].contains(col), "missing column {col}");
    }
    // Every row is as wide as the header (in characters: `µ` is two bytes),
    // so columns line up.
    let footer_at = lines.iter().position(|l| l.starts_with("(lifetime figures")).expect("a footer under the rows");
    for row in &lines[3..footer_at] {
        assert_eq!(row.chars().count(), lines[1].chars().count(), "{row:?}");
    }
    assert_eq!(footer_at, 5, "two rows, then the footer");
    assert!(lines[footer_at].contains("within 2.9%"), "{}", lines[footer_at]);
    assert!(lines[3].contains("1.50 ms") && lines[3].contains("2.00 KiB"), "{}", lines[3]);
    assert!(lines[4].contains("12.0 ms") && lines[4].contains("1.00 MiB"), "{}", lines[4]);
    assert!(!lines[1].contains("CPU"), "no CPU column without CPU samples");
}

#[test]
fn cpu_totals_stay_exact_when_records_with_and_without_cpu_time_mix() {
    // One shard, one thread: every record takes the uncontended path, whose
    // totals alternate between two versions. A pattern of CPU and no-CPU
    // records that is not periodic in 2 exercises every carry-over.
    let t: Tracker<1, 4, 1> = Tracker::new();
    let op = t.operation("mixed").unwrap();
    let pattern = [true, false, false, true, true, false, true, false, false, false, true];
    let (mut cpu_ns, mut cpu_n) = (0u64, 0u64);
    for (i, &with_cpu) in pattern.iter().enumerate() {
        let mut s = Sample::new(Duration::from_nanos(10 + i as u64), 0);
        if with_cpu {
            s = s.with_cpu_time(Duration::from_nanos(100 * (i as u64 + 1)));
            cpu_ns += 100 * (i as u64 + 1);
            cpu_n += 1;
        }
        op.record_sample(&s);
        let sum = op.summary();
        assert_eq!(sum.count, i as u64 + 1);
        assert_eq!((sum.total_cpu_time, sum.cpu_samples), (Duration::from_nanos(cpu_ns), cpu_n), "after record {i}");
        assert_eq!(
            (sum.min_duration, sum.max_duration),
            (Duration::from_nanos(10), Duration::from_nanos(10 + i as u64))
        );
    }
}

#[test]
fn report_shows_a_cpu_column_only_when_cpu_time_was_recorded() {
    let t: Tracker<2, 8> = Tracker::new();
    t.record("plain", Duration::from_millis(1), 0).unwrap();
    t.record_sample("cpu", &Sample::new(Duration::from_millis(4), 0).with_cpu_time(Duration::from_millis(3))).unwrap();
    let text = t.report().to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[1].ends_with("CPU"));
    assert!(lines[3].trim_end().ends_with('-'), "plain row has no CPU: {}", lines[3]);
    assert!(lines[4].trim_end().ends_with("3.00 ms"), "{}", lines[4]);
}

#[test]
fn report_shows_sub_microsecond_figures_instead_of_zero() {
    let t: Tracker<2, 8> = Tracker::new();
    t.record("tiny", Duration::from_nanos(48), 12).unwrap();
    let text = t.report().to_string();
    let row = text.lines().nth(3).unwrap();
    assert!(row.contains("48 ns") && row.contains("12 B"), "{row}");
    assert!(!row.contains("0.00"), "{row}");
}

#[test]
fn empty_report_says_so() {
    let t: Tracker<2, 2> = Tracker::new();
    assert_eq!(t.report().to_string(), "=== Performance Report ===\n(no operations recorded)\n");
}

#[test]
fn operation_handles_are_copy_send_and_sync() {
    fn assert_traits<T: Copy + Send + Sync>() {}
    assert_traits::<perftrack::Operation<'static, 4, 2>>();
    fn assert_sync<T: Send + Sync>() {}
    assert_sync::<Tracker<4, 4, 2>>();
}

#[test]
fn tracker_error_messages_say_what_went_wrong() {
    assert!(TrackerError::Full.to_string().contains("full"));
    assert!(TrackerError::NameTooLong.to_string().contains("64 bytes"));
    assert!(TrackerError::EmptyName.to_string().contains("empty"));
    let e: Box<dyn core::error::Error> = Box::new(TrackerError::Full);
    assert!(e.to_string().contains("slot"));
}

#[test]
fn a_full_tracker_counts_refused_names_and_the_report_says_so() {
    let t: Tracker<2, 4, 1> = Tracker::new();
    t.record("a", Duration::from_nanos(1), 0).unwrap();
    t.record("b", Duration::from_nanos(1), 0).unwrap();
    assert!(!t.report().to_string().contains("refused"), "nothing refused yet");
    for _ in 0..3 {
        assert_eq!(t.record("c", Duration::from_nanos(1), 0), Err(TrackerError::Full));
    }
    t.record("a", Duration::from_nanos(1), 0).unwrap(); // a known name still records
    assert_eq!(t.refused(), 3);
    let report = t.report().to_string();
    assert!(report.contains("(3 registrations of a new name refused, every slot taken: 3 of operations or series, 0 of counters, 0 of gauges; each kind holds 2"), "{report}");
}

#[test]
fn refused_counts_counters_and_gauges_too_and_the_report_says_which() {
    let t: Tracker<2, 4, 1> = Tracker::new();
    t.counter("a").unwrap();
    t.gauge("b").unwrap();
    for _ in 0..9_992 {
        assert_eq!(t.counter("c").unwrap_err(), TrackerError::Full);
    }
    assert_eq!(t.gauge_with_labels("b", &[("k", "v")]).unwrap_err(), TrackerError::Full);
    assert_eq!(t.refused(), 9_993);
    let by_kind = t.refused_by_kind();
    assert_eq!((by_kind.operations, by_kind.counters, by_kind.gauges), (0, 9_992, 1));
    let report = t.report().to_string();
    assert!(report.contains("(9993 registrations of a new name refused, every slot taken: 0 of operations or series, 9992 of counters, 1 of gauges"), "{report}");
}
