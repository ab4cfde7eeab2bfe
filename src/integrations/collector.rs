//! `PerftrackCollector`: a tracker as a `prometheus-client` `Collector`, so
//! that perftrack's operations join an application's existing
//! prometheus-client `Registry` and its `/metrics`.

use core::fmt;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Unit;

use crate::export::classic::exposition_buckets;
use crate::export::schedule::{Encoder, Sample, Samples, Snapshots, Value, walk};
use crate::families::{DEFAULT_PREFIX, Family, Shape};
use crate::labels::Labels;
use crate::summary::MetricsSummary;
use crate::tracker::Tracker;

/// A `prometheus_client::collector::Collector` over a `'static` tracker:
/// each scrape writes the families of
/// [`Tracker::write_openmetrics`](crate::Tracker::write_openmetrics), from
/// the same schedule, with the same names, help, labels and values:
///
/// * the duration histogram, with the same classic buckets (the default
///   bounds; a collector takes no [`ExportOptions`](crate::export::ExportOptions)),
///   `_sum` and `_count`;
/// * the extremes (gauges), the memory and allocation summaries and the
///   cancelled-call counters, each under the same rule as the text (left
///   out while zero for every operation);
/// * the tracker's counters and gauges, each family under its own name.
///
/// One difference, forced by prometheus-client, which has no summary
/// type: the memory and allocation families are histograms with only the
/// `+Inf` bucket, whose `_sum` and `_count` are the summary's.
///
/// A registry's prefix (`Registry::with_prefix`) replaces nothing: the names
/// are prefixed further, as for any collector.
///
/// ```
/// use perftrack::{Tracker, integrations::PerftrackCollector};
/// use prometheus_client::registry::Registry;
/// use core::time::Duration;
///
/// static TRACKER: Tracker<8, 16> = Tracker::new();
/// TRACKER.record("db_query", Duration::from_millis(3), 512)?;
///
/// let mut registry = Registry::default();
/// registry.register_collector(Box::new(PerftrackCollector::new(&TRACKER)));
/// let mut text = String::new();
/// prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
/// assert!(text.contains(r#"perftrack_operation_duration_seconds_count{operation="db_query"} 1"#));
/// # Ok::<(), perftrack::TrackerError>(())
/// ```
pub struct PerftrackCollector<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize> {
    tracker: &'static Tracker<OPS, RING, SHARDS, BUCKETS>,
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>
    PerftrackCollector<OPS, RING, SHARDS, BUCKETS>
{
    /// A collector over `tracker`.
    #[must_use]
    pub const fn new(tracker: &'static Tracker<OPS, RING, SHARDS, BUCKETS>) -> Self {
        Self { tracker }
    }
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize> fmt::Debug
    for PerftrackCollector<OPS, RING, SHARDS, BUCKETS>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PerftrackCollector").field("tracker", self.tracker).finish()
    }
}

/// The prometheus-client format: its descriptor encoder. It has no summary
/// type, so a summary family is written as a histogram with only `+Inf`:
/// the same `_sum` and `_count`.
struct Descriptors<'e>(DescriptorEncoder<'e>);

/// A family's name without its unit (prometheus-client appends it), and
/// the unit.
fn name_and_unit(f: &Family<'_>) -> (std::string::String, Option<Unit>) {
    let unit = match f.unit {
        "" => None,
        "seconds" => Some(Unit::Seconds),
        "bytes" => Some(Unit::Bytes),
        other => Some(Unit::Other(other.into())),
    };
    let name = if f.prefix.is_empty() { f.stem.into() } else { std::format!("{}_{}", f.prefix, f.stem) };
    (name, unit)
}

/// A sample's labels: `operation`, then the series' own.
fn pairs<'a>(op: Option<&'a str>, series: &'a Labels) -> std::vec::Vec<(&'a str, &'a str)> {
    op.map(|op| ("operation", op)).into_iter().chain(series.iter()).collect()
}

/// The duration histogram's buckets in seconds. prometheus-client takes
/// per-bucket counts (it accumulates them itself), so the cumulative counts
/// are turned back into differences.
fn duration_buckets<const B: usize>(s: &MetricsSummary<B>) -> std::vec::Vec<(f64, u64)> {
    let mut prev = 0;
    let mut out: std::vec::Vec<(f64, u64)> = exposition_buckets(&s.distribution, None)
        .map(|(ns, below)| {
            let n = below - prev;
            prev = below;
            (ns as f64 / 1e9, n)
        })
        .collect();
    out.push((f64::INFINITY, s.count - prev));
    out
}

impl Encoder for Descriptors<'_> {
    type Error = fmt::Error;

    fn histograms<const B: usize>(&mut self, f: &Family<'_>, snapshots: &Snapshots<'_, B, fmt::Error>) -> fmt::Result {
        let (name, unit) = name_and_unit(f);
        let mut family = self.0.encode_descriptor(&name, f.help, unit.as_ref(), MetricType::Histogram)?;
        snapshots(&mut |s| {
            let labels = pairs(Some(&s.name), &s.labels);
            family.encode_family(&labels)?.encode_histogram::<NoLabelSet>(
                s.total_duration.as_secs_f64(),
                s.count,
                &duration_buckets(s),
                None,
            )
        })
    }

    fn family(&mut self, f: &Family<'_>, samples: &Samples<'_, fmt::Error>) -> fmt::Result {
        let (name, unit) = name_and_unit(f);
        let kind = match f.shape {
            Shape::Counter => MetricType::Counter,
            Shape::Gauge => MetricType::Gauge,
            Shape::Histogram | Shape::Summary => MetricType::Histogram,
        };
        let mut family = self.0.encode_descriptor(&name, f.help, unit.as_ref(), kind)?;
        samples(&mut |Sample { op, series, value }| {
            let labels = pairs(op, series);
            let mut metric = family.encode_family(&labels)?;
            match (f.shape, value) {
                (_, Value::Summary { sum, count }) => {
                    metric.encode_histogram::<NoLabelSet>(sum as f64, count, &[(f64::INFINITY, count)], None)
                }
                (Shape::Counter, Value::Count(n)) => metric.encode_counter::<NoLabelSet, _, u64>(&n, None),
                (Shape::Counter, Value::Seconds(d)) => {
                    metric.encode_counter::<NoLabelSet, _, u64>(&d.as_secs_f64(), None)
                }
                (Shape::Counter, Value::Float(v)) => metric.encode_counter::<NoLabelSet, _, u64>(&v, None),
                (_, Value::Seconds(d)) => metric.encode_gauge(&d.as_secs_f64()),
                (_, Value::Count(n)) => metric.encode_gauge(&(n as f64)),
                (_, Value::Float(v)) => metric.encode_gauge(&v),
            }
        })
    }
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize> Collector
    for PerftrackCollector<OPS, RING, SHARDS, BUCKETS>
{
    fn encode(&self, encoder: DescriptorEncoder<'_>) -> fmt::Result {
        walk(self.tracker, DEFAULT_PREFIX, &mut Descriptors(encoder))
    }
}
