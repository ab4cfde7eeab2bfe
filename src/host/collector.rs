//! `PerftrackCollector`: a tracker as a `prometheus-client` `Collector`, so
//! that perftrack's operations join an application's existing
//! prometheus-client `Registry` and its `/metrics`.

use core::fmt;
use core::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Unit;

use crate::export::openmetrics::{
    ALLOCATIONS, CANCELLED, CANCELLED_HELP, CANCELLED_TIME_HELP, DURATION, DURATION_HELP, EXTREMES, Figures, MEMORY,
    exposition_buckets,
};
use crate::summary::MetricsSummary;
use crate::tracker::Tracker;

/// A `prometheus_client::collector::Collector` over a `'static` tracker:
/// each scrape takes [`Tracker::summaries`] and encodes, labelled by
/// `operation`:
///
/// * `perftrack_operation_duration_seconds`, a **histogram** over the
///   lifetime, with the same 64 buckets as
///   [`Tracker::write_openmetrics`](crate::Tracker::write_openmetrics) (where
///   their bounds and error are documented), `_sum` and `_count`;
/// * `perftrack_operation_duration_min_seconds` and `..._max_seconds`,
///   **gauges** of the lifetime extremes (operations with records only);
/// * `perftrack_operation_memory_bytes`, a histogram with only `+Inf`: `_sum`
///   is the total memory recorded, `_count` the records.
///
/// A registry's prefix (`Registry::with_prefix`) replaces nothing: the names
/// are prefixed further, as for any collector.
///
/// ```
/// use perftrack::{PerftrackCollector, Tracker};
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

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// A histogram family: per operation, a sum and the buckets `buckets` gives
/// (cumulative, `+Inf` last).
fn histogram<const B: usize>(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    unit: Option<&Unit>,
    rows: &[MetricsSummary<B>],
    sum: fn(&MetricsSummary<B>) -> f64,
    buckets: fn(&MetricsSummary<B>) -> std::vec::Vec<(f64, u64)>,
) -> fmt::Result {
    let mut family = encoder.encode_descriptor(name, help, unit, MetricType::Histogram)?;
    for s in rows {
        family.encode_family(&series_labels(s))?.encode_histogram::<NoLabelSet>(sum(s), s.count, &buckets(s), None)?;
    }
    Ok(())
}

/// A sample's labels: `operation`, then the series' own.
fn series_labels<const B: usize>(s: &MetricsSummary<B>) -> std::vec::Vec<(&str, &str)> {
    core::iter::once(("operation", s.name.as_str())).chain(s.labels.iter()).collect()
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

/// A family of counts: its stem and help, and the figure it reads.
type CountFamily<const B: usize> = ((&'static str, &'static str), fn(&MetricsSummary<B>) -> f64);

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize> Collector
    for PerftrackCollector<OPS, RING, SHARDS, BUCKETS>
{
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> fmt::Result {
        // The same families, names and help as the text exposition
        // (`openmetrics.rs`); prometheus-client appends the unit.
        let named = |stem: &str| std::format!("perftrack_{stem}");
        let rows: std::vec::Vec<_> = self.tracker.summaries().collect();
        histogram(
            &mut encoder,
            &named(DURATION),
            DURATION_HELP,
            Some(&Unit::Seconds),
            &rows,
            |s| secs(s.total_duration),
            duration_buckets,
        )?;
        for (stem, help, pick) in EXTREMES {
            let name = named(stem);
            let mut family = encoder.encode_descriptor(&name, help, Some(&Unit::Seconds), MetricType::Gauge)?;
            for s in rows.iter().filter(|s| s.count > 0) {
                family.encode_family(&series_labels(s))?.encode_gauge(&secs(pick(&Figures::of(s))))?;
            }
        }
        let (stem, help) = MEMORY;
        histogram(
            &mut encoder,
            &named(stem),
            help,
            Some(&Unit::Bytes),
            &rows,
            |s| s.total_memory as f64,
            |s| std::vec![(f64::INFINITY, s.count)],
        )?;
        // Cancelled calls, apart from the records: counters of the calls
        // and of their wall time, once some call was cancelled.
        if rows.iter().any(|s| s.cancelled > 0) {
            let name = named(CANCELLED);
            let mut family = encoder.encode_descriptor(&name, CANCELLED_HELP, None, MetricType::Counter)?;
            for s in &rows {
                family.encode_family(&series_labels(s))?.encode_counter::<NoLabelSet, _, u64>(&s.cancelled, None)?;
            }
            let mut family =
                encoder.encode_descriptor(&name, CANCELLED_TIME_HELP, Some(&Unit::Seconds), MetricType::Counter)?;
            for s in &rows {
                family
                    .encode_family(&series_labels(s))?
                    .encode_counter::<NoLabelSet, _, u64>(&secs(s.cancelled_duration), None)?;
            }
        }
        // Counts without a unit, written only once some operation has one:
        // allocations (a `CountingAlloc`).
        let counts: [CountFamily<BUCKETS>; 1] = [(ALLOCATIONS, |s| s.total_allocations as f64)];
        for ((stem, help), pick) in counts {
            if rows.iter().any(|s| pick(s) > 0.0) {
                histogram(&mut encoder, &named(stem), help, None, &rows, pick, |s| {
                    std::vec![(f64::INFINITY, s.count)]
                })?;
            }
        }
        Ok(())
    }
}
