//! `Operation`: a resolved handle, the hot-loop path with no name lookup.

use core::fmt;
use core::time::Duration;

use heapless::Vec;

use crate::histogram::buckets::DEFAULT_BUCKETS;
use crate::histogram::distribution::Distribution;
use crate::labels::{LabelCell, Labels};
use crate::name::NameBuf;
use crate::paths::{CallPath, PathTable};
use crate::platform::thread_hint;
use crate::record::slot::OpSlot;
use crate::record::totals::{Raw, Totals};
use crate::registry::Series;
use crate::summary::{MetricsSummary, RecentRecord, Sample};
use crate::sync::hot_fn;

/// A handle to one operation of a tracker, resolved once by
/// [`Tracker::operation`](crate::tracker::Tracker::operation).
///
/// Recording through it is wait-free (I5): a bounded number of atomic steps,
/// no lock, no allocation, no panic, no name lookup. It is `Copy`, `Send` and
/// `Sync`: hand a copy to every thread.
///
/// ```
/// use perftrack::{THREAD_SHARDS, Tracker};
/// use core::time::Duration;
///
/// // A shard per recording thread, for up to 8 threads.
/// static TRACKER: Tracker<8, 16, THREAD_SHARDS> = Tracker::new();
///
/// let op = TRACKER.operation("parse")?;
/// std::thread::scope(|s| {
///     for _ in 0..4 {
///         s.spawn(move || {
///             for _ in 0..1000 {
///                 op.record(Duration::from_nanos(250), 64);
///             }
///         });
///     }
/// });
/// assert_eq!(op.summary().count, 4000);
/// assert_eq!(op.name(), "parse");
/// # Ok::<(), perftrack::TrackerError>(())
/// ```
pub struct Operation<'t, const RING: usize, const SHARDS: usize, const BUCKETS: usize = DEFAULT_BUCKETS> {
    slot: &'t OpSlot<RING, SHARDS, BUCKETS>,
    name: NameBuf,
    /// The series' labels, in the registry (read where they are shown, not
    /// on the record path).
    labels: &'t LabelCell,
    /// The tracker's call-path table, and this operation's index in it.
    paths: &'t PathTable<SHARDS>,
    index: usize,
}

/// An operation's slot and call paths, without the name and labels an
/// [`Operation`] carries for its readers: what a scope guard holds between
/// its start and its record, and what a call site makes from its cached slot
/// index with nothing to copy but three words.
#[derive(Clone, Copy)]
pub(crate) struct Recorder<'t, const RING: usize, const SHARDS: usize, const BUCKETS: usize> {
    slot: &'t OpSlot<RING, SHARDS, BUCKETS>,
    paths: &'t PathTable<SHARDS>,
    index: usize,
}

impl<'t, const RING: usize, const SHARDS: usize, const BUCKETS: usize> Recorder<'t, RING, SHARDS, BUCKETS> {
    /// The recorder of slot `index` of a tracker.
    #[inline]
    pub(crate) fn new(slot: &'t OpSlot<RING, SHARDS, BUCKETS>, paths: &'t PathTable<SHARDS>, index: usize) -> Self {
        Self { slot, paths, index }
    }

