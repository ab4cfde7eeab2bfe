//! A `metrics`-facade `Recorder` that lands `histogram!` calls in a tracker,
//! so code already written against the `metrics` crate records into
//! perftrack without changing its call sites.

use core::time::Duration;
use std::sync::Arc;

use metrics::{Counter, Gauge, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder, SharedString, Unit};

use crate::operation::Operation;
use crate::tracker::Tracker;

/// A `metrics::Recorder` over a `'static` tracker.
///
/// * **Histograms** become operations named after the metric's name (labels
///   are not part of the name). Each recorded value is taken as **seconds**,
///   the `metrics` convention for durations: `histogram!("db").record(0.002)`
///   records 2 ms. Negative and NaN values record zero; values too large for
///   a `Duration` saturate.
/// * A histogram whose name perftrack cannot register (empty, longer than
///   [`MAX_NAME_LEN`](crate::name::MAX_NAME_LEN) bytes, or a full tracker) is
///   dropped: its handle is a no-op.
/// * **Counters and gauges are ignored** (no-op handles): perftrack tracks
///   durations and memory per operation, not free-standing numbers.
///
/// ```
/// use perftrack::{MetricsBridge, Tracker};
///
/// static TRACKER: Tracker<8, 32> = Tracker::new();
/// let bridge = MetricsBridge::new(&TRACKER);
/// metrics::with_local_recorder(&bridge, || {
///     metrics::histogram!("db_query").record(0.002);
///     metrics::counter!("requests").increment(1); // ignored
/// });
/// let s = TRACKER.summary("db_query").unwrap();
/// assert_eq!(s.total_duration, std::time::Duration::from_millis(2));
/// assert!(TRACKER.summary("requests").is_none());
/// ```
///
/// To install it for the whole process: `metrics::set_global_recorder(bridge)`.
#[derive(Debug, Clone, Copy)]
pub struct MetricsBridge<const OPS: usize, const RING: usize, const SHARDS: usize> {
    tracker: &'static Tracker<OPS, RING, SHARDS>,
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize> MetricsBridge<OPS, RING, SHARDS> {
    /// A recorder over `tracker`.
    #[must_use]
    pub const fn new(tracker: &'static Tracker<OPS, RING, SHARDS>) -> Self {
        Self { tracker }
    }
}

/// Seconds as a `Duration`: negative and NaN give zero, too large saturates.
fn seconds(v: f64) -> Duration {
    if v.is_nan() || v <= 0.0 { Duration::ZERO } else { Duration::try_from_secs_f64(v).unwrap_or(Duration::MAX) }
}

struct OperationHistogram<const RING: usize, const SHARDS: usize>(Operation<'static, RING, SHARDS>);

impl<const RING: usize, const SHARDS: usize> HistogramFn for OperationHistogram<RING, SHARDS> {
    fn record(&self, value: f64) {
        self.0.record(seconds(value), 0);
    }
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize> Recorder for MetricsBridge<OPS, RING, SHARDS> {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn register_counter(&self, _: &Key, _: &Metadata<'_>) -> Counter {
        Counter::noop()
    }

    fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::noop()
    }

    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        match self.tracker.operation(key.name()) {
            Ok(op) => Histogram::from_arc(Arc::new(OperationHistogram(op))),
            Err(_) => Histogram::noop(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::seconds;
    use core::time::Duration;

    #[test]
    fn seconds_clamp_negative_nan_and_huge_values() {
        assert_eq!(seconds(0.25), Duration::from_millis(250));
        assert_eq!(seconds(-1.0), Duration::ZERO);
        assert_eq!(seconds(f64::NAN), Duration::ZERO);
        assert_eq!(seconds(f64::INFINITY), Duration::MAX);
        assert_eq!(seconds(1e300), Duration::MAX);
    }
}
