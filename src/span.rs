//! `Span`: a guard that records the time from its creation to its drop,
//! read from any [`Clock`]. It is the std layer's `ScopeGuard` with the
//! fast clock, and a no_std user's timer with their own cycle counter.

use core::time::Duration;

use crate::clock::Clock;
use crate::operation::Operation;
use crate::summary::Sample;

/// Records the time from its creation to its drop into an operation, read
/// from the clock `C`. Dropping it records; so does unwinding past it.
///
/// Made by [`Operation::span`] (any clock) or, with `std`,
/// `Operation::time` and `Tracker::time` (the fast clock; that type is
/// called `ScopeGuard`).
#[must_use = "the guard records when dropped; binding it to `_` drops it at once"]
pub struct Span<'t, 'c, C: Clock, const RING: usize, const SHARDS: usize, const BUCKETS: usize> {
    op: Operation<'t, RING, SHARDS, BUCKETS>,
    clock: &'c C,
    start: u64,
}

impl<C: Clock, const RING: usize, const SHARDS: usize, const BUCKETS: usize> Span<'_, '_, C, RING, SHARDS, BUCKETS> {
    /// Time so far.
    #[must_use]
    pub fn elapsed(&self) -> Duration {
        self.clock.since(self.start)
    }

    /// Records now, and returns the time recorded.
    pub fn stop(self) -> Duration {
        let d = self.record_elapsed();
        core::mem::forget(self);
        d
    }

    /// Records the time so far: what both `stop` and `drop` do.
    fn record_elapsed(&self) -> Duration {
        let d = self.elapsed();
        self.op.record_sample(&Sample::new(d, 0));
        d
    }
}

impl<C: Clock, const RING: usize, const SHARDS: usize, const BUCKETS: usize> Drop
    for Span<'_, '_, C, RING, SHARDS, BUCKETS>
{
    fn drop(&mut self) {
        self.record_elapsed();
    }
}

impl<'t, const RING: usize, const SHARDS: usize, const BUCKETS: usize> Operation<'t, RING, SHARDS, BUCKETS> {
    /// Starts a [`Span`] timed by `clock` (see [`Clock`] for an example with
    /// a cycle counter).
    pub fn span<'c, C: Clock>(&self, clock: &'c C) -> Span<'t, 'c, C, RING, SHARDS, BUCKETS> {
        Span { op: *self, clock, start: clock.ticks() }
    }
}
