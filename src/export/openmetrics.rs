//! OpenMetrics 1.0 text exposition, for Prometheus-compatible scrapers: the
//! families and their format are documented on [`Tracker::write_openmetrics`],
//! where users look. The families and values come from the schedule
//! (`schedule.rs`); this file spells them as text.

use core::fmt::{self, Write};
use core::time::Duration;

use crate::export::classic::exposition_buckets;
use crate::export::options::ExportOptions;
use crate::export::schedule::{Encoder, Sample, Samples, Snapshots, Value, sample_labels, walk};
use crate::families::{Family, Shape};
use crate::labels::{Escaped, Labels};
use crate::tracker::Tracker;

/// The content type to serve [`Tracker::write_openmetrics`] output with.
pub const OPENMETRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// An OpenMetrics number: `+Inf`, `-Inf` and `NaN` spelled as the spec
/// spells them.
struct Float(f64);

impl fmt::Display for Float {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            v if v.is_nan() => f.write_str("NaN"),
            v if v == f64::INFINITY => f.write_str("+Inf"),
            v if v == f64::NEG_INFINITY => f.write_str("-Inf"),
            v => write!(f, "{v}"),
        }
    }
}

/// `{k="v",…,operation="…"[,series labels…][,extra="…"]}`: the labels of
/// [`sample_labels`], then `extra` (a bucket's `le`); nothing when there
/// are none at all.
struct SampleLabels<'a> {
    consts: &'a [(&'a str, &'a str)],
    op: Option<&'a str>,
    series: &'a Labels,
    extra: Option<(&'a str, &'a str)>,
}

impl fmt::Display for SampleLabels<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut pairs = sample_labels(self.consts, self.op, self.series).chain(self.extra).peekable();
        if pairs.peek().is_none() {
            return Ok(());
        }
        f.write_char('{')?;
        for (i, (k, v)) in pairs.enumerate() {
            if i > 0 {
                f.write_char(',')?;
            }
            write!(f, "{k}=\"{}\"", Escaped(v))?;
        }
        f.write_char('}')
    }
}

/// A duration as exact decimal seconds: `12.000345678`.
struct Seconds(Duration);

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:09}", self.0.as_secs(), self.0.subsec_nanos())
    }
}

/// The text format: a writer and the export's options.
struct Text<'w, 'o, W> {
    w: &'w mut W,
    o: &'o ExportOptions<'o>,
}

impl<W: Write> Text<'_, '_, W> {
    /// `# TYPE`, `# UNIT` (when the family has one) and `# HELP`.
    fn header(&mut self, family: &Family<'_>) -> fmt::Result {
        let kind = match family.shape {
            Shape::Counter => "counter",
            Shape::Gauge => "gauge",
            Shape::Histogram => "histogram",
            Shape::Summary => "summary",
        };
        writeln!(self.w, "# TYPE {family} {kind}")?;
        if !family.unit.is_empty() {
            writeln!(self.w, "# UNIT {family} {}", family.unit)?;
        }
        writeln!(self.w, "# HELP {family} {}", family.help)
    }
}

/// A sample's labels, with no `le`.
fn labels<'a>(consts: &'a [(&'a str, &'a str)], op: Option<&'a str>, series: &'a Labels) -> SampleLabels<'a> {
    SampleLabels { consts, op, series, extra: None }
}

impl<W: Write> Encoder for Text<'_, '_, W> {
    type Error = fmt::Error;

