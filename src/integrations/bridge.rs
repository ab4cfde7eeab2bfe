//! A `metrics`-facade `Recorder` that lands `counter!`, `gauge!` and
//! `histogram!` calls in a tracker, labels as labels, so code already
//! written against the `metrics` crate records into perftrack without
//! changing its call sites. Nothing is dropped without being counted and
//! named.

use core::fmt::Write as _;
use core::sync::atomic::{AtomicU64, Ordering};
use core::time::Duration;
use std::collections::{HashMap, HashSet};
use std::string::String;
use std::sync::{Arc, Mutex, PoisonError};
use std::vec::Vec;

use metrics::{
    Counter, CounterFn, Gauge, GaugeFn, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder, SharedString, Unit,
};

use crate::error::TrackerError;
use crate::labels::Escaped;
use crate::operation::Operation;
use crate::tracker::Tracker;

/// A `metrics::Recorder` over a `'static` tracker.
///
/// * **Histograms** become operations, one labelled series per label set
///   ([`Tracker::operation_with_labels`]): `histogram!("req", "route" =>
///   "/a")` is the series `req{route="/a"}`, exported with `route` as a
///   label. Values follow the unit given by `describe_histogram!` (before
///   the metric's first use): **time units** (seconds, the default when
///   none is given, milli-, micro-, nanoseconds) land in the duration
///   histogram; **byte units** (bytes to tebibytes) as the memory, with a
///   zero duration. Negative and NaN values record zero; values too large
///   saturate.
/// * **Counters and gauges** become perftrack's [`Counter`](crate::Counter)s
///   and [`Gauge`](crate::Gauge)s, labelled likewise
///   ([`Tracker::counter_with_labels`], [`Tracker::gauge_with_labels`]).
///   Their values are kept as given, whatever their unit.
/// * **Dropped, counted and named**: a metric perftrack cannot hold (a name
///   that is not valid or over [`MAX_NAME_LEN`](crate::limits::MAX_NAME_LEN) bytes, labels it refuses, a
///   full tracker, a histogram unit that is neither time nor bytes, or a
///   counter's name already a gauge's). Each value recorded into such a
///   handle counts in [`drops`](Self::drops), by reason; the first drop of
///   each name is reported once on stderr.
///
/// ```
/// use perftrack::{Tracker, integrations::MetricsBridge};
///
/// static TRACKER: Tracker<8, 32> = Tracker::new();
/// let bridge = MetricsBridge::new(&TRACKER);
/// metrics::with_local_recorder(&bridge, || {
///     metrics::histogram!("db_query", "table" => "users").record(0.002);
///     metrics::counter!("requests", "status" => "200").increment(3);
///     metrics::gauge!("queue_depth").set(4.0);
/// });
/// let s = TRACKER.operation_with_labels("db_query", &[("table", "users")])?.summary();
/// assert_eq!(s.total_duration, std::time::Duration::from_millis(2));
/// assert_eq!(TRACKER.counter_with_labels("requests", &[("status", "200")])?.get(), 3);
/// assert_eq!(TRACKER.gauge("queue_depth")?.get(), 4.0);
/// assert_eq!(bridge.drops(), perftrack::integrations::BridgeDrops::default());
/// # Ok::<(), perftrack::TrackerError>(())
/// ```
///
/// To install it for the whole process: `metrics::set_global_recorder(bridge)`.
#[derive(Debug, Clone)]
pub struct MetricsBridge<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize> {
    tracker: &'static Tracker<OPS, RING, SHARDS, BUCKETS>,
    state: Arc<State>,
}

/// Values the bridge could not record, by reason (see [`MetricsBridge`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BridgeDrops {
    /// Values of metrics whose name is empty, longer than [`MAX_NAME_LEN`](crate::limits::MAX_NAME_LEN)
    /// bytes, not a Prometheus metric name (counters and gauges), or a
    /// counter's that is already a gauge's (or the other way round).
    pub bad_name: u64,
    /// Values of metrics whose labels perftrack refuses (see
    /// [`Labels::new`](crate::Labels::new)).
    pub bad_labels: u64,
    /// Values of a new metric that found the tracker full.
    pub tracker_full: u64,
    /// Histogram values in a unit that is neither time nor bytes.
    pub unsupported_unit: u64,
    /// Of the values above, the counter increments and absolute sets.
    pub counters: u64,
    /// Of the values above, the gauge sets, increments and decrements.
    pub gauges: u64,
}

#[derive(Debug, Default)]
struct State {
    bad_name: AtomicU64,
    bad_labels: AtomicU64,
    tracker_full: AtomicU64,
    unsupported_unit: AtomicU64,
    counters: AtomicU64,
    gauges: AtomicU64,
    units: Mutex<HashMap<String, Unit>>,
    warned: Mutex<HashSet<String>>,
}

