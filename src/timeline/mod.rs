//! A timeline of one run (std): every timed scope and async call as a span
//! with its start, its end and its track, in fixed memory, written as
//! Trace Event Format JSON that Perfetto, `chrome://tracing` and speedscope
//! open.
//!
//! Off by default. [`enable`] (or `PERFTRACK_OUT=trace=run.json` with
//! `#[perftrack::main]`, which needs no other line) allocates a pool of
//! rings, one per recording thread; from then on each scope guard,
//! `#[measure]` call and [`Timed`](crate::instrument::Timed) call writes one
//! event into its thread's ring. [`Tracker::write_trace`](crate::Tracker::write_trace)
//! writes the events of that tracker's operations.
//!
//! ```
//! use perftrack::{PerformanceTracker, timeline};
//!
//! static TRACKER: PerformanceTracker = PerformanceTracker::new();
//!
//! timeline::enable(4_096);
//! {
//!     let _outer = TRACKER.time("request")?;
//!     let _inner = TRACKER.time("parse")?;
//! }
//! let mut json = Vec::new();
//! TRACKER.write_trace(&mut json)?;
//! let text = String::from_utf8(json).unwrap();
//! assert!(text.contains(r#""name":"parse","ph":"X""#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Tracks
//!
//! Scopes nest on their thread's track. An async call that starts under no
//! other timed async call (a spawned task's root, or one of many futures
//! polled side by side) gets a **track of its own**, named after its
//! operation; an awaited call polled inside its parent's span stays on its
//! parent's track, and a call that starts while a sibling is still open on
//! that track gets a track of its own. A scope closed inside an async
//! call's poll is on that call's track. So the events of one track nest
//! strictly, and concurrent tasks never share a bar.
//!
//! # Memory and cost
//!
//! The rings are allocated once, at [`enable`]: `threads × events`
//! events of 48 bytes (8 rings of 32,768 by default: 12 MiB). A full ring overwrites its oldest events and counts
//! them; a thread past the pool's size records no events and counts them;
//! the record path never locks or allocates. Off, the cost is one load and
//! a branch. A trace of 10⁶ events is about 130 MB of JSON (134 bytes an
//! event in `examples/flamegraph`'s);
//! [`Tracker::write_trace_with`](crate::Tracker::write_trace_with) leaves out
//! spans shorter than a duration you choose.

mod ring;
mod trace;
pub(crate) mod track;

pub use trace::TraceOptions;

use core::sync::atomic::{AtomicBool, Ordering};

use crate::clock::Clock;
use crate::os::clock::FastClock;
use ring::Pool;

/// The events a thread's ring holds with `PERFTRACK_OUT=trace=…`, a
/// sensible [`enable`] too.
pub const DEFAULT_EVENTS: usize = 32_768;

/// The rings in the pool: threads past this many record no events.
pub const DEFAULT_THREADS: usize = 8;

/// Whether events are written now: the one load the record path pays.
static ON: AtomicBool = AtomicBool::new(false);

/// The pool, once enabled, and the clock reading it started at.
static POOL: std::sync::OnceLock<Pool> = std::sync::OnceLock::new();

/// Turns the timeline on, with a ring of `events_per_thread` events (rounded
/// up to a power of two) for each of up to [`DEFAULT_THREADS`] threads. Returns `false`, and changes
/// nothing but turning it on again, when it was enabled before: the memory
/// is fixed by the first call.
pub fn enable(events_per_thread: usize) -> bool {
    enable_with(DEFAULT_THREADS, events_per_thread)
}

/// [`enable`] with a pool of `threads` rings.
pub fn enable_with(threads: usize, events_per_thread: usize) -> bool {
    let mut fresh = false;
    POOL.get_or_init(|| {
        fresh = true;
        Pool::new(threads.max(1), events_per_thread.max(1), FastClock.ticks())
    });
    // Release: a thread that sees it on sees the pool.
    ON.store(true, Ordering::Release);
    fresh
}

/// Stops writing events (those written stay); [`resume`] starts again.
pub fn pause() {
    ON.store(false, Ordering::Relaxed);
}

/// Starts writing events again after [`pause`], if the timeline was
/// enabled.
pub fn resume() {
    if POOL.get().is_some() {
        ON.store(true, Ordering::Release);
    }
}

/// Whether events are being written.
#[must_use]
pub fn is_on() -> bool {
    ON.load(Ordering::Relaxed)
}

/// Whether events are being written: the record path's one load and
/// branch. Relaxed: what it guards reads the pool through `OnceLock`,
/// which orders itself.
#[inline(always)]
pub(crate) fn recording() -> bool {
    ON.load(Ordering::Relaxed)
}

/// The pool, when events are being written.
#[inline]
pub(crate) fn on() -> Option<&'static Pool> {
    if recording() { POOL.get() } else { None }
}

/// A scope's span (`start` a `FastClock` reading, `ns` its length) of the
/// operation in `slot` of the tracker whose paths are `paths_id`: out of
/// line, so that a scope's close carries only the test of [`recording`].
#[cold]
#[inline(never)]
pub(crate) fn scope(paths_id: u64, slot: usize, start: u64, ns: u64) {
    if let Some(pool) = POOL.get() {
        track::scope(pool, start, ns, track::key(paths_id, slot));
    }
}

/// What the timeline holds and lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct TimelineStats {
    /// Events written into the rings since [`enable`].
    pub written: u64,
    /// Of those, overwritten by newer ones in a full ring.
    pub overwritten: u64,
    /// Events of threads past the pool's size, not recorded.
    pub dropped: u64,
    /// Rings taken by threads.
    pub threads: usize,
    /// The memory of the rings, in bytes, fixed at [`enable`].
    pub bytes: usize,
}

/// The counts so far (all 0 before [`enable`]).
#[must_use]
pub fn stats() -> TimelineStats {
    POOL.get().map_or_else(TimelineStats::default, Pool::stats)
}

#[cfg(test)]
mod tests {
    use super::ring::Pool;
    use std::vec::Vec;

    #[test]
    fn a_full_ring_keeps_the_newest_events_and_counts_the_overwritten() {
        let pool = Pool::new(1, 4, 0);
        let ring = pool.claim().unwrap();
        for i in 0..10u64 {
            pool.ring(ring).push(i, 1, 7, 1, None);
        }
        let kept: Vec<u64> = pool.ring(ring).events().map(|e| e.start).collect();
        assert_eq!(kept, [6, 7, 8, 9]);
        let s = pool.stats();
        assert_eq!((s.written, s.overwritten), (10, 6));
    }

    #[test]
    fn threads_past_the_pool_record_nothing_and_are_counted() {
        let pool = Pool::new(1, 4, 0);
        assert!(pool.claim().is_some());
        assert!(pool.claim().is_none());
        pool.count_dropped();
        assert_eq!(pool.stats().dropped, 1);
    }
}
