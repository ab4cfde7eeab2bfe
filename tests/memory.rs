//! Resident-memory figures against the kernel's own, in a test binary of its
//! own so that no other test allocates while it measures.
#![cfg(all(feature = "std", target_os = "linux"))]

use perftrack::{estimate_memory_usage, peak_memory_usage, try_estimate_memory_usage};

/// VmRSS from /proc/self/status, in bytes: the independent figure.
fn vm_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

fn within(a: u64, b: u64, pct: u64) -> bool {
    a.abs_diff(b) * 100 <= b * pct
}

#[test]
fn touching_200_mb_shows_in_estimate_memory_usage_and_agrees_with_vmrss() {
    const SIZE: u64 = 200 << 20;
    let before = try_estimate_memory_usage().expect("statm readable");
    // vec![1; n] writes every byte, so every page becomes resident (a zeroed
    // allocation could stay unbacked).
    let block = vec![1u8; SIZE as usize];
    let after = estimate_memory_usage();
    let kernel = vm_rss();
    core::hint::black_box(&block);
    let rise = after - before;
    assert!(within(rise, SIZE, 10), "rise {rise} is not within 10% of {SIZE}");
    assert!(within(after, kernel, 5), "statm {after} vs VmRSS {kernel}");
    assert!(peak_memory_usage() >= after - after / 20, "peak below current");
    drop(block);
}
