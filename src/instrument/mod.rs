//! Instrumentation (std): what times a call and records it. Timers,
//! scoped guards, `Timed` futures, the call sites and exit outputs of
//! `#[measure]`, `measure_block!`, the heap-backed trackers and
//! `global()`, and the warning a full tracker prints once.

// `measure_block!`, exported at the crate root.
mod block;
mod boxed;
pub(crate) mod callsite;
pub(crate) mod exit;
pub(crate) mod future;
pub(crate) mod guard;
pub(crate) mod performance;
pub(crate) mod timer;
pub(crate) mod warn;