    fn histograms<const B: usize>(
        &mut self,
        family: &Family<'_>,
        snapshots: &Snapshots<'_, B, fmt::Error>,
    ) -> fmt::Result {
        self.header(family)?;
        let (consts, bounds) = (self.o.labels, self.o.classic_buckets);
        snapshots(&mut |s| {
            let mut le = heapless::String::<24>::new();
            for (ns, below) in exposition_buckets(&s.distribution, bounds) {
                le.clear();
                write!(le, "{}", Seconds(Duration::from_nanos(ns)))?;
                let l = SampleLabels { extra: Some(("le", &le)), ..labels(consts, Some(&s.name), &s.labels) };
                writeln!(self.w, "{family}_bucket{l} {below}")?;
            }
            let l = SampleLabels { extra: Some(("le", "+Inf")), ..labels(consts, Some(&s.name), &s.labels) };
            writeln!(self.w, "{family}_bucket{l} {}", s.count)?;
            writeln!(self.w, "{family}_sum{} {}", labels(consts, Some(&s.name), &s.labels), Seconds(s.total_duration))?;
            writeln!(self.w, "{family}_count{} {}", labels(consts, Some(&s.name), &s.labels), s.count)
        })
    }

    fn family(&mut self, family: &Family<'_>, samples: &Samples<'_, fmt::Error>) -> fmt::Result {
        self.header(family)?;
        // A counter's sample is named `_total`; a summary's are `_sum` and
        // `_count`.
        let total = if family.shape == Shape::Counter { "_total" } else { "" };
        let consts = self.o.labels;
        samples(&mut |Sample { op, series, value }| {
            let l = labels(consts, op, series);
            match value {
                Value::Seconds(d) => writeln!(self.w, "{family}{total}{l} {}", Seconds(d)),
                Value::Count(n) => writeln!(self.w, "{family}{total}{l} {n}"),
                Value::Float(v) => writeln!(self.w, "{family}{total}{l} {}", Float(v)),
                Value::Summary { sum, count } => {
                    writeln!(self.w, "{family}_sum{l} {sum}")?;
                    writeln!(self.w, "{family}_count{l} {count}")
                }
            }
        })
    }
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>
    Tracker<OPS, RING, SHARDS, BUCKETS>
{
    /// Writes every operation as OpenMetrics 1.0 text. Allocates nothing;
    /// works without `std` (any `core::fmt::Write`: a `String`, a UART, a
    /// small network stack). Serve it with [`OPENMETRICS_CONTENT_TYPE`].
    ///
    /// The families, each labelled by `operation`; a family that would be
    /// zero for every operation is left out, and once one operation has
    /// something in it, it is written for every operation, with its 0s, so
    /// that `rate()` and `increase()` see each first increment:
    ///
    /// * `perftrack_operation_duration_seconds`, a **histogram** over the
    ///   operation's lifetime: `_bucket{le=…}`, `_sum` and `_count`. Its
    ///   classic buckets (by default fourteen and `+Inf`) are the same for
    ///   every operation, process and resolution (but schema 0), so a fleet
    ///   aggregates them with
    ///   `histogram_quantile(0.99, sum by (le) (rate(…_bucket[5m])))`. Their
    ///   bounds are by default every power of 4 seconds, `4^k` s, from
    ///   `2^-20` s (about 0.95 µs) to 64 s: bounds of the native grid the
    ///   internal buckets follow, so the counts are exact. Each `le` is the
    ///   largest whole nanosecond within its bound (`le="0.000000953"` for
    ///   `2^-20` s), as records are whole nanoseconds. Other bounds:
    ///   [`ExportOptions::classic_buckets`] (they snap up onto the grid).
    ///   `histogram_quantile` interpolates inside a classic bucket, so with
    ///   the default bounds its answer can be a factor of 4 off; for 4.43%,
    ///   scrape the native histogram of the protobuf exposition
    ///   ([`write_protobuf`](Self::write_protobuf)); for 1/35, read
    ///   [`Distribution::quantile`](crate::Distribution::quantile)
    ///   in-process.
    /// * `perftrack_operation_duration_min_seconds` and `..._max_seconds`,
    ///   **gauges** of the lifetime extremes (once some operation has a
    ///   record; an operation without one has no sample);
    /// * `perftrack_operation_memory_bytes`, a **summary** without quantiles:
    ///   `_sum` is the total memory recorded, `_count` the number of records;
    ///   written once some operation recorded memory;
    /// * `perftrack_operation_allocations`, a **summary** without quantiles
    ///   and without a unit: `_sum` is the total of heap allocations counted,
    ///   `_count` the number of records; written once some operation
    ///   has counted an allocation (a `CountingAlloc` installed);
    /// * `perftrack_operation_cancelled_total` and
    ///   `perftrack_operation_cancelled_seconds_total`, **counters** of the
    ///   calls dropped before they completed and of their wall time
    ///   ([`MetricsSummary::cancelled`](crate::MetricsSummary::cancelled)),
    ///   apart from the records; written once some call was cancelled;
    /// * the tracker's counters and gauges, one family per name, under
    ///   their own names (no prefix).
    ///
    /// Every exporter (this text, [`write_protobuf`](Self::write_protobuf),
    /// the `prometheus-client` collector) writes these families from one
    /// schedule, so they name the same families with the same values.
    ///
    /// Total memory and allocations are summaries rather than OpenMetrics counters on purpose:
    /// a counter's `_total` sample is read as a separate, undocumented family by
    /// parsers of the older Prometheus text format 0.0.4 (`promtool check
    /// metrics` among them), while a summary reads the same in both formats.
    ///
    /// Each operation is read once, as one consistent snapshot, and every
    /// family shows that snapshot: the histogram's `_count`, the extremes and
    /// the memory and allocation summaries' `_count` all agree (I2). The
    /// writer keeps a few words per operation between families, on the
    /// stack, never a second histogram.
    ///
    /// Seconds are exact decimals from integer nanoseconds (no floating point,
    /// which matters on an MCU). Label values are escaped per the spec
    /// (backslash, double quote, newline); other UTF-8 passes through. The
    /// output ends with `# EOF`.
    ///
    /// # Errors
    ///
    /// Only the writer's own `fmt::Error`.
    ///
    /// ```
    /// use perftrack::Tracker;
    /// use core::time::Duration;
    ///
    /// static T: Tracker<4, 8> = Tracker::new();
    /// T.record("say \"hi\"", Duration::from_micros(1500), 64)?;
    /// let mut out = String::new();
    /// T.write_openmetrics(&mut out).unwrap();
    /// assert!(out.contains(r#"perftrack_operation_duration_seconds_count{operation="say \"hi\""} 1"#));
    /// assert!(out.contains(r#"perftrack_operation_duration_seconds_sum{operation="say \"hi\""} 0.001500000"#));
    /// // 1.5 ms lies between the bounds 4^-5 s (0.977 ms) and 4^-4 s (3.906 ms).
    /// assert!(out.contains(r#"perftrack_operation_duration_seconds_bucket{operation="say \"hi\"",le="0.000976562"} 0"#));
    /// assert!(out.contains(r#"perftrack_operation_duration_seconds_bucket{operation="say \"hi\"",le="0.003906250"} 1"#));
    /// assert!(out.ends_with("# EOF\n"));
    /// # Ok::<(), perftrack::TrackerError>(())
    /// ```
    pub fn write_openmetrics<W: Write>(&self, w: &mut W) -> fmt::Result {
        self.write_openmetrics_with(w, &ExportOptions::new())
    }

    /// [`write_openmetrics`](Self::write_openmetrics) with a prefix of your
    /// own, constant labels on every sample, and `# EOF` optional, so that
    /// the output can join another registry's exposition (see
    /// [`ExportOptions`]).
    ///
    /// # Errors
    ///
    /// `fmt::Error`, with nothing written, if the prefix or a label name is
    /// not a valid OpenMetrics name, a label name is reserved (`__…`), given
    /// twice, or one perftrack writes itself (`operation`, `quantile`, `le`);
    /// otherwise only the writer's own errors.
    pub fn write_openmetrics_with<W: Write>(&self, w: &mut W, options: &ExportOptions<'_>) -> fmt::Result {
        if !options.is_valid() {
            return Err(fmt::Error);
        }
        walk(self, options.prefix, &mut Text { w, o: options })?;
        if options.eof { w.write_str("# EOF\n") } else { Ok(()) }
    }
}

#[cfg(test)]
mod tests {
    use super::{ExportOptions, Seconds};
    use crate::histogram::buckets::COARSE_BUCKETS;
    use crate::labels::Escaped;
    use crate::tracker::Tracker;
    use core::time::Duration;
    use std::format;
    use std::string::String;

