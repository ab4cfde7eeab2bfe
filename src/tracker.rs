//! `Tracker`: the fixed-capacity container of operations, and its default
//! capacity, `PerformanceTracker`.

use core::fmt;
use core::time::Duration;

use heapless::Vec;

use crate::error::TrackerError;
use crate::histogram::buckets::DEFAULT_BUCKETS;
use crate::histogram::distribution::Distribution;
use crate::labels::Labels;
use crate::metric::counter::Counter;
use crate::metric::gauge::Gauge;
use crate::metric::reading::{MetricReading, MetricValue};
use crate::metric::{Kind, Metrics, Registered, Values, valid_metric_name};
use crate::name::NameBuf;
use crate::operation::{Operation, Recorder};
use crate::paths::{PATHS_PER_OP, PathRow, PathTable};
use crate::platform::{self, HOSTED};
use crate::registry::{Registry, Series};
use crate::summary::{MetricsSummary, RecentRecord, Sample};
use crate::sync::{AtomicU32, AtomicU64, Ordering, array_of, const_fn};

/// Default number of operation slots in [`DefaultTracker`].
pub const DEFAULT_OPS: usize = 32;

/// Default recent-window length (per shard) in [`DefaultTracker`].
pub const DEFAULT_RING: usize = 64;

/// Default shards per operation of a [`Tracker`]: 1, in every build, so
/// that a tracker's type and size never depend on which features are on
/// (a `no_std` library's `static` stays the size its author measured when
/// another crate of the build turns `std` on).
///
/// A tracker that several threads record into names its shard count:
/// `Tracker<OPS, RING, THREAD_SHARDS>`, or 16 for more than 8 busy threads
/// on one operation. With `std`, each recording thread then owns a shard
/// and writes it with no atomic read-modify-write.
pub const DEFAULT_SHARDS: usize = 1;

/// The shard count of the heap trackers (`PerformanceTracker`,
/// `perftrack::global()`, with `std`): one shard owned by each recording
/// thread, for up to 8 threads; more share them.
pub const THREAD_SHARDS: usize = 8;

/// The tracker at the default capacity: [`DEFAULT_OPS`] operations,
/// [`DEFAULT_RING`] recent records, [`DEFAULT_SHARDS`] shards.
///
/// `DefaultTracker::new()` needs no type annotations:
///
/// ```
/// use perftrack::DefaultTracker;
/// use core::time::Duration;
///
/// static TRACKER: DefaultTracker = DefaultTracker::new();
/// TRACKER.record("operation", Duration::from_millis(3), 1024).unwrap();
/// assert_eq!(TRACKER.summary("operation").unwrap().count, 1);
/// ```
pub type DefaultTracker = Tracker<DEFAULT_OPS, DEFAULT_RING, DEFAULT_SHARDS>;

/// A fixed-capacity, lock-free performance tracker.
///
/// * `OPS`: the number of distinct operation names it can hold.
/// * `RING`: the recent-window length per shard; [`recent`](Self::recent)
///   returns at most `RING` records in all.
/// * `SHARDS`: how many cache-line-padded stripes each operation is split
///   over, so that threads recording the same operation do not fight over one
///   cache line. Defaults to [`DEFAULT_SHARDS`] (1, in every build).
///
/// Its whole footprint is `size_of::<Tracker<OPS, RING, SHARDS, BUCKETS>>()` (I7); it
/// never allocates. `docs/DESIGN.md` gives the formula.
///
/// ```
/// use perftrack::Tracker;
/// use core::time::Duration;
///
/// static TRACKER: Tracker<8, 16> = Tracker::new();
///
/// TRACKER.record("db_query", Duration::from_micros(1800), 4096)?;
/// let s = TRACKER.summary("db_query").unwrap();
/// assert_eq!(s.count, 1);
/// # Ok::<(), perftrack::TrackerError>(())
/// ```
pub struct Tracker<
    const OPS: usize,
    const RING: usize,
    const SHARDS: usize = DEFAULT_SHARDS,
    const BUCKETS: usize = DEFAULT_BUCKETS,
