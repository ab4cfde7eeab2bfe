//! The process-wide tracker: its resident memory grows with the operations
//! used, not with its capacity, and a full one refuses names without a
//! panic. In a binary of its own, so that no other test's memory shows in
//! the resident set it measures.
#![cfg(feature = "std")]

use core::time::Duration;

use perftrack::{
    TrackerError, estimate_memory_usage, global,
    instrument::{GLOBAL_OPS, GlobalTracker},
};

/// Registers operations `from..to` of the global tracker and records 1,000
/// durations (1 µs to 1 ms) into each, from this thread.
fn use_operations(from: usize, to: usize) {
    for i in from..to {
        let op = global().operation(format!("op{i}")).unwrap();
        for k in 0..1_000u64 {
            op.record(Duration::from_nanos(1_000 + k * 997), k);
        }
    }
}

#[test]
#[cfg_attr(miri, ignore = "resident memory is the OS's figure")]
fn resident_memory_grows_with_the_operations_used_not_with_the_capacity() {
    let footprint = GlobalTracker::FOOTPRINT as i64;
    let before = estimate_memory_usage() as i64;
    use_operations(0, 10);
    let ten = estimate_memory_usage() as i64 - before;
    use_operations(10, GLOBAL_OPS);
    let all = estimate_memory_usage() as i64 - before;
    println!(
        "global tracker: capacity {GLOBAL_OPS} operations, {:.1} MiB reserved; resident growth {:.2} MiB with 10 in use, {:.2} MiB with {GLOBAL_OPS}",
        footprint as f64 / 1048576.0,
        ten as f64 / 1048576.0,
        all as f64 / 1048576.0
    );
    // Ten operations touch a few pages each (a shard's cells and ring, the
    // histogram pages their durations land on), not the tracker.
    assert!(ten < footprint / 10, "10 operations made {ten} bytes resident of a {footprint}-byte tracker");
    assert!(all <= footprint + (8 << 20), "{all}");
    // Full: the next name is refused, and the known ones keep recording.
    assert_eq!(global().operation("one too many").unwrap_err(), TrackerError::Full);
    global().record("op0", Duration::from_micros(1), 0).unwrap();
    assert_eq!(global().summary("op0").unwrap().count, 1_001);
    assert_eq!(global().len(), GLOBAL_OPS);
}
