//! What perftrack reads of the process and the machine (std): memory and
//! CPU figures ([`estimate_memory_usage`], [`cpu_usage`], …), the fast
//! clock the std layer times with ([`FastClock`]), and the counting
//! allocator that attributes heap allocations to the calls that made them
//! ([`CountingAlloc`]).

// How it is built:
// What perftrack reads of the operating system and the CPU (std): the
// process's memory and CPU figures, the fast clock and its calibration,
// and the counting allocator.

// A `GlobalAlloc` impl cannot be written without `unsafe`; each unsafe
// block in it carries its `// SAFETY:` argument.
#[allow(unsafe_code)]
pub(crate) mod alloc;
// Only where the TSC may be the clock, and for its tests.
#[cfg(any(test, all(target_arch = "x86_64", target_os = "linux", not(miri))))]
mod calibration;
pub(crate) mod clock;
pub(crate) mod process;

pub use alloc::{AllocStats, CountingAlloc, SLOTS as ALLOC_SLOTS};
pub use clock::FastClock;
pub use process::{
    CpuUsage, cpu_usage, estimate_memory_usage, peak_memory_usage, try_cpu_usage, try_estimate_memory_usage,
    try_peak_memory_usage, try_thread_cpu_time,
};