> {
    registry: Registry<OPS, RING, SHARDS, BUCKETS>,
    paths: PathTable<SHARDS, [PathRow<SHARDS>; OPS]>,
    /// Counters and gauges: `OPS` of them, beside the operations.
    metrics: Metrics<OPS, SHARDS>,
    /// Registrations refused because every slot was taken, by what was
    /// asked for (an operation or labelled series, a counter, a gauge): the
    /// report says how many, whoever asked (a macro call site, the tracing
    /// layer, the `metrics` bridge, a direct call).
    refused: [AtomicU64; 3],
    /// The counter and gauge families the latest exposition left out for a
    /// name clash (`metric/clash.rs`).
    left_out: AtomicU32,
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>
    Tracker<OPS, RING, SHARDS, BUCKETS>
{
    const_fn! {
        /// An empty tracker. `const`, so it can live in a `static`.
        ///
        /// `RING` and `SHARDS` must be at least 1; anything else is a compile
        /// error, not a run-time panic.
        #[must_use]
        pub const fn new() -> Self {
            const {
                assert!(RING > 0, "perftrack: RING (recent-window length) must be at least 1");
                assert!(SHARDS > 0, "perftrack: SHARDS must be at least 1");
            }
            Self { registry: Registry::new(), paths: PathTable::new(), metrics: Metrics::new(), refused: array_of![AtomicU64::new(0); 3], left_out: AtomicU32::new(0) }
        }
    }

    /// The number of operation slots.
    pub const CAPACITY: usize = OPS;

    /// Bytes this tracker occupies: all of it, there is no heap (I7).
    pub const FOOTPRINT: usize = core::mem::size_of::<Self>();

    /// Records one run of `name`, registering the name on first use.
    ///
    /// This looks the name up on every call; in a hot loop, resolve an
    /// [`Operation`] once with [`operation`](Self::operation) instead.
    ///
    /// # Errors
    ///
    /// [`TrackerError::EmptyName`], [`TrackerError::NameTooLong`], or
    /// [`TrackerError::Full`] when `name` is new and every slot is taken.
    /// Nothing already recorded is affected.
    pub fn record(&self, name: impl AsRef<str>, duration: Duration, memory_used: u64) -> Result<(), TrackerError> {
        self.record_sample(name, &Sample::new(duration, memory_used))
    }

    /// Records a full [`Sample`] under `name`, registering the name on first use.
    ///
    /// # Errors
    ///
    /// As [`record`](Self::record).
    pub fn record_sample(&self, name: impl AsRef<str>, sample: &Sample) -> Result<(), TrackerError> {
        self.operation(name.as_ref())?.record_sample(sample);
        Ok(())
    }

    /// Resolves `name` to a handle for hot loops, registering it if new.
    ///
    /// # Errors
    ///
    /// [`TrackerError::EmptyName`], [`TrackerError::NameTooLong`] (over
    /// [`MAX_NAME_LEN`](crate::name::MAX_NAME_LEN) bytes), or [`TrackerError::Full`].
    ///
    /// ```
    /// use perftrack::{Tracker, TrackerError};
    ///
    /// static T: Tracker<1, 4> = Tracker::new();
    /// let a = T.operation("a")?;
    /// assert_eq!(T.operation("a")?.name(), a.name()); // same slot
    /// assert_eq!(T.operation("b").unwrap_err(), TrackerError::Full);
    /// assert_eq!(T.operation("x".repeat(65)).unwrap_err(), TrackerError::NameTooLong);
    /// # Ok::<(), TrackerError>(())
    /// ```
    pub fn operation(&self, name: impl AsRef<str>) -> Result<Operation<'_, RING, SHARDS, BUCKETS>, TrackerError> {
        self.resolve(NameBuf::new(name.as_ref())?)
    }

    /// Looks `name` up **without registering it**: `None` if it was never
    /// registered (or is not a valid name). Unlike [`operation`](Self::operation),
    /// a lookup claims no slot, so it never shows up as an empty row in the
    /// report or the export.
    ///
    /// ```
    /// use perftrack::Tracker;
    /// use core::time::Duration;
    ///
    /// static T: Tracker<4, 8> = Tracker::new();
    /// assert!(T.get("parse").is_none());
    /// assert!(T.is_empty(), "a lookup registers nothing");
    /// T.record("parse", Duration::from_micros(5), 0)?;
    /// assert_eq!(T.get("parse").unwrap().summary().count, 1);
    /// # Ok::<(), perftrack::TrackerError>(())
    /// ```
    #[must_use]
    pub fn get(&self, name: impl AsRef<str>) -> Option<Operation<'_, RING, SHARDS, BUCKETS>> {
        let name = NameBuf::new(name.as_ref()).ok()?;
        self.registry
            .find(&name, &Labels::EMPTY)
            .map(|(index, series)| Operation::new(series, name, &self.paths, index))
    }

    /// Resolves one **labelled series** of `name`, registering it if new:
    /// `requests{route="/a",status="200"}` is
    /// `operation_with_labels("requests", &[("route", "/a"), ("status", "200")])`.
    /// Each (name, label set) is its own slot, so the same name with other
    /// labels is another series; the labels are validated and sorted here,
    /// once, and recording on the handle costs what an unlabelled record
    /// costs. The exports carry the labels as labels, beside `operation`;
    /// the report lists a name's series together.
    ///
    /// # Errors
    ///
    /// Those of [`operation`](Self::operation), and those of
    /// [`Labels::new`] for a bad label set; nothing is registered.
    ///
    /// ```
    /// use perftrack::{Tracker, TrackerError};
    /// use core::time::Duration;
    ///
    /// static T: Tracker<4, 8> = Tracker::new();
    /// let ok = T.operation_with_labels("requests", &[("route", "/a"), ("status", "200")])?;
    /// let err = T.operation_with_labels("requests", &[("status", "500"), ("route", "/a")])?;
    /// ok.record(Duration::from_micros(40), 0);
    /// assert_eq!(ok.labels().get("status"), Some("200"));
    /// assert_eq!(T.operation_with_labels("requests", &[("route", "/a"), ("status", "200")])?.summary().count, 1);
    /// assert_eq!(err.summary().count, 0);
    /// assert_eq!(T.operation_with_labels("requests", &[("__name__", "x")]).unwrap_err(), TrackerError::ReservedLabelName { index: 0 });
    /// assert_eq!(T.len(), 2);
    /// # Ok::<(), TrackerError>(())
    /// ```
    pub fn operation_with_labels(
        &self,
        name: impl AsRef<str>,
        labels: &[(&str, &str)],
    ) -> Result<Operation<'_, RING, SHARDS, BUCKETS>, TrackerError> {
        let name = NameBuf::new(name.as_ref())?;
        self.resolve_series(name, &Labels::new(labels)?)
    }

    /// Resolves the counter `name`, registering it if new. A counter's name
    /// is a Prometheus metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`), exported as
    /// it is, without the tracker's prefix: `bytes_sent` is the family
    /// `bytes_sent` with the sample `bytes_sent_total` (a trailing `_total`
    /// in the name is dropped, so `bytes_sent_total` is the same counter).
    /// A tracker holds `OPS` counters and gauges, beside its `OPS`
    /// operations.
    ///
    /// # Errors
    ///
    /// [`TrackerError::InvalidMetricName`], [`TrackerError::NameTooLong`],
    /// [`TrackerError::KindMismatch`] (the name is a gauge), or
    /// [`TrackerError::Full`].
    pub fn counter(&self, name: impl AsRef<str>) -> Result<Counter<'_, SHARDS>, TrackerError> {
        self.counter_with_labels(name, &[])
    }

    /// [`counter`](Self::counter) for one labelled series:
    /// `counter_with_labels("http_requests", &[("status", "200")])`.
    ///
    /// # Errors
    ///
    /// Those of [`counter`](Self::counter) and of [`Labels::new`].
    pub fn counter_with_labels(
        &self,
        name: impl AsRef<str>,
        labels: &[(&str, &str)],
    ) -> Result<Counter<'_, SHARDS>, TrackerError> {
        let name = name.as_ref();
        let name = metric_name(name.strip_suffix("_total").filter(|n| !n.is_empty()).unwrap_or(name))?;
        let values = self.resolve_metric(Kind::Counter, &name, labels)?;
        Ok(Counter::over(values))
    }

    /// Resolves the gauge `name`, registering it if new: a Prometheus metric
    /// name, exported as it is, without the tracker's prefix.
    ///
    /// # Errors
    ///
    /// [`TrackerError::InvalidMetricName`], [`TrackerError::NameTooLong`],
    /// [`TrackerError::KindMismatch`] (the name is a counter), or
    /// [`TrackerError::Full`].
    pub fn gauge(&self, name: impl AsRef<str>) -> Result<Gauge<'_>, TrackerError> {
        self.gauge_with_labels(name, &[])
    }

    /// [`gauge`](Self::gauge) for one labelled series.
    ///
    /// # Errors
    ///
    /// Those of [`gauge`](Self::gauge) and of [`Labels::new`].
    pub fn gauge_with_labels(&self, name: impl AsRef<str>, labels: &[(&str, &str)]) -> Result<Gauge<'_>, TrackerError> {
        let name = metric_name(name.as_ref())?;
        let values = self.resolve_metric(Kind::Gauge, &name, labels)?;
        Ok(Gauge::over(values))
    }

    /// Every counter and gauge series with its value now, in registration
    /// order: a [`MetricReading`] each (its name, labels and
    /// [`MetricValue`]). Allocates nothing; each series
    /// is read when the iterator reaches it.
    ///
    /// ```
    /// use perftrack::{Tracker, metric::MetricValue};
    ///
    /// static T: Tracker<4, 4> = Tracker::new();
    /// let hits = T.counter("cache_hits_total")?;
    /// hits.increment(2);
    /// let total: u64 = T
    ///     .metric_readings()
    ///     .filter_map(|r| match r.value {
    ///         MetricValue::Counter(n) => Some(n),
    ///         _ => None,
    ///     })
    ///     .sum();
    /// assert_eq!(total, 2);
    /// # Ok::<(), perftrack::TrackerError>(())
    /// ```
    pub fn metric_readings(&self) -> impl Iterator<Item = MetricReading> + '_ {
        self.metrics.registered().map(|m| {
            let value = match m.kind {
                Kind::Counter => MetricValue::Counter(m.counter()),
                Kind::Gauge => MetricValue::Gauge(m.gauge()),
            };
            MetricReading::new(m.name.to_name(), m.labels, value)
        })
    }

    /// The counter and gauge families an exposition under `prefix` writes,
    /// each by its first series and that series' index: those whose names
    /// clash with no other family's (`Metrics::exported`).
    pub(crate) fn metric_families<'s>(
        &'s self,
        prefix: &'s str,
    ) -> impl Iterator<Item = (usize, Registered<'s, SHARDS>)> + 's {
        let left_out = u32::try_from(self.metrics.left_out(prefix)).unwrap_or(u32::MAX);
        // Relaxed: a count for the report.
        self.left_out.store(left_out, Ordering::Relaxed);
        self.metrics.exported(prefix)
    }

    /// How many counter or gauge families the latest exposition (text or
    /// protobuf) left out because their names clashed with another
    /// family's under its prefix: registration refuses such a name at the
    /// default prefix ([`TrackerError::NameClash`]), but an export with
    /// another prefix, or two clashing names registered at the same moment,
    /// can still meet. The report says so when it is not 0.
    #[must_use]
    pub fn left_out_families(&self) -> u32 {
        self.left_out.load(Ordering::Relaxed)
    }

    /// The series of the family whose first series is entry `first`.
    pub(crate) fn metric_family(&self, first: usize) -> impl Iterator<Item = Registered<'_, SHARDS>> {
        self.metrics.family(first)
    }

    /// `operation` for a name already validated (a `Timer`'s).
    pub(crate) fn resolve(&self, name: NameBuf) -> Result<Operation<'_, RING, SHARDS, BUCKETS>, TrackerError> {
        self.resolve_series(name, &Labels::EMPTY)
    }

    /// The series of `name` and `labels`, both validated.
    fn resolve_series(
        &self,
        name: NameBuf,
        labels: &Labels,
    ) -> Result<Operation<'_, RING, SHARDS, BUCKETS>, TrackerError> {
        let (index, series) = self.resolve_slot(&name, labels)?;
        Ok(Operation::new(series, name, &self.paths, index))
    }

    /// The slot of `name` and `labels`, registered if new; a refusal is
    /// counted.
    ///
    /// On a hosted platform (`std`), an unlabelled name this thread
    /// resolved lately goes straight to its slot (`platform/hosted/recent.rs`);
    /// any other walks the registry, and an unlabelled one is then
    /// remembered.
    #[inline]
    fn resolve_slot(
        &self,
        name: &NameBuf,
        labels: &Labels,
    ) -> Result<(usize, Series<'_, RING, SHARDS, BUCKETS>), TrackerError> {
        if HOSTED && labels.is_empty() {
            let remembered = platform::recent_find(self.paths().id(), name)
                .and_then(|index| self.registry.slot_at(index).map(|series| (index, series)));
            if let Some(found) = remembered {
                return Ok(found);
            }
        }
        self.walk_for_slot(name, labels)
    }

    /// [`resolve_slot`](Self::resolve_slot)'s walk of the registry: out of
    /// line, so the remembered case stays small where it is inlined.
    #[inline(never)]
    fn walk_for_slot(
        &self,
        name: &NameBuf,
        labels: &Labels,
    ) -> Result<(usize, Series<'_, RING, SHARDS, BUCKETS>), TrackerError> {
        let (index, series) = self.registry.resolve(name, labels).ok_or_else(|| {
            self.count_refused(Refused::Operation);
            TrackerError::Full
        })?;
        if HOSTED && labels.is_empty() {
            platform::recent_remember(self.paths().id(), name, index);
        }
        Ok((index, series))
    }

    /// The recorder of `name`'s unlabelled series, registering it if new:
    /// what a `Timer` records through, with no name copied into a handle.
    #[inline]
    pub(crate) fn resolve_recorder(&self, name: &NameBuf) -> Result<Recorder<'_, RING, SHARDS, BUCKETS>, TrackerError> {
        let (index, (slot, _)) = self.resolve_slot(name, &Labels::EMPTY)?;
        Ok(Recorder::new(slot, &self.paths, index))
    }

    /// How many times a new name was refused because every slot was taken
    /// ([`TrackerError::Full`]): operations and labelled series, counters
    /// and gauges together; the report prints it, by kind, when it is not 0.
    #[must_use]
    pub fn refused(&self) -> u64 {
        self.refused_by_kind().total()
    }

    /// [`refused`](Self::refused) by what was asked for: operations (and
    /// their labelled series), counters, gauges.
    #[must_use]
    pub fn refused_by_kind(&self) -> Refusals {
        let [operations, counters, gauges] = self.refused.each_ref().map(|n| n.load(Ordering::Relaxed));
        Refusals { operations, counters, gauges }
    }

    /// Counts one refusal of `what`.
    fn count_refused(&self, what: Refused) {
        if let Some(n) = self.refused.get(what as usize) {
            // Relaxed: a count for the report, nothing hangs on it.
            n.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A counter's or gauge's table entry, counting a refusal for want of
    /// room.
    fn resolve_metric(
        &self,
        kind: Kind,
        name: &NameBuf,
        labels: &[(&str, &str)],
    ) -> Result<&Values<SHARDS>, TrackerError> {
        let refused = match kind {
            Kind::Counter => Refused::Counter,
            Kind::Gauge => Refused::Gauge,
        };
        self.metrics.resolve(kind, name, &Labels::new(labels)?).inspect_err(|e| {
            if *e == TrackerError::Full {
                self.count_refused(refused);
            }
        })
    }

    /// The summary of `name`, or `None` if it was never registered.
    ///
    /// Why `Option` here and `Result` in [`operation`](Self::operation): a
    /// read never registers a name, so the only thing it can find out is
    /// whether the name is there; [`operation`](Self::operation) registers,
    /// and can fail for a reason worth telling apart ([`TrackerError`]).
    #[must_use]
    pub fn summary(&self, name: impl AsRef<str>) -> Option<MetricsSummary<BUCKETS>> {
        self.get(name).map(|op| op.summary())
    }

    /// The lifetime distribution of `name`'s durations, or `None` if it was
    /// never registered. See [`Distribution`].
    ///
    /// ```
    /// use perftrack::Tracker;
    /// use core::time::Duration;
    ///
    /// static T: Tracker<2, 8> = Tracker::new();
    /// for _ in 0..98 { T.record("get", Duration::from_micros(100), 0)?; }
    /// for _ in 0..2 { T.record("get", Duration::from_millis(10), 0)?; }
    /// let d = T.distribution("get").unwrap();
    /// assert_eq!(d.count(), 100);
    /// // Rank 98 is a 100 µs record, read from its bucket (within 1/35);
    /// // the last rank is the recorded maximum, exactly.
    /// let p98 = d.quantile(0.98).unwrap().as_nanos() as f64;
    /// assert!((p98 - 100_000.0).abs() <= 100_000.0 / 35.0);
    /// assert_eq!(d.quantile(1.0), Some(Duration::from_millis(10)));
    /// assert!(T.distribution("put").is_none());
    /// # Ok::<(), perftrack::TrackerError>(())
    /// ```
    #[must_use]
    pub fn distribution(&self, name: impl AsRef<str>) -> Option<Distribution<BUCKETS>> {
        self.get(name).map(|op| op.distribution())
    }

    /// Summaries of every operation, in registration order: the primary way
    /// to read a tracker (no allocation, works without `std`).
    ///
    /// Lazy: each summary is taken (one consistent snapshot) when the
    /// iterator reaches it. A summary carries its histogram (5 KB at the
    /// default resolution), so they are not gathered on the stack: collect
    /// them into a `Vec` where you want them all at once.
    ///
    /// ```
    /// use perftrack::Tracker;
    /// use core::time::Duration;
    ///
    /// static T: Tracker<4, 8> = Tracker::new();
    /// T.record("a", Duration::from_micros(3), 0)?;
    /// T.record("b", Duration::from_micros(5), 0)?;
    /// let counts: Vec<(String, u64)> = T.summaries().map(|s| (s.name.to_string(), s.count)).collect();
    /// assert_eq!(counts, [("a".to_string(), 1), ("b".to_string(), 1)]);
    /// # Ok::<(), perftrack::TrackerError>(())
    /// ```
    pub fn summaries(&self) -> impl Iterator<Item = MetricsSummary<BUCKETS>> + '_ {
        self.operations().map(|op| op.summary())
    }

    /// The recent window of `name`: at most `RING` whole records, the newest
    /// ones, oldest first; empty if the name is unknown. Never torn (I3).
    #[must_use]
    pub fn recent(&self, name: impl AsRef<str>) -> Vec<RecentRecord, RING> {
        self.get(name).map(|op| op.recent()).unwrap_or_default()
    }

    /// The operation in slot `index`, if it is registered, *without its
    /// name* (`name()` is empty): for an instrumented call site that
    /// resolved its name once, kept the index, and only times and records,
    /// so that a call loads neither the name nor compares it.
    pub(crate) fn operation_at(&self, index: usize) -> Option<Operation<'_, RING, SHARDS, BUCKETS>> {
        self.registry.slot_at(index).map(|series| Operation::new(series, NameBuf::NONE, &self.paths, index))
    }

    /// The operation in slot `index` with its name, if it is registered.
    pub(crate) fn series_at(&self, index: usize) -> Option<Operation<'_, RING, SHARDS, BUCKETS>> {
        self.registry.series_at(index).map(|(name, series)| Operation::new(series, name, &self.paths, index))
    }

    /// The recorder of slot `index`, if it is registered: what a call site
    /// times its scopes through, from its cached index.
    #[inline]
    pub(crate) fn recorder_at(&self, index: usize) -> Option<Recorder<'_, RING, SHARDS, BUCKETS>> {
        self.registry.slot_at(index).map(|(slot, _)| Recorder::new(slot, &self.paths, index))
    }

    /// The call-path table.
    pub(crate) fn paths(&self) -> &PathTable<SHARDS> {
        &self.paths
    }

    /// The name of the operation in slot `index`, if it is registered.
    pub(crate) fn name_at(&self, index: usize) -> Option<NameBuf> {
        self.registry.name_at(index)
    }

    /// Records that closed outside any tracked call path: the path table was
    /// full, the path deeper than [`MAX_DEPTH`](crate::limits::MAX_DEPTH), or the
    /// guard dropped out of order. Their flat records are kept; the report
    /// shows this count under its call tree.
    #[must_use]
    pub fn untracked_paths(&self) -> u64 {
        self.paths().untracked()
    }

    /// How many distinct call paths this tracker can hold:
    /// [`PATHS_PER_OP`](crate::limits::PATHS_PER_OP) × `OPS`.
    pub const PATH_CAPACITY: usize = PATHS_PER_OP * OPS;

    /// Every registered operation, in registration order.
    pub fn operations(&self) -> impl Iterator<Item = Operation<'_, RING, SHARDS, BUCKETS>> {
        self.registry.ready().map(|(index, name, series)| Operation::new(series, name, &self.paths, index))
    }

    /// The number of registered operations.
    #[must_use]
    pub fn len(&self) -> usize {
        self.registry.ready_count()
    }

    /// Whether no operation has been registered yet.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a refused registration asked for: the index of its count.