    /// The tracker's call-path table.
    #[inline]
    pub(crate) fn paths(&self) -> &'t PathTable<SHARDS> {
        self.paths
    }

    /// The operation's slot index in its tracker.
    #[inline]
    pub(crate) fn index(&self) -> usize {
        self.index
    }

    /// The path `parent;self` (a root path when `parent` is `None`), claimed
    /// if new; `None` when it cannot be tracked.
    #[inline]
    pub(crate) fn path_under(&self, parent: Option<CallPath>) -> Option<CallPath> {
        self.paths.claim(parent, self.index)
    }

    /// Closes a scope of this operation: its flat record, then its path
    /// record (`self` time is `duration` less `children_ns`), or the
    /// untracked count when it has no path.
    #[inline]
    pub(crate) fn close_scope(&self, sample: &Sample, path: Option<CallPath>, children_ns: u64) {
        self.close_raw(&sample.raw(), path, children_ns);
    }

    /// A cancelled call of `ns` nanoseconds: counted apart, with its time,
    /// and kept on its call path (if any), but no record.
    pub(crate) fn close_cancelled(&self, ns: u64, path: Option<CallPath>, children_ns: u64) {
        if let Some(p) = path {
            self.paths.record(thread_hint(), p, ns, children_ns);
        }
        self.slot.note_cancelled(ns);
    }

    /// [`close_scope`](Self::close_scope) of a record already in the
    /// record path's own form.
    #[inline]
    pub(crate) fn close_raw(&self, raw: &Raw, path: Option<CallPath>, children_ns: u64) {
        let hint = thread_hint();
        self.slot.record_as(hint, raw);
        match path {
            Some(p) => self.paths.record(hint, p, raw.ns, children_ns),
            None => self.paths.note_untracked(),
        }
    }
}

impl<const RING: usize, const SHARDS: usize, const BUCKETS: usize> Clone for Operation<'_, RING, SHARDS, BUCKETS> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<const RING: usize, const SHARDS: usize, const BUCKETS: usize> Copy for Operation<'_, RING, SHARDS, BUCKETS> {}

impl<const RING: usize, const SHARDS: usize, const BUCKETS: usize> fmt::Debug for Operation<'_, RING, SHARDS, BUCKETS> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Operation").field("name", &self.name()).field("labels", &self.labels()).finish_non_exhaustive()
    }
}

impl<'t, const RING: usize, const SHARDS: usize, const BUCKETS: usize> Operation<'t, RING, SHARDS, BUCKETS> {
    pub(crate) fn new(
        (slot, labels): Series<'t, RING, SHARDS, BUCKETS>,
        name: NameBuf,
        paths: &'t PathTable<SHARDS>,
        index: usize,
    ) -> Self {
        Self { slot, name, labels, paths, index }
    }

    /// This operation's slot index in its tracker.
    pub(crate) fn index(&self) -> usize {
        self.index
    }

