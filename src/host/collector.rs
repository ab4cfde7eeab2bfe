//! `PerftrackCollector`: a tracker as a `prometheus-client` `Collector`, so
//! that perftrack's operations join an application's existing
//! prometheus-client `Registry` and its `/metrics`.

use core::fmt;
use core::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Unit;

use crate::openmetrics::{DURATION, EXTREMES, MEMORY};
use crate::summary::MetricsSummary;
use crate::tracker::Tracker;

/// A `prometheus_client::collector::Collector` over a `'static` tracker:
/// each scrape takes [`Tracker::summaries`] and encodes, labelled by
/// `operation`:
///
/// * `perftrack_operation_duration_seconds`, a **histogram** with only the
///   `+Inf` bucket (prometheus-client has no summary type): `_sum` is the
///   lifetime total, `_count` the records;
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
pub struct PerftrackCollector<const OPS: usize, const RING: usize, const SHARDS: usize> {
    tracker: &'static Tracker<OPS, RING, SHARDS>,
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize> PerftrackCollector<OPS, RING, SHARDS> {
    /// A collector over `tracker`.
    #[must_use]
    pub const fn new(tracker: &'static Tracker<OPS, RING, SHARDS>) -> Self {
        Self { tracker }
    }
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize> fmt::Debug for PerftrackCollector<OPS, RING, SHARDS> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PerftrackCollector").field("tracker", self.tracker).finish()
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// A histogram with only the `+Inf` bucket: what prometheus-client can say
/// of a total and a count.
fn sum_and_count(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    unit: &Unit,
    rows: &[MetricsSummary],
    sum: fn(&MetricsSummary) -> f64,
) -> fmt::Result {
    let mut family = encoder.encode_descriptor(name, help, Some(unit), MetricType::Histogram)?;
    for s in rows {
        let labels = [("operation", s.name.as_str())];
        family.encode_family(&labels)?.encode_histogram::<NoLabelSet>(
            sum(s),
            s.count,
            &[(f64::INFINITY, s.count)],
            None,
        )?;
    }
    Ok(())
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize> Collector for PerftrackCollector<OPS, RING, SHARDS> {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> fmt::Result {
        // The same families, names and help as the text exposition
        // (`openmetrics.rs`); prometheus-client appends the unit.
        let named = |stem: &str| std::format!("perftrack_{stem}");
        let rows = self.tracker.summaries();
        sum_and_count(
            &mut encoder,
            &named(DURATION),
            "Time per record: sum and count over the lifetime.",
            &Unit::Seconds,
            &rows,
            |s| secs(s.total_duration),
        )?;
        for (stem, help, pick) in EXTREMES {
            let name = named(stem);
            let mut family = encoder.encode_descriptor(&name, help, Some(&Unit::Seconds), MetricType::Gauge)?;
            for s in rows.iter().filter(|s| s.count > 0) {
                let labels = [("operation", s.name.as_str())];
                family.encode_family(&labels)?.encode_gauge(&secs(pick(s)))?;
            }
        }
        let (stem, help) = MEMORY;
        sum_and_count(&mut encoder, &named(stem), help, &Unit::Bytes, &rows, |s| s.total_memory as f64)
    }
}
