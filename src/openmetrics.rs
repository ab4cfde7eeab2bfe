//! OpenMetrics 1.0 text exposition, for Prometheus-compatible scrapers: the
//! families and their format are documented on [`Tracker::write_openmetrics`],
//! where users look.

use core::fmt::{self, Write};
use core::time::Duration;

use crate::summary::MetricsSummary;
use crate::tracker::Tracker;

/// The content type to serve [`Tracker::write_openmetrics`] output with.
pub const OPENMETRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

// The families both exporters write (this text, and the prometheus-client
// `Collector` in `host/collector.rs`): each name between the prefix and the
// unit, and the help text where the two agree.

/// Time per record; its type and help differ between the exporters.
pub(crate) const DURATION: &str = "operation_duration";

/// A gauge of one lifetime figure: its name, its help, and how to read it.
pub(crate) type Gauge = (&'static str, &'static str, fn(&MetricsSummary) -> Duration);

/// The lifetime extremes, gauges in seconds.
pub(crate) const EXTREMES: [Gauge; 2] = [
    ("operation_duration_min", "Shortest record over the lifetime.", min_of),
    ("operation_duration_max", "Longest record over the lifetime.", max_of),
];

/// Total memory and records, in bytes.
pub(crate) const MEMORY: (&str, &str) =
    ("operation_memory", "Memory per record: sum is the total recorded, count the records.");

fn min_of(s: &MetricsSummary) -> Duration {
    s.min_duration
}

fn max_of(s: &MetricsSummary) -> Duration {
    s.max_duration
}

/// How [`Tracker::write_openmetrics_with`] writes: a metric-name prefix,
/// constant labels on every sample, and whether to end with `# EOF`. The
/// defaults are what [`Tracker::write_openmetrics`] writes: prefix
/// `perftrack`, no constant labels, `# EOF` at the end.
///
/// ```
/// use perftrack::{ExportOptions, Tracker};
/// use core::time::Duration;
///
/// static T: Tracker<4, 8> = Tracker::new();
/// T.record("query", Duration::from_micros(40), 0)?;
/// let opts = ExportOptions::new().prefix("myapp").labels(&[("instance", "a1")]).eof(false);
/// let mut out = String::new();
/// T.write_openmetrics_with(&mut out, &opts).unwrap();
/// assert!(out.contains(r#"myapp_operation_duration_seconds_count{instance="a1",operation="query"} 1"#));
/// assert!(!out.contains("# EOF"));
/// # Ok::<(), perftrack::TrackerError>(())
/// ```
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ExportOptions<'a> {
    /// Metric-name prefix, without the trailing `_`: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    pub prefix: &'a str,
    /// Constant labels put first on every sample, e.g. `("instance", "a1")`.
    /// Names are `[a-zA-Z_][a-zA-Z0-9_]*` and may not be `operation`,
    /// `quantile` or `le`; values are escaped.
    pub labels: &'a [(&'a str, &'a str)],
    /// Whether to end with `# EOF`. Leave it off to join another exposition
    /// that ends with its own.
    pub eof: bool,
}

impl Default for ExportOptions<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> ExportOptions<'a> {
    /// The defaults: prefix `perftrack`, no constant labels, `# EOF`.
    #[must_use]
    pub const fn new() -> Self {
        Self { prefix: "perftrack", labels: &[], eof: true }
    }

    /// Sets the metric-name prefix.
    #[must_use]
    pub const fn prefix(mut self, prefix: &'a str) -> Self {
        self.prefix = prefix;
        self
    }

    /// Sets the constant labels.
    #[must_use]
    pub const fn labels(mut self, labels: &'a [(&'a str, &'a str)]) -> Self {
        self.labels = labels;
        self
    }

    /// Sets whether the output ends with `# EOF`.
    #[must_use]
    pub const fn eof(mut self, eof: bool) -> Self {
        self.eof = eof;
        self
    }

    /// Whether the prefix and label names are valid OpenMetrics names.
    fn is_valid(&self) -> bool {
        let name_ok = |s: &str, colon: bool| {
            let ok = |c: char, first: bool| {
                c.is_ascii_alphabetic() || c == '_' || (colon && c == ':') || (!first && c.is_ascii_digit())
            };
            let mut cs = s.chars();
            cs.next().is_some_and(|c| ok(c, true)) && cs.all(|c| ok(c, false))
        };
        name_ok(self.prefix, true)
            && self.labels.iter().all(|&(k, _)| name_ok(k, false) && !["operation", "quantile", "le"].contains(&k))
    }
}

/// `{prefix}_{name}_{unit}`.
struct Name<'a>(&'a str, &'a str, &'a str);

impl fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}_{}", self.0, self.1, self.2)
    }
}

/// `{k="v",…,operation="…"[,extra="…"]}`.
struct Labels<'a> {
    consts: &'a [(&'a str, &'a str)],
    op: &'a str,
    extra: Option<(&'a str, &'a str)>,
}

impl fmt::Display for Labels<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('{')?;
        for (k, v) in self.consts {
            write!(f, "{k}=\"{}\",", Escaped(v))?;
        }
        write!(f, "operation=\"{}\"", Escaped(self.op))?;
        if let Some((k, v)) = self.extra {
            write!(f, ",{k}=\"{}\"", Escaped(v))?;
        }
        f.write_char('}')
    }
}

