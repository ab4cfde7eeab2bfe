//! `defmt::Format` for the public value types and the report, kept in one
//! file the way heapless keeps its own. Durations are logged as whole
//! nanoseconds (`u64`), which decode on the host without floating point on
//! the target.

use defmt::{Format, Formatter, write};

use crate::error::Clash;
use crate::error::TrackerError;
use crate::export::report::Report;
use crate::histogram::distribution::Distribution;
use crate::labels::Labels;
use crate::metric::reading::{MetricReading, MetricValue};
use crate::summary::saturating_ns;
use crate::summary::{MetricsSummary, RecentRecord, Sample};

impl Format for TrackerError {
    fn format(&self, f: Formatter<'_>) {
        match self {
            Self::Full => write!(f, "Full"),
            Self::NameTooLong => write!(f, "NameTooLong"),
            Self::EmptyName => write!(f, "EmptyName"),
            Self::InvalidLabelName { index } => write!(f, "InvalidLabelName {{ index: {=usize} }}", index),
            Self::ReservedLabelName { index } => write!(f, "ReservedLabelName {{ index: {=usize} }}", index),
            Self::DuplicateLabelName { index } => write!(f, "DuplicateLabelName {{ index: {=usize} }}", index),
            Self::TooManyLabels => write!(f, "TooManyLabels"),
            Self::LabelsTooLong { index } => write!(f, "LabelsTooLong {{ index: {=usize} }}", index),
            Self::InvalidMetricName => write!(f, "InvalidMetricName"),
            Self::KindMismatch => write!(f, "KindMismatch"),
            Self::NameClash(Clash::Perftrack(name)) => write!(f, "NameClash(Perftrack({=str}))", name),
            Self::NameClash(Clash::Counter { index }) => write!(f, "NameClash(Counter {{ index: {=usize} }})", index),
            Self::NameClash(Clash::Gauge { index }) => write!(f, "NameClash(Gauge {{ index: {=usize} }})", index),
        }
    }
}

impl Format for RecentRecord {
    fn format(&self, f: Formatter<'_>) {
        write!(
            f,
            "RecentRecord {{ duration_ns: {=u64}, memory_used: {=u64}, seq: {=u64}, shard: {=u32}, timestamp: {} }}",
            saturating_ns(self.duration),
            self.memory_used,
            self.seq,
            self.shard,
            self.timestamp
        )
    }
}

impl Format for Sample {
    fn format(&self, f: Formatter<'_>) {
        write!(
            f,
            "Sample {{ duration_ns: {=u64}, memory_used: {=u64}, cpu_ns: {}, timestamp: {} }}",
            saturating_ns(self.duration),
            self.memory_used,
            self.cpu_time.map(saturating_ns),
            self.timestamp
        )
    }
}

impl<const BUCKETS: usize> Format for MetricsSummary<BUCKETS> {
    fn format(&self, f: Formatter<'_>) {
        series(f, self.name.as_str(), &self.labels);
        write!(
            f,
            ": count={=u64} avg_ns={=u64} min_ns={=u64} max_ns={=u64} p50_ns={=u64} p90_ns={=u64} p99_ns={=u64} p999_ns={=u64} avg_mem={=u64} allocs={=u64}",
            self.count,
            saturating_ns(self.avg_duration),
            saturating_ns(self.min_duration),
            saturating_ns(self.max_duration),
            saturating_ns(self.p50),
            saturating_ns(self.p90),
            saturating_ns(self.p99),
            saturating_ns(self.p999),
            self.avg_memory,
            self.total_allocations
        )
    }
}

impl Format for MetricValue {
    fn format(&self, f: Formatter<'_>) {
        match *self {
            Self::Counter(n) => write!(f, "counter={=u64}", n),
            Self::Gauge(v) => write!(f, "gauge={=f64}", v),
        }
    }
}

impl Format for MetricReading {
    fn format(&self, f: Formatter<'_>) {
        series(f, self.name.as_str(), &self.labels);
        write!(f, ": {}", self.value);
    }
}

impl<const BUCKETS: usize> Format for Distribution<BUCKETS> {
    fn format(&self, f: Formatter<'_>) {
        let ns = |d: Option<core::time::Duration>| d.map(saturating_ns);
        write!(
            f,
            "Distribution {{ count: {=u64}, min_ns: {}, p50_ns: {}, p99_ns: {}, max_ns: {} }}",
            self.count(),
            ns(self.min()),
            ns(self.quantile(0.5)),
            ns(self.quantile(0.99)),
            ns(self.max())
        )
    }
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize> Format
    for Report<'_, OPS, RING, SHARDS, BUCKETS>
{
    fn format(&self, f: Formatter<'_>) {
        write!(f, "=== Performance Report ===");
        for s in self.summaries() {
            write!(f, "\n{}", s);
        }
        // The counters and gauges after the operations, as the text report.
        for m in self.tracker().metric_readings() {
            write!(f, "\n{}", m);
        }
    }
}

/// A series: its name, then `{label=value,…}` unescaped when it has labels.
fn series(f: Formatter<'_>, name: &str, labels: &Labels) {
    write!(f, "{=str}", name);
    if !labels.is_empty() {
        write!(f, "{{");
        for (i, (k, v)) in labels.iter().enumerate() {
            write!(f, "{=str}{=str}={=str}", if i == 0 { "" } else { "," }, k, v);
        }
        write!(f, "}}");
    }
}