    #[test]
    fn a_bad_reserved_or_duplicate_name_writes_nothing_and_fails() {
        // One shard and the coarse histogram: the exposition's shape is the
        // same, and miri (which runs this test too) copies fewer buckets.
        static T: Tracker<2, 4, 1, COARSE_BUCKETS> = Tracker::new();
        T.record("op", Duration::from_nanos(5), 0).unwrap();
        for opts in [
            ExportOptions::new().prefix(""),
            ExportOptions::new().prefix("1abc"),
            ExportOptions::new().prefix("my-app"),
            ExportOptions::new().labels(&[("in stance", "a")]),
            ExportOptions::new().labels(&[("operation", "a")]),
            ExportOptions::new().labels(&[("le", "a")]),
            ExportOptions::new().labels(&[("__name__", "a")]),
            ExportOptions::new().labels(&[("__meta", "a")]),
            ExportOptions::new().labels(&[("service", "a"), ("service", "b")]),
            ExportOptions::new().labels(&[("service", "a"), ("zone", "z"), ("service", "a")]),
        ] {
            let mut out = String::new();
            assert!(T.write_openmetrics_with(&mut out, &opts).is_err(), "{opts:?}");
            assert!(out.is_empty(), "{opts:?}: {out}");
        }
        let mut out = String::new();
        let opts = ExportOptions::new().prefix("ns:app_2").labels(&[("service", "a \"b\"\n")]).eof(false);
        T.write_openmetrics_with(&mut out, &opts).unwrap();
        assert!(
            out.contains(r#"ns:app_2_operation_duration_seconds_sum{service="a \"b\"\n",operation="op"} 0.000000005"#),
            "{out}"
        );
        assert!(out.ends_with("\n") && !out.contains("# EOF"));
    }

    #[test]
    fn every_type_line_the_text_writes_for_an_operation_is_an_own_family() {
        use crate::families::{OWN_FAMILIES, Shape};
        // And each `# TYPE` line the text writes for an operation.
        static T: Tracker<2, 4, 1, COARSE_BUCKETS> = Tracker::new();
        T.record("op", Duration::from_nanos(5), 64).unwrap();
        let mut out = String::new();
        T.write_openmetrics(&mut out).unwrap();
        assert_eq!(out.matches("# TYPE").count(), 4, "{out}");
        for line in out.lines().filter_map(|l| l.strip_prefix("# TYPE perftrack_")) {
            let (name, kind) = line.split_once(' ').unwrap();
            let shape = match kind {
                "counter" => Shape::Counter,
                "histogram" => Shape::Histogram,
                "gauge" => Shape::Gauge,
                "summary" => Shape::Summary,
                other => panic!("{other}"),
            };
            assert!(
                OWN_FAMILIES.iter().any(|o| format!("{o}") == format!("perftrack_{name}") && o.shape == shape),
                "{line}"
            );
        }
    }

    #[test]
    fn label_values_escape_backslash_quote_and_newline_and_keep_utf8() {
        assert_eq!(format!("{}", Escaped("a\\b\"c\nd größe")), "a\\\\b\\\"c\\nd größe");
    }

    #[test]
    fn seconds_are_exact_decimals_from_nanoseconds() {
        assert_eq!(format!("{}", Seconds(Duration::from_nanos(1))), "0.000000001");
        assert_eq!(format!("{}", Seconds(Duration::new(12, 345_678_000))), "12.345678000");
        assert_eq!(format!("{}", Seconds(Duration::from_nanos(u64::MAX))), "18446744073.709551615");
    }
}
