//! perftrack's benchmarks live in `benches/`. Run them with
//! `scripts/bench.sh` and `scripts/contention.sh`.
//!
//! The one function here exists to be disassembled: `scripts/asm.sh` writes
//! its release-build listing to `docs/record-path-x86_64.s`, so that a
//! reviewer sees exactly what one record costs.
#![no_std]

use core::time::Duration;

use perftrack::{Operation, THREAD_SHARDS, histogram::DEFAULT_BUCKETS};

/// One `Operation::record` on `PerformanceTracker`'s shapes (64 recent
/// records, `THREAD_SHARDS` shards, the default histogram), kept out of
/// line so that it has a listing of its own.
#[inline(never)]
pub fn record_once(op: &Operation<'_, 64, THREAD_SHARDS, DEFAULT_BUCKETS>, ns: u64, memory: u64) {
    op.record(Duration::from_nanos(ns), memory);
}
