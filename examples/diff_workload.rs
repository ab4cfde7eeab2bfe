//! The workload of the verdict study (`scripts/diff_study.sh`): four
//! instrumented functions of different kinds (parse a line of numbers, sort
//! a small array, hash a buffer, build an index), 4,000 calls each a run,
//! into `perftrack::global()`; `#[perftrack::main]` appends the run's
//! snapshot to the file `PERFTRACK_OUT=json=FILE` names.
//!
//! `PERFTRACK_WORKLOAD_SLOW=sort` (or `parse`, `hash`, `index`) makes that
//! function do 25% more work per call: five units where the others do
//! four, each unit the same loop, so its time grows by a quarter.
//!
//! ```text
//! cargo build --release --example diff_workload --features serde
//! perftrack ab -n 5 --base target/release/examples/diff_workload \
//!     --head "PERFTRACK_WORKLOAD_SLOW=sort target/release/examples/diff_workload" \
//!     --base-out base.jsonl --head-out head.jsonl
//! perftrack diff base.jsonl head.jsonl
//! ```

use core::hint::black_box;
use std::collections::BTreeMap;

/// Work units per call: 4, or 5 for the slowed function.
fn units(name: &str) -> usize {
    if std::env::var("PERFTRACK_WORKLOAD_SLOW").is_ok_and(|slow| slow == name) { 5 } else { 4 }
}

#[perftrack::measure]
fn parse(line: &str, units: usize) -> u64 {
    (0..units).map(|_| line.split(',').filter_map(|f| f.trim().parse::<u64>().ok()).sum::<u64>()).sum()
}

#[perftrack::measure]
fn sort(seed: u64, units: usize) -> u64 {
    let mut total = 0;
    for u in 0..units as u64 {
        let mut v: [u64; 48] =
            core::array::from_fn(|i| (seed ^ u).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(i as u32 * 7));
        v.sort_unstable();
        total ^= v[24];
    }
    total
}

#[perftrack::measure]
fn hash(buf: &[u8], units: usize) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for _ in 0..units {
        h = buf.iter().fold(h, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    }
    h
}

#[perftrack::measure]
fn index(words: &[&str], units: usize) -> usize {
    let mut total = 0;
    for _ in 0..units {
        let mut map: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, w) in words.iter().enumerate() {
            *map.entry(w).or_default() += i;
        }
        total += map.len();
    }
    total
}

#[perftrack::main]
fn main() {
    let (up, us, uh, ui) = (units("parse"), units("sort"), units("hash"), units("index"));
    let line: String = (0..24).map(|i| (i * 7919 % 1000).to_string()).collect::<Vec<_>>().join(", ");
    let buf: Vec<u8> = (0..256u32).map(|i| (i * 31 % 251) as u8).collect();
    let words: Vec<&str> = "the quick brown fox jumps over the lazy dog and runs far away".split(' ').collect();
    let mut total = 0u64;
    for i in 0..4_000u64 {
        total = total.wrapping_add(parse(black_box(&line), up));
        total = total.wrapping_add(sort(black_box(i), us));
        total = total.wrapping_add(hash(black_box(&buf), uh));
        total = total.wrapping_add(index(black_box(&words), ui) as u64);
    }
    black_box(total);
}
