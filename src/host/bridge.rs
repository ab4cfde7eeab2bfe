//! A `metrics`-facade `Recorder` that lands `histogram!` calls in a tracker,
//! so code already written against the `metrics` crate records into
//! perftrack without changing its call sites. Nothing is dropped without
//! being counted and named.

use core::fmt::Write as _;
use core::sync::atomic::{AtomicU64, Ordering};
use core::time::Duration;
use std::collections::{HashMap, HashSet};
use std::string::String;
use std::sync::{Arc, Mutex, PoisonError};

use metrics::{
    Counter, CounterFn, Gauge, GaugeFn, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder, SharedString, Unit,
};

use crate::export::openmetrics::Escaped;
use crate::name::MAX_NAME_LEN;
use crate::operation::Operation;
use crate::tracker::Tracker;

/// A `metrics::Recorder` over a `'static` tracker.
///
/// * **Histograms** become operations. The operation's name is the metric's
///   name with its labels as Prometheus renders them, so
///   `histogram!("req", "route" => "/a")` and `"/b"` stay apart:
///   `req{route="/a"}`. Values follow the unit given by
///   `describe_histogram!` (before the metric's first use): **time units** (seconds, the default when none
///   is given, milli-, micro-, nanoseconds) are recorded as the duration;
///   **byte units** (bytes to tebibytes) as the memory, with a zero
///   duration. Negative and NaN values record zero; values too large
///   saturate.
/// * **Dropped, counted and named**: a histogram perftrack cannot hold (its
///   name over [`MAX_NAME_LEN`] bytes, the tracker full, or a unit that is
///   neither time nor bytes), and every counter and gauge (perftrack tracks
///   time and memory per operation, not free-standing numbers). Each value
///   recorded into such a handle counts in [`drops`](Self::drops), by
///   reason; the first drop of each name is reported once on stderr.
///
/// ```
/// use perftrack::{MetricsBridge, Tracker};
///
/// static TRACKER: Tracker<8, 32> = Tracker::new();
/// let bridge = MetricsBridge::new(&TRACKER);
/// metrics::with_local_recorder(&bridge, || {
///     metrics::histogram!("db_query", "table" => "users").record(0.002);
///     metrics::counter!("requests").increment(1); // dropped, and counted
/// });
/// let s = TRACKER.summary(r#"db_query{table="users"}"#).unwrap();
/// assert_eq!(s.total_duration, std::time::Duration::from_millis(2));
/// assert_eq!(bridge.drops().counters, 1);
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
    /// Histogram values whose metric name (with its labels) is longer than
    /// [`MAX_NAME_LEN`] bytes, or empty.
    pub bad_name: u64,
    /// Histogram values of a new metric that found the tracker full.
    pub tracker_full: u64,
    /// Histogram values in a unit that is neither time nor bytes.
    pub unsupported_unit: u64,
    /// Counter increments and absolute sets.
    pub counters: u64,
    /// Gauge sets, increments and decrements.
    pub gauges: u64,
}

#[derive(Debug, Default)]
struct State {
    bad_name: AtomicU64,
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

/// The metric's name with its labels as Prometheus renders them:
/// `name{k="v",k2="v2"}` (label values escaped), or the bare name.
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

/// A handle whose every value is counted as dropped.
struct Dropped {
    state: Arc<State>,
    reason: fn(&State) -> &AtomicU64,
}

impl Dropped {
    fn count(&self) {
        (self.reason)(&self.state).fetch_add(1, Ordering::Relaxed);
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
        Arc::new(Dropped { state: self.state.clone(), reason })
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
        Counter::from_arc(self.dropped(key.name(), format_args!("counters are not recorded"), |s| &s.counters))
    }

    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::from_arc(self.dropped(key.name(), format_args!("gauges are not recorded"), |s| &s.gauges))
    }

    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        let name = rendered(key);
        let Some(kind) = kind(self.unit_of(key.name())) else {
            return Histogram::from_arc(
                self.dropped(&name, format_args!("its unit is neither time nor bytes"), |s| &s.unsupported_unit),
            );
        };
        match self.tracker.operation(&name) {
            Ok(op) => Histogram::from_arc(Arc::new(OperationHistogram { op, kind })),
            Err(crate::error::TrackerError::Full) => {
                Histogram::from_arc(self.dropped(&name, format_args!("the tracker is full"), |s| &s.tracker_full))
            }
            Err(_) => Histogram::from_arc(self.dropped(
                &name,
                format_args!("its name (with labels) is empty or longer than {MAX_NAME_LEN} bytes"),
                |s| &s.bad_name,
            )),
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