    /// The tracker's call-path table.
    pub(crate) fn paths(&self) -> &'t PathTable<SHARDS> {
        self.paths
    }

    /// What a scope of this operation records through: the handle less its
    /// name and labels.
    #[inline]
    pub(crate) fn recorder(&self) -> Recorder<'t, RING, SHARDS, BUCKETS> {
        Recorder { slot: self.slot, paths: self.paths, index: self.index }
    }

    /// The path `parent;self` (a root path when `parent` is `None`), claimed
    /// if new; `None` when it cannot be tracked.
    pub(crate) fn path_under(&self, parent: Option<CallPath>) -> Option<CallPath> {
        self.recorder().path_under(parent)
    }

    /// Closes a scope of this operation (see [`Recorder::close_scope`]).
    #[inline]
    pub(crate) fn close_scope(&self, sample: &Sample, path: Option<CallPath>, children_ns: u64) {
        self.recorder().close_scope(sample, path, children_ns);
    }

    /// A cancelled call: see [`Recorder::close_cancelled`].
    pub(crate) fn close_cancelled(&self, ns: u64, path: Option<CallPath>, children_ns: u64) {
        self.recorder().close_cancelled(ns, path, children_ns);
    }

    /// Records one run of the operation. Wait-free; never fails.
    ///
    /// `duration` saturates at `u64::MAX` nanoseconds; sums saturate at
    /// `u64::MAX`; zero durations are recorded like any other.
    ///
    /// A flat record: it lands in no call path (guards and spans do; see
    /// [`Span`](crate::Span)), and its cost is what it was before call paths.
    #[inline]
    pub fn record(&self, duration: Duration, memory_used: u64) {
        self.record_sample(&Sample::new(duration, memory_used));
    }

    /// Records one run with a timestamp in the caller's ticks (kept in the
    /// recent window, and used to order records across shards).
    #[inline]
    pub fn record_at(&self, duration: Duration, memory_used: u64, ticks: u64) {
        self.record_sample(&Sample::new(duration, memory_used).at(ticks));
    }

    /// Records a full [`Sample`] on this thread's shard.
    ///
    /// With `std`, a thread takes a token the first time it records and
    /// keeps it until it exits: the thread with token `i` *owns* shard `i`
    /// of every operation with more than `i` shards and records there with
    /// no atomic read-modify-write. Threads past the shard count share the
    /// shards without owning them (one CAS per record, or the contended
    /// path while the shard is owned or held). Without `std` every record
    /// goes to shard 0 unless you pick one with [`record_on`](Self::record_on).
    ///
    /// A signal handler that records must use [`record_on`](Self::record_on):
    /// the owner's path is not reentrant on its own thread.
    #[inline]
    pub fn record_sample(&self, sample: &Sample) {
        self.slot.record_as(thread_hint(), &sample.raw());
    }

    hot_fn! {
        /// Records a [`Sample`] on an explicit shard (taken modulo `SHARDS`): for
        /// multi-core MCUs, pass the core number; in an interrupt or signal
        /// handler, a shard the interrupted code does not use. Never as the
        /// shard's owner: one CAS per record, or the contended path while the
        /// shard is held or owned by a thread.
        ///
        /// ```
        /// use perftrack::{Sample, Tracker};
        /// use core::time::Duration;
        ///
        /// static T: Tracker<1, 8, 2> = Tracker::new();
        /// let op = T.operation("irq").unwrap();
        /// op.record_on(1, &Sample::new(Duration::from_micros(3), 0));
        /// assert_eq!(op.recent()[0].shard, 1);
        /// ```
        pub fn record_on(&self, shard: usize, sample: &Sample) {
            self.slot.record_on(shard, &sample.raw());
        }
    }

    /// A consistent summary of this operation (see [`MetricsSummary`]): its
    /// lifetime totals and quantiles, from one snapshot.
    #[must_use]
    pub fn summary(&self) -> MetricsSummary<BUCKETS> {
        // Cancelled calls are counted apart from the records: no order
        // with the snapshot is needed.
        let (cancelled, cancelled_ns) = self.slot.cancelled();
        let mut totals = Totals::EMPTY;
        let distribution = Distribution::filled(|counts| {
            totals = self.slot.snapshot(counts);
            (totals.min_ns, totals.max_ns)
        });
        let mut summary = MetricsSummary::from_parts(self.name.to_name(), &totals, distribution);
        summary.cancelled = cancelled;
        summary.cancelled_duration = Duration::from_nanos(cancelled_ns);
        summary.labels = self.labels();
        summary
    }

    /// The distribution of this operation's durations over its whole
    /// history, from one consistent snapshot: its count is exactly the
    /// number of records (see [`Distribution`]).
    #[must_use]
    pub fn distribution(&self) -> Distribution<BUCKETS> {
        Distribution::filled(|counts| {
            let t = self.slot.snapshot(counts);
            (t.min_ns, t.max_ns)
        })
    }

    /// The recent window: at most `RING` whole records, the newest ones,
    /// oldest first. See [`Tracker::recent`](crate::tracker::Tracker::recent).
    #[must_use]
    pub fn recent(&self) -> Vec<RecentRecord, RING> {
        self.slot.recent(RecentRecord::from_record)
    }

    /// The operation's name.
    #[must_use]
    pub fn name(&self) -> &str {
        self.name.as_str()
    }

    /// The series' labels: empty for a plain
    /// [`Tracker::operation`](crate::Tracker::operation), the set given to
    /// [`Tracker::operation_with_labels`](crate::Tracker::operation_with_labels)
    /// otherwise (sorted by name).
    #[must_use]
    pub fn labels(&self) -> Labels {
        self.labels.load()
    }
}
