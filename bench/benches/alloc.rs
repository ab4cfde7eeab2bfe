//! An allocation + free pair through `CountingAlloc<System>`, `System` alone
//! and `stats_alloc`'s `StatsAlloc<System>`, at one thread and at two, in one
//! process with the three taking turns (DESIGN.md: at most 1.15× `System`,
//! and two threads keep at least 0.9× `System`'s throughput).
//!
//! The allocators are called through `GlobalAlloc` directly, not installed,
//! so that all three run in the same binary; the process's own global
//! allocator is untouched.
//!
//! `cargo bench -p perftrack-bench --bench alloc` (PERFTRACK_ALLOC_ROUNDS,
//! default 15; PERFTRACK_ALLOC_PAIRS per thread per round, default 2,000,000).

use core::alloc::{GlobalAlloc, Layout};
use core::hint::black_box;
use std::alloc::System;
use std::time::Instant;

use perftrack::os::CountingAlloc;

mod common;
use stats_alloc::StatsAlloc;

static COUNTING: CountingAlloc = CountingAlloc::system();
static STATS: StatsAlloc<System> = StatsAlloc::system();

/// `pairs` allocation + free pairs of 64 bytes through `a`; ns per pair.
fn pairs(a: &(dyn GlobalAlloc + Sync), pairs: u64) -> f64 {
    let layout = Layout::from_size_align(64, 8).unwrap();
    let t0 = Instant::now();
    for _ in 0..pairs {
        // SAFETY: a non-zero-sized layout; the block is freed at once with
        // the same layout by the same allocator.
        #[allow(unsafe_code)]
        unsafe {
            let p = a.alloc(layout);
            assert!(!p.is_null());
            black_box(p).write(1);
            a.dealloc(p, layout);
        }
    }
    t0.elapsed().as_nanos() as f64 / pairs as f64
}

/// The same on `threads` threads at once; wall ns per pair per thread.
fn pairs_on(a: &(dyn GlobalAlloc + Sync), threads: usize, n: u64) -> f64 {
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| pairs(a, n));
        }
    });
    t0.elapsed().as_nanos() as f64 / n as f64
}

fn main() {
    let env = |k: &str, d: u64| std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(d);
    let rounds = env("PERFTRACK_ALLOC_ROUNDS", 15) as usize;
    let n = env("PERFTRACK_ALLOC_PAIRS", 2_000_000);
    let allocators: [(&str, &(dyn GlobalAlloc + Sync)); 3] =
        [("System", &System), ("CountingAlloc<System>", &COUNTING), ("stats_alloc StatsAlloc<System>", &STATS)];
    for threads in [1usize, 2] {
        let mut times = vec![Vec::new(); allocators.len()];
        for _ in 0..rounds {
            for (i, (_, a)) in allocators.iter().enumerate() {
                times[i].push(pairs_on(*a, threads, n));
            }
        }
        let med: Vec<f64> = times.into_iter().map(|mut v| common::median(&mut v)).collect();
        println!("\n{threads} thread(s), {n} alloc+free pairs of 64 B per thread, median of {rounds} rounds:");
        println!("| allocator | wall ns per pair per thread | × System |");
        println!("|---|---:|---:|");
        for ((name, _), m) in allocators.iter().zip(&med) {
            println!("| {name} | {m:.2} | {:.3} |", m / med[0]);
        }
        if threads > 1 {
            // Throughput relative to System: its time over ours.
            println!("throughput at {threads} threads, CountingAlloc / System: {:.3}", med[0] / med[1]);
        }
    }
    // The pairs ran on spawned threads; their slots keep the counts.
    let s = perftrack::os::AllocStats::process();
    assert!(s.allocations >= n, "CountingAlloc counted the pairs: {s:?}");
}
