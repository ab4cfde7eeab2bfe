//! What perftrack reads of the operating system and the CPU (std): the
//! process's memory and CPU figures, the fast clock and its calibration,
//! and the counting allocator.

// A `GlobalAlloc` impl cannot be written without `unsafe`; each unsafe
// block in it carries its `// SAFETY:` argument.
#[allow(unsafe_code)]
pub(crate) mod alloc;
// Only where the TSC may be the clock, and for its tests.
#[cfg(any(test, all(target_arch = "x86_64", target_os = "linux", not(miri))))]
mod calibration;
pub(crate) mod clock;
pub(crate) mod process;
