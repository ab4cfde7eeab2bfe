//! The main job: several threads record several operations in hot loops, then
//! the report table is printed, with the measured cost of one record.
//!
//! ```text
//! cargo run --release --example hot_loop
//! ```

use core::hint::black_box;
use core::time::Duration;
use std::thread;
use std::time::Instant;

use perftrack::{PerformanceTracker, os::CountingAlloc};

// Counts heap bytes and allocations per thread, so each span's memory is
// exact: the report's Bytes/call is bytes allocated per call, and Allocs/call
// appears beside it.
#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::system();

static TRACKER: PerformanceTracker = PerformanceTracker::new();

const THREADS: usize = 4;
const ITERS: usize = 4_000;

/// A little real work to time: FNV-1a over a buffer.
fn checksum(buf: &[u8]) -> u64 {
    buf.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

fn main() -> Result<(), perftrack::TrackerError> {
    // Resolve once: the hot loop never looks a name up.
    let parse = TRACKER.operation("parse")?;
    let checksum_op = TRACKER.operation("checksum")?;
    let encode = TRACKER.operation("encode")?;

    thread::scope(|s| {
        for t in 0..THREADS {
            s.spawn(move || {
                let mut buf = vec![0u8; (64 << 10) + 4096 * t];
                for i in 0..ITERS {
                    // `measure` times the closure and, with the counting
                    // allocator below, counts its heap bytes and allocations.
                    parse.measure(|| {
                        let line: String = (0..400).map(|k| format!("{},", i * k + t)).collect();
                        black_box(&line).split(',').filter_map(|x| x.parse::<u64>().ok()).count()
                    });
                    checksum_op.measure(|| {
                        buf[i % 256] = i as u8;
                        black_box(checksum(&buf))
                    });
                    encode.measure(|| black_box(buf.iter().map(|b| b.rotate_left(3)).collect::<Vec<u8>>()).len());
                }
            });
        }
    });

    println!("{}", TRACKER.report());

    // The cost of one record on a resolved operation, measured here and now:
    // one thread, then every thread on the same operation.
    const N: usize = 5_000_000;
    let bench = TRACKER.operation("bench_record")?;
    let one = {
        let t0 = Instant::now();
        for i in 0..N {
            bench.record(Duration::from_nanos(black_box(i as u64 & 1023)), 64);
        }
        t0.elapsed()
    };
    let threads = thread::available_parallelism().map_or(2, |n| n.get());
    let all = {
        let t0 = Instant::now();
        thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(move || {
                    for i in 0..N {
                        bench.record(Duration::from_nanos(black_box(i as u64 & 1023)), 64);
                    }
                });
            }
        });
        t0.elapsed()
    };
    let s = bench.summary();
    assert_eq!(s.count, (N * (threads + 1)) as u64, "every record counted");
    println!("cost per record (resolved Operation::record):");
    println!("  1 thread : {:6.2} ns/record", one.as_nanos() as f64 / N as f64);
    println!(
        "  {threads} threads: {:6.2} ns/record per thread, {:.0} Mrecords/s in all",
        all.as_nanos() as f64 / N as f64,
        (N * threads) as f64 / all.as_secs_f64() / 1e6
    );
    Ok(())
}
