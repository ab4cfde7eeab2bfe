//! `Span`: a guard that records the time from its creation to its drop,
//! read from any [`Clock`], and nests explicitly: a child span borrows its
//! parent. It is a no_std user's scope timer with their own cycle counter;
//! the std layer's `ScopeGuard` finds its parent by itself.

use core::cell::Cell;
use core::time::Duration;

use crate::clock::Clock;
use crate::operation::Operation;
use crate::paths::CallPath;
use crate::summary::{Sample, saturating_ns};

/// Records the time from its creation to its drop into an operation, read
/// from the clock `C`, and into the tracker's call-path table. Dropping it
/// records; so does unwinding past it.
///
/// Made by [`Operation::span`] (a root path) or [`Operation::span_in`] (a
/// child of another span: the borrow checker then keeps the nesting right, a
/// child always closes before its parent). With `std`, `Operation::time` and
/// `Tracker::time` make a `ScopeGuard` instead, which finds its parent on
/// its own.
///
/// A span is not `Send`: its children add their time to it through a
/// `Cell`.
///
/// ```
/// use core::time::Duration;
/// use perftrack::{Tracker, clock::MockClock};
///
/// static T: Tracker<4, 8> = Tracker::new();
/// let clock = MockClock::new(); // one tick = 1 ns
/// let (request, parse) = (T.operation("request")?, T.operation("parse")?);
/// {
///     let outer = request.span(&clock);
///     clock.advance(Duration::from_nanos(100));
///     {
///         let _inner = parse.span_in(&outer, &clock);
///         clock.advance(Duration::from_nanos(300));
///     }
/// }
/// let mut folded = String::new();
/// T.write_folded(&mut folded)?;
/// assert_eq!(folded, "request 100\nrequest;parse 300\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "the span records when dropped; binding it to `_` drops it at once"]
pub struct Span<'t, 'c, C: Clock, const RING: usize, const SHARDS: usize, const BUCKETS: usize> {
    op: Operation<'t, RING, SHARDS, BUCKETS>,
    clock: &'c C,
    start: u64,
    path: Option<CallPath>,
    /// Nanoseconds of this span's tracked children that have closed.
    children_ns: Cell<u64>,
    /// The parent's `children_ns`, which this span adds itself to.
    parent: Option<&'c Cell<u64>>,
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
        // Recorded: the drop must not record again. A span owns nothing to free.
        core::mem::forget(self);
        d
    }

    /// Records the time so far, once: what both `stop` and `drop` do.
    fn record_elapsed(&self) -> Duration {
        let d = self.elapsed();
        self.op.close_scope(&Sample::new(d, 0), self.path, self.children_ns.get());
        if let (Some(_), Some(parent)) = (self.path, self.parent) {
            parent.set(parent.get().saturating_add(saturating_ns(d)));
        }
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
    /// Starts a [`Span`] timed by `clock`, at the root of a call path (see
    /// [`Clock`] for an example with a cycle counter).
    pub fn span<'c, C: Clock>(&self, clock: &'c C) -> Span<'t, 'c, C, RING, SHARDS, BUCKETS> {
        let path = self.path_under(None);
        Span { op: *self, clock, start: clock.ticks(), path, children_ns: Cell::new(0), parent: None }
    }

    /// Starts a [`Span`] nested in `parent`: its path is the parent's path
    /// followed by this operation, and its time leaves the parent's self time.
    ///
    /// A parent from another tracker, or one whose own path is untracked,
    /// gives an untracked span (its flat record is kept, and counted in the
    /// report's untracked line). Wait-free, allocation-free.
    pub fn span_in<'c, C: Clock>(
        &self,
        parent: &'c Span<'t, '_, C, RING, SHARDS, BUCKETS>,
        clock: &'c C,
    ) -> Span<'t, 'c, C, RING, SHARDS, BUCKETS> {
        let path = self.child_path(parent);
        Span {
            op: *self,
            clock,
            start: clock.ticks(),
            path,
            children_ns: Cell::new(0),
            parent: Some(&parent.children_ns),
        }
    }

    /// Records one run of `duration` as a child of `parent`, without a guard:
    /// a leaf of the call tree (its self time is all of it). The guard-free
    /// way to nest, for a duration measured some other way.
    ///
    /// ```
    /// use core::time::Duration;
    /// use perftrack::{Tracker, clock::MockClock};
    ///
    /// static T: Tracker<4, 8> = Tracker::new();
    /// let clock = MockClock::new();
    /// let (frame, dma) = (T.operation("frame")?, T.operation("dma")?);
    /// let f = frame.span(&clock);
    /// dma.record_in(&f, Duration::from_micros(40));
    /// clock.advance(Duration::from_micros(100));
    /// drop(f);
    /// let mut folded = String::new();
    /// T.write_folded(&mut folded)?;
    /// assert_eq!(folded, "frame 60000\nframe;dma 40000\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn record_in<C: Clock>(&self, parent: &Span<'t, '_, C, RING, SHARDS, BUCKETS>, duration: Duration) {
        let path = self.child_path(parent);
        self.close_scope(&Sample::new(duration, 0), path, 0);
        if path.is_some() {
            parent.children_ns.set(parent.children_ns.get().saturating_add(saturating_ns(duration)));
        }
    }

    /// The path under `parent`, if the parent is tracked and of this tracker.
    fn child_path<C: Clock>(&self, parent: &Span<'t, '_, C, RING, SHARDS, BUCKETS>) -> Option<CallPath> {
        let same_tracker = core::ptr::eq(parent.op.paths(), self.paths());
        parent.path.filter(|_| same_tracker).and_then(|p| self.path_under(Some(p)))
    }
}
