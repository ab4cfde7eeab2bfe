//! The recent window across shards: the newest `RING` whole records of an
//! operation, oldest first.
//!
//! Each shard's ring is already in stream order. The window is a k-way merge
//! that walks every shard from its newest record backwards and repeatedly
//! takes the newest head, until `RING` records are taken. Entries that are
//! being written or were overwritten while the merge ran are skipped (I3).
//!
//! "Newest" across shards: records that carry a caller timestamp are ordered
//! by it; otherwise by their position in their own shard's stream. Records
//! from different threads that raced have no order of their own, so this
//! keeps each shard's order exactly and interleaves the shards evenly. With one
//! shard (the no_std default, or one recording thread) it is exactly the
//! newest `RING` records in record order.

use heapless::Vec;

use crate::registry::Slot;
use crate::ring::Slot as Entry;
use crate::shard::Shard;
use crate::summary::PerformanceMetrics;
use core::time::Duration;

/// Walks one shard's ring backwards from `cursor` to `lo`, returning the next
/// whole record.
fn next_whole<const RING: usize>(shard: &Shard<RING>, cursor: &mut u64, lo: u64) -> Option<Entry> {
    while *cursor > lo {
        *cursor -= 1;
        if let Some(e) = shard.read(*cursor) {
            return Some(e);
        }
    }
    None
}

/// Sort key for "newest": the caller's timestamp first, then stream position.
fn key(e: &Entry) -> (u64, u64) {
    (e.ticks.unwrap_or(0), e.seq)
}

pub(crate) fn recent<const RING: usize, const SHARDS: usize>(
    slot: &Slot<RING, SHARDS>,
) -> Vec<PerformanceMetrics, RING> {
    let mut lo = [0u64; SHARDS];
    let mut cursor = [0u64; SHARDS];
    let mut head: [Option<Entry>; SHARDS] = [None; SHARDS];
    for (i, shard) in slot.shards.iter().enumerate() {
        (lo[i], cursor[i]) = shard.window();
        head[i] = next_whole(shard, &mut cursor[i], lo[i]);
    }
    let mut out: Vec<PerformanceMetrics, RING> = Vec::new();
    while !out.is_full() {
        let newest =
            head.iter().enumerate().filter_map(|(i, h)| h.as_ref().map(|e| (i, key(e)))).max_by_key(|&(_, k)| k);
        let Some((i, _)) = newest else { break };
        let Some(e) = head[i].take() else { break };
        let pushed = out.push(PerformanceMetrics {
            duration: Duration::from_nanos(e.ns),
            memory_used: e.mem,
            seq: e.seq,
            // Shard counts are small const parameters; saturate rather than truncate.
            shard: u32::try_from(i).unwrap_or(u32::MAX),
            timestamp: e.ticks,
        });
        if pushed.is_err() {
            break;
        }
        head[i] = next_whole(&slot.shards[i], &mut cursor[i], lo[i]);
    }
    out.reverse();
    out
}