#[derive(Clone, Copy)]
enum Refused {
    Operation = 0,
    Counter = 1,
    Gauge = 2,
}

/// Registrations refused for want of a free slot, by what was asked for
/// ([`Tracker::refused_by_kind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Refusals {
    /// New operations and labelled series.
    pub operations: u64,
    /// New counter series.
    pub counters: u64,
    /// New gauge series.
    pub gauges: u64,
}

impl Refusals {
    /// Every refusal, of any kind (saturating): [`Tracker::refused`].
    #[must_use]
    pub const fn total(&self) -> u64 {
        self.operations.saturating_add(self.counters).saturating_add(self.gauges)
    }
}

/// A counter's or gauge's name, checked.
fn metric_name(name: &str) -> Result<NameBuf, TrackerError> {
    let name = NameBuf::new(name)?;
    if valid_metric_name(name.as_str()) { Ok(name) } else { Err(TrackerError::InvalidMetricName) }
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize> Default
    for Tracker<OPS, RING, SHARDS, BUCKETS>
{
    fn default() -> Self {
        Self::new()
    }
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize> fmt::Debug
    for Tracker<OPS, RING, SHARDS, BUCKETS>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tracker")
            .field("ops", &self.len())
            .field("capacity", &OPS)
            .field("ring", &RING)
            .field("shards", &SHARDS)
            .finish()
    }
}
