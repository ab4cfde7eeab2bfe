//! Timing calls by hand (std): a [`Timer`], a scope guard
//! ([`ScopeGuard`], from `Operation::time`), a `Send` future
//! ([`Timed`], from `Operation::instrument`), the heap-backed trackers
//! ([`HeapTracker`], [`PerformanceTracker`], [`global`]) and
//! [`write_outputs`]. `#[perftrack::measure]` expands to these.

// How it is built:
// Instrumentation (std): what times a call and records it. Timers,
// scoped guards, `Timed` futures, the call sites and exit outputs of
// `#[measure]`, `measure_block!`, the heap-backed trackers and
// `global()`, and the warning a full tracker prints once.

// `measure_block!`, exported at the crate root.
mod block;
mod boxed;
pub(crate) mod callsite;
pub(crate) mod exit;
pub(crate) mod future;
pub(crate) mod guard;
pub(crate) mod performance;
pub(crate) mod stack;
pub(crate) mod timer;
pub(crate) mod warn;

pub use exit::write_outputs;
pub use future::Timed;
pub use guard::ScopeGuard;
pub use performance::{GLOBAL_OPS, GlobalTracker, HeapTracker, PerformanceTracker, global};
pub use timer::Timer;
