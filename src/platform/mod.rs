//! The one compile-time hook: what the core asks of the platform it runs on.
//!
//! The core (the record path, registration, snapshots, the call-path table,
//! the exports) is one body of code in every build; it names no feature.
//! What it may ask of the thread and the process it runs in differs with
//! `std`, and it asks only through this module:
//!
//! | asked | `hosted/` (`std`) | `bare.rs` (no `std`) | `model.rs` (loom) |
//! |---|---|---|---|
//! | [`thread_hint`]: where this thread records, and whether it owns that shard (`owner.rs`) | a thread-local; a token taken at the first record, given back at thread exit | [`UNOWNED`](owner::UNOWNED): the claim path | loom's thread-locals, a table per execution |
//! | [`enter`] / [`leave`]: the fork barrier around a step others wait for | `pthread_atfork` and striped counts (unix, outside miri) | nothing | nothing |
//! | [`yield_now`]: a long wait gives the core away | `std::thread::yield_now` | nothing ([`HOSTED`] is false) | loom's yield |
//! | [`run_so_far`]: when this process first recorded, and how many threads have | wall clock, atomics | `None` | `None` |
//! | [`recent_find`] / [`recent_remember`]: this thread's recently resolved names | a thread-local cache | nothing | nothing |
//!
//! The choice is made here, at compile time. Below the std layer only this
//! file, `lib.rs`'s module list and `export/mod.rs`'s declaration of its
//! `io.rs` (the `Vec` and `io::Write` sinks) name the `std` feature; the
//! test command checks it. Each platform implements [`Platform`], so the three keep one
//! signature, and every call is a static call the compiler inlines: the
//! record path reads the hint on every record, so it must never be a call
//! through a pointer.

mod owner;

pub(crate) use owner::shard_of;

#[cfg(all(not(feature = "std"), not(perftrack_loom)))]
mod bare;
#[cfg(all(feature = "std", not(perftrack_loom)))]
mod hosted;
#[cfg(perftrack_loom)]
pub(crate) mod model;

#[cfg(all(not(feature = "std"), not(perftrack_loom)))]
type Imp = bare::Bare;
#[cfg(all(feature = "std", not(perftrack_loom)))]
type Imp = hosted::Hosted;
#[cfg(perftrack_loom)]
type Imp = model::Model;

use core::time::Duration;

use crate::name::NameBuf;

/// What the core asks of the platform it runs on (the module docs give each
/// platform's answers).
pub(crate) trait Platform {
    /// A thread inside a critical section, from [`Platform::enter`] to
    /// [`Platform::leave`].
    type Section: Copy;
    /// Whether the platform has threads to yield to, a thread-local cache
    /// and the `std` clocks: lets the core skip work whose answer is known.
    const HOSTED: bool;
    /// The calling thread's owner hint.
    fn thread_hint() -> usize;
    /// Counts the calling thread into a critical section, waiting first
    /// while a fork is under way.
    fn enter() -> Self::Section;
    /// Counts the calling thread out of the section `enter` gave.
    fn leave(section: Self::Section);
    /// How many sections the calling thread is inside.
    fn section_depth() -> u32;
    /// Gives the core to another thread.
    fn yield_now();
    /// The wall time since this process first recorded and the number of
    /// threads that have recorded.
    fn run_so_far() -> Option<(Duration, usize)>;
    /// The slot index `name` was last found at, by this thread, in the
    /// tracker whose path table is number `tracker`.
    fn recent_find(tracker: u64, name: &NameBuf) -> Option<usize>;
    /// Remembers that `name` is slot `index` of tracker number `tracker`.
    fn recent_remember(tracker: u64, name: &NameBuf, index: usize);
}

/// The section of a platform with no fork barrier: nothing to count.
#[cfg(any(not(feature = "std"), perftrack_loom))]
#[derive(Clone, Copy)]
pub(crate) struct NoSection;

/// A thread inside a critical section, until [`leave`] counts it out. Not
/// a guard that drops: a `Drop` here would put unwinding paths into the
/// record functions around it, and the code between the two calls cannot
/// panic.
pub(crate) type Section = <Imp as Platform>::Section;

/// Whether this build runs hosted, with `std` (see [`Platform::HOSTED`]).
pub(crate) const HOSTED: bool = <Imp as Platform>::HOSTED;

/// This thread's owner hint (`owner.rs`): a token below the shard count
/// owns that shard; a hint with `UNOWNED` set owns nothing.
#[inline]
pub(crate) fn thread_hint() -> usize {
    Imp::thread_hint()
}

/// Counts the calling thread into a critical section: a step that other
/// threads wait for, which a fork must not fall in the middle of
/// (`hosted/fork.rs`).
#[inline]
pub(crate) fn enter() -> Section {
    Imp::enter()
}

/// Counts the calling thread out of the section [`enter`] gave.
#[inline]
pub(crate) fn leave(section: Section) {
    Imp::leave(section);
}

/// How many critical sections the calling thread is inside (0 where there
/// is no fork barrier): for the tests of a signal handler that forks inside
/// one.
#[doc(hidden)]
#[must_use]
pub fn section_depth() -> u32 {
    Imp::section_depth()
}

/// Gives the core to another thread, where there are threads.
#[inline]
pub(crate) fn yield_now() {
    Imp::yield_now();
}

/// The wall time since this process first recorded and the number of
/// threads that have recorded; `None` without `std` or before any record.
#[must_use]
pub(crate) fn run_so_far() -> Option<(Duration, usize)> {
    Imp::run_so_far()
}

/// The slot index `name` was last found at by this thread in the tracker
/// whose path table is number `tracker`, if it remembers it.
#[inline]
pub(crate) fn recent_find(tracker: u64, name: &NameBuf) -> Option<usize> {
    Imp::recent_find(tracker, name)
}

/// Remembers, for this thread, that `name` is slot `index` of the tracker
/// whose path table is number `tracker`.
#[inline]
pub(crate) fn recent_remember(tracker: u64, name: &NameBuf, index: usize) {
    Imp::recent_remember(tracker, name, index);
}