/// A label value, escaped per the OpenMetrics ABNF (also how Prometheus
/// renders label values in a series name, which the `metrics` bridge uses).
pub(crate) struct Escaped<'a>(pub(crate) &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            match c {
                '\\' => f.write_str("\\\\")?,
                '"' => f.write_str("\\\"")?,
                '\n' => f.write_str("\\n")?,
                c => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

/// A duration as exact decimal seconds: `12.000345678`.
struct Seconds(Duration);

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:09}", self.0.as_secs(), self.0.subsec_nanos())
    }
}

fn family<W: Write>(w: &mut W, name: &Name<'_>, kind: &str, help: &str) -> fmt::Result {
    writeln!(w, "# TYPE {name} {kind}")?;
    writeln!(w, "# UNIT {name} {}", name.2)?;
    writeln!(w, "# HELP {name} {help}")
}

fn write_all<W: Write>(w: &mut W, rows: &[MetricsSummary], o: &ExportOptions<'_>) -> fmt::Result {
    fn labels<'a>(o: &'a ExportOptions<'a>, s: &'a MetricsSummary) -> Labels<'a> {
        Labels { consts: o.labels, op: &s.name, extra: None }
    }
    if !rows.is_empty() {
        let name = Name(o.prefix, DURATION, "seconds");
        let help = "Time per record: quantiles over the recent window, sum and count over the lifetime.";
        family(w, &name, "summary", help)?;
        for s in rows {
            if s.window > 0 {
                for (q, v) in [("0.5", s.p50), ("0.9", s.p90), ("0.99", s.p99)] {
                    let l = Labels { extra: Some(("quantile", q)), ..labels(o, s) };
                    writeln!(w, "{name}{l} {}", Seconds(v))?;
                }
            }
            writeln!(w, "{name}_sum{} {}", labels(o, s), Seconds(s.total_duration))?;
            writeln!(w, "{name}_count{} {}", labels(o, s), s.count)?;
        }
        for (stem, help, pick) in EXTREMES {
            let name = Name(o.prefix, stem, "seconds");
            family(w, &name, "gauge", help)?;
            for s in rows.iter().filter(|s| s.count > 0) {
                writeln!(w, "{name}{} {}", labels(o, s), Seconds(pick(s)))?;
            }
        }
        let (stem, help) = MEMORY;
        let name = Name(o.prefix, stem, "bytes");
        family(w, &name, "summary", help)?;
        for s in rows {
            writeln!(w, "{name}_sum{} {}", labels(o, s), s.total_memory)?;
            writeln!(w, "{name}_count{} {}", labels(o, s), s.count)?;
        }
    }
    if o.eof { w.write_str("# EOF\n") } else { Ok(()) }
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize> Tracker<OPS, RING, SHARDS> {
    /// Writes every operation as OpenMetrics 1.0 text. Allocates nothing;
    /// works without `std` (any `core::fmt::Write`: a `String`, a UART, a
    /// small network stack). Serve it with [`OPENMETRICS_CONTENT_TYPE`].
    ///
    /// Three families, each labelled by `operation`:
    ///
    /// * `perftrack_operation_duration_seconds`, a **summary**: `quantile`
    ///   0.5, 0.9 and 0.99 over the recent window (omitted while the window is
    ///   empty), `_sum` and `_count` over the operation's lifetime;
    /// * `perftrack_operation_duration_min_seconds` and `..._max_seconds`,
    ///   **gauges** of the lifetime extremes (omitted before the first record);
    /// * `perftrack_operation_memory_bytes`, a **summary** without quantiles:
    ///   `_sum` is the total memory recorded, `_count` the number of records.
    ///
    /// Total memory is a summary rather than an OpenMetrics counter on purpose:
    /// a counter's `_total` sample is read as a separate, undocumented family by
    /// parsers of the older Prometheus text format 0.0.4 (`promtool check
    /// metrics` among them), while a summary reads the same in both formats.
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
    /// not a valid OpenMetrics name (or a label name is one perftrack writes
    /// itself: `operation`, `quantile`, `le`); otherwise only the writer's
    /// own errors.
    pub fn write_openmetrics_with<W: Write>(&self, w: &mut W, options: &ExportOptions<'_>) -> fmt::Result {
        if !options.is_valid() {
            return Err(fmt::Error);
        }
        write_all(w, &self.summaries(), options)
    }
}

#[cfg(test)]
mod tests {
    use super::{Escaped, ExportOptions, Seconds};
    use crate::tracker::Tracker;
    use core::time::Duration;
    use std::format;
    use std::string::String;

    #[test]
    fn a_bad_prefix_or_label_name_writes_nothing_and_fails() {
        static T: Tracker<2, 4> = Tracker::new();
        T.record("op", Duration::from_nanos(5), 0).unwrap();
        for opts in [
            ExportOptions::new().prefix(""),
            ExportOptions::new().prefix("1abc"),
            ExportOptions::new().prefix("my-app"),
            ExportOptions::new().labels(&[("in stance", "a")]),
            ExportOptions::new().labels(&[("operation", "a")]),
            ExportOptions::new().labels(&[("le", "a")]),
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