impl State {
    /// Reports the first drop of `name` on stderr.
    fn warn_once(&self, name: &str, why: core::fmt::Arguments<'_>) {
        let mut warned = self.warned.lock().unwrap_or_else(PoisonError::into_inner);
        if warned.insert(String::from(name)) {
            std::eprintln!("perftrack: metrics bridge drops {name:?}: {why}; its values are counted in drops()");
        }
    }
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>
    MetricsBridge<OPS, RING, SHARDS, BUCKETS>
{
    /// A recorder over `tracker`.
    #[must_use]
    pub fn new(tracker: &'static Tracker<OPS, RING, SHARDS, BUCKETS>) -> Self {
        Self { tracker, state: Arc::default() }
    }

    /// How many values were dropped so far, by reason.
    #[must_use]
    pub fn drops(&self) -> BridgeDrops {
        let s = &self.state;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        BridgeDrops {
            bad_name: get(&s.bad_name),
            bad_labels: get(&s.bad_labels),
            tracker_full: get(&s.tracker_full),
            unsupported_unit: get(&s.unsupported_unit),
            counters: get(&s.counters),
            gauges: get(&s.gauges),
        }
    }

    fn unit_of(&self, name: &str) -> Option<Unit> {
        self.state.units.lock().unwrap_or_else(PoisonError::into_inner).get(name).copied()
    }
}

/// The metric's labels, as pairs for [`Labels::new`](crate::Labels::new).
fn pairs(key: &Key) -> Vec<(&str, &str)> {
    key.labels().map(|l| (l.key(), l.value())).collect()
}

/// The metric's name with its labels as Prometheus renders them:
/// `name{k="v",k2="v2"}` (label values escaped), or the bare name: how a
/// drop is reported.
fn rendered(key: &Key) -> String {
    let mut s = String::from(key.name());
    let mut labels = key.labels().peekable();
    if labels.peek().is_some() {
        s.push('{');
        for (i, l) in labels.enumerate() {
            if i > 0 {
                s.push(',');
            }
            let _ = write!(s, "{}=\"{}\"", l.key(), Escaped(l.value()));
        }
        s.push('}');
    }
    s
}

/// What a histogram's values are.
#[derive(Clone, Copy)]
enum Kind {
    /// A duration: nanoseconds per unit of the value.
    Time(f64),
    /// Memory: bytes per unit of the value.
    Bytes(f64),
}

fn kind(unit: Option<Unit>) -> Option<Kind> {
    match unit {
        None | Some(Unit::Seconds) => Some(Kind::Time(1e9)),
        Some(Unit::Milliseconds) => Some(Kind::Time(1e6)),
        Some(Unit::Microseconds) => Some(Kind::Time(1e3)),
        Some(Unit::Nanoseconds) => Some(Kind::Time(1.0)),
        Some(Unit::Bytes) => Some(Kind::Bytes(1.0)),
        Some(Unit::Kibibytes) => Some(Kind::Bytes(1024.0)),
        Some(Unit::Mebibytes) => Some(Kind::Bytes(1024.0 * 1024.0)),
        Some(Unit::Gibibytes) => Some(Kind::Bytes(1024.0 * 1024.0 * 1024.0)),
        Some(Unit::Tebibytes) => Some(Kind::Bytes(1024.0 * 1024.0 * 1024.0 * 1024.0)),
        Some(_) => None,
    }
}

/// `v × scale` as a whole number: negative and NaN give zero, too large
/// saturates.
fn scaled(v: f64, scale: f64) -> u64 {
    let x = v * scale;
    if x.is_nan() || x <= 0.0 {
        0
    } else if x >= u64::MAX as f64 {
        u64::MAX
    } else {
        x as u64
    }
}

struct OperationHistogram<const RING: usize, const SHARDS: usize, const BUCKETS: usize> {
    op: Operation<'static, RING, SHARDS, BUCKETS>,
    kind: Kind,
}

impl<const RING: usize, const SHARDS: usize, const BUCKETS: usize> HistogramFn
    for OperationHistogram<RING, SHARDS, BUCKETS>
{
    fn record(&self, value: f64) {
        match self.kind {
            Kind::Time(ns) => self.op.record(Duration::from_nanos(scaled(value, ns)), 0),
            Kind::Bytes(b) => self.op.record(Duration::ZERO, scaled(value, b)),
        }
    }
}

/// A perftrack counter behind the `metrics` handle.
struct BridgedCounter<const SHARDS: usize>(crate::metric::counter::Counter<'static, SHARDS>);

impl<const SHARDS: usize> CounterFn for BridgedCounter<SHARDS> {
    fn increment(&self, value: u64) {
        self.0.increment(value);
    }
    fn absolute(&self, value: u64) {
        self.0.absolute(value);
    }
}

/// A perftrack gauge behind the `metrics` handle.
struct BridgedGauge(crate::metric::gauge::Gauge<'static>);

impl GaugeFn for BridgedGauge {
    fn increment(&self, value: f64) {
        self.0.increment(value);
    }
    fn decrement(&self, value: f64) {
        self.0.decrement(value);
    }
    fn set(&self, value: f64) {
        self.0.set(value);
    }
}

/// A handle whose every value is counted as dropped: under its reason, and
/// under its kind for counters and gauges.
struct Dropped {
    state: Arc<State>,
    reason: fn(&State) -> &AtomicU64,
    kind: Option<fn(&State) -> &AtomicU64>,
}

impl Dropped {
    fn count(&self) {
        (self.reason)(&self.state).fetch_add(1, Ordering::Relaxed);
        if let Some(kind) = self.kind {
            kind(&self.state).fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl HistogramFn for Dropped {
    fn record(&self, _: f64) {
        self.count();
    }
}

impl CounterFn for Dropped {
    fn increment(&self, _: u64) {
        self.count();
    }
    fn absolute(&self, _: u64) {
        self.count();
    }
}

impl GaugeFn for Dropped {
    fn increment(&self, _: f64) {
        self.count();
    }
    fn decrement(&self, _: f64) {
        self.count();
    }
    fn set(&self, _: f64) {
        self.count();
    }
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>
    MetricsBridge<OPS, RING, SHARDS, BUCKETS>
{
    fn dropped(&self, name: &str, why: core::fmt::Arguments<'_>, reason: fn(&State) -> &AtomicU64) -> Arc<Dropped> {
        self.state.warn_once(name, why);
        Arc::new(Dropped { state: self.state.clone(), reason, kind: None })
    }

    /// The handle for a metric perftrack refused with `err`, by reason.
    fn refused(&self, key: &Key, err: TrackerError, kind: Option<fn(&State) -> &AtomicU64>) -> Arc<Dropped> {
        let name = rendered(key);
        let mut d = match err {
            TrackerError::Full => self.dropped(&name, format_args!("the tracker is full"), |s| &s.tracker_full),
            TrackerError::InvalidLabelName { .. }
            | TrackerError::ReservedLabelName { .. }
            | TrackerError::DuplicateLabelName { .. }
            | TrackerError::TooManyLabels
            | TrackerError::LabelsTooLong { .. } => self.dropped(&name, format_args!("{err}"), |s| &s.bad_labels),
            _ => self.dropped(&name, format_args!("{err}"), |s| &s.bad_name),
        };
        if let Some(d) = Arc::get_mut(&mut d) {
            d.kind = kind;
        }
        d
    }
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize> Recorder
    for MetricsBridge<OPS, RING, SHARDS, BUCKETS>
{
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn describe_histogram(&self, key: KeyName, unit: Option<Unit>, _: SharedString) {
        if let Some(unit) = unit {
            self.state.units.lock().unwrap_or_else(PoisonError::into_inner).insert(String::from(key.as_str()), unit);
        }
    }

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        match self.tracker.counter_with_labels(key.name(), &pairs(key)) {
            Ok(c) => Counter::from_arc(Arc::new(BridgedCounter(c))),
            Err(e) => Counter::from_arc(self.refused(key, e, Some(|s| &s.counters))),
        }
    }

    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        match self.tracker.gauge_with_labels(key.name(), &pairs(key)) {
            Ok(g) => Gauge::from_arc(Arc::new(BridgedGauge(g))),
            Err(e) => Gauge::from_arc(self.refused(key, e, Some(|s| &s.gauges))),
        }
    }

    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        let name = rendered(key);
        let Some(kind) = kind(self.unit_of(key.name())) else {
            return Histogram::from_arc(
                self.dropped(&name, format_args!("its unit is neither time nor bytes"), |s| &s.unsupported_unit),
            );
        };
        match self.tracker.operation_with_labels(key.name(), &pairs(key)) {
            Ok(op) => Histogram::from_arc(Arc::new(OperationHistogram { op, kind })),
            Err(e) => Histogram::from_arc(self.refused(key, e, None)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::scaled;

    #[test]
    fn values_scale_and_clamp_negative_nan_and_huge_ones() {
        assert_eq!(scaled(0.25, 1e9), 250_000_000);
        assert_eq!(scaled(-1.0, 1e9), 0);
        assert_eq!(scaled(f64::NAN, 1e9), 0);
        assert_eq!(scaled(f64::INFINITY, 1e9), u64::MAX);
        assert_eq!(scaled(1e300, 1.0), u64::MAX);
        assert_eq!(scaled(2.0, 1024.0), 2048);
    }
}
