//! The one place that names `loom` or `portable_atomic`: the atomics of
//! every protocol the loom models check come from here. Files that name
//! `core::sync` directly hold std-only process state that no model covers
//! and that never runs on a chip without CAS (the hosted platform's
//! statics: the owner hint's spread, the fork barrier, the run clock; and
//! the std layer's).
//!
//! Order of choice (docs/DESIGN.md, "The sync shim"):
//! 1. loom, under this crate's own `--cfg perftrack_loom`, so that `RUSTFLAGS`
//!    never switches a dependency into loom mode;
//! 2. `portable-atomic`, on targets without native 64-bit atomics with CAS
//!    (Cortex-M0/M3/M4, RISC-V without the A extension);
//! 3. `core`, everywhere else.
//!
//! It also holds the target rules that the rest of the code would otherwise
//! repeat: building arrays of atomics (`const` outside loom, a runtime loop
//! inside it), inlining the record path (`hot_fn!`) and the coarse epoch
//! that orders the recent window.

#[cfg(perftrack_loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, Ordering, fence};
/// loom's per-execution statics, thread-locals and yield, for the platform
/// under loom (`platform/model.rs`).
#[cfg(perftrack_loom)]
pub(crate) use loom::{
    lazy_static as loom_lazy_static, thread::yield_now as loom_yield_now, thread_local as loom_thread_local,
};

#[cfg(all(not(perftrack_loom), target_has_atomic = "64"))]
pub(crate) use core::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, Ordering, fence};

#[cfg(all(not(perftrack_loom), not(target_has_atomic = "64")))]
pub(crate) use portable_atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, Ordering, fence};

// A target without compare-and-swap (Cortex-M0, RISC-V without the A
// extension) gets its RMWs from portable-atomic, which needs the final binary
// to say how: a library must not choose for it. portable-atomic's
// `require-cas` feature (Cargo.toml) stops such a build with a message that
// says so, and lets the final binary enable portable-atomic's own features
// directly, as portable-atomic's docs tell it to.

/// Declares a `const fn` outside loom and a plain `fn` under loom, from one body.
///
/// loom's atomics cannot be built in a `const` context (crossbeam's `const_fn!`
/// solves the same problem the same way).
macro_rules! const_fn {
    ($(#[$attr:meta])* $vis:vis const fn $($rest:tt)*) => {
        $(#[$attr])*
        #[cfg(not(perftrack_loom))]
        $vis const fn $($rest)*

        $(#[$attr])*
        #[cfg(perftrack_loom)]
        $vis fn $($rest)*
    };
}
pub(crate) use const_fn;

/// `[expr; N]` for a non-`Copy` `expr`: an inline-`const` repeat outside loom,
/// `core::array::from_fn` under loom.
#[cfg(not(perftrack_loom))]
macro_rules! array_of {
    ($e:expr; $n:expr) => {
        [const { $e }; $n]
    };
}
#[cfg(perftrack_loom)]
macro_rules! array_of {
    ($e:expr; $n:expr) => {
        core::array::from_fn(|_| $e)
    };
}
pub(crate) use array_of;

/// Marks a function on the record path: always inlined where 64-bit atomics
/// are native, left to the compiler elsewhere.
///
/// With several call sites LLVM otherwise kept the record path out of line at
/// some of them, a call per record. Where 64-bit
/// atomics are not native (portable-atomic's interrupt-free sections) the path
/// is about a kilobyte of code, so there the compiler decides.
macro_rules! hot_fn {
    ($(#[$attr:meta])* $vis:vis fn $($rest:tt)*) => {
        $(#[$attr])*
        #[cfg_attr(target_has_atomic = "64", inline(always))]
        #[cfg_attr(not(target_has_atomic = "64"), inline)]
        $vis fn $($rest)*
    };
}
pub(crate) use hot_fn;

/// The process-wide epoch: a coarse clock that orders the recent window
/// across shards (docs/DESIGN.md, "The recent window").
///
/// Writers only read it (one shared, read-mostly cache line) and stamp it
/// into their ring entries. It moves forward when a reader takes a window and
/// when a thread records for the first time, so records made after either
/// sort after records made before it. It is a hint for ordering, never for
/// safety. Under loom it is always 0: a global that lives across executions
/// (and across models run in parallel) would make the models
/// non-deterministic, which loom rejects.
#[cfg(not(perftrack_loom))]
static EPOCH: AtomicU32 = AtomicU32::new(0);

/// The current epoch (see [`EPOCH`]).
#[inline]
pub(crate) fn epoch() -> u32 {
    // Relaxed: an ordering hint; no data hangs on it.
    #[cfg(not(perftrack_loom))]
    return EPOCH.load(Ordering::Relaxed);
    #[cfg(perftrack_loom)]
    0
}

/// Starts a new epoch. An RMW, so that racing advances never move it back.
#[inline]
pub(crate) fn advance_epoch() {
    // Relaxed: an ordering hint; no data hangs on it.
    #[cfg(not(perftrack_loom))]
    EPOCH.fetch_add(1, Ordering::Relaxed);
}
