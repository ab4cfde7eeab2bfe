//! OpenMetrics 1.0 text exposition, for Prometheus-compatible scrapers: the
//! families and their format are documented on [`Tracker::write_openmetrics`],
//! where users look.

use core::fmt::{self, Write};
use core::time::Duration;

use crate::summary::MetricsSummary;
use crate::tracker::Tracker;

/// The content type to serve [`Tracker::write_openmetrics`] output with.
pub const OPENMETRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

const DURATION: &str = "perftrack_operation_duration_seconds";
const MIN: &str = "perftrack_operation_duration_min_seconds";
const MAX: &str = "perftrack_operation_duration_max_seconds";
const MEMORY: &str = "perftrack_operation_memory_bytes";

/// A label value, escaped per the OpenMetrics ABNF.
struct Escaped<'a>(&'a str);

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

fn family<W: Write>(w: &mut W, name: &str, kind: &str, unit: &str, help: &str) -> fmt::Result {
    writeln!(w, "# TYPE {name} {kind}")?;
    writeln!(w, "# UNIT {name} {unit}")?;
    writeln!(w, "# HELP {name} {help}")
}

fn write_all<W: Write>(w: &mut W, rows: &[MetricsSummary]) -> fmt::Result {
    if !rows.is_empty() {
        family(
            w,
            DURATION,
            "summary",
            "seconds",
            "Time per record: quantiles over the recent window, sum and count over the lifetime.",
        )?;
        for s in rows {
            let op = Escaped(&s.name);
            if s.window > 0 {
                for (q, v) in [("0.5", s.p50), ("0.9", s.p90), ("0.99", s.p99)] {
                    writeln!(w, "{DURATION}{{operation=\"{op}\",quantile=\"{q}\"}} {}", Seconds(v))?;
                }
            }
            writeln!(w, "{DURATION}_sum{{operation=\"{op}\"}} {}", Seconds(s.total_duration))?;
            writeln!(w, "{DURATION}_count{{operation=\"{op}\"}} {}", s.count)?;
        }
        for (name, help, pick) in [
            (
                MIN,
                "Shortest record over the lifetime.",
                (|s: &MetricsSummary| s.min_duration) as fn(&MetricsSummary) -> Duration,
            ),
            (MAX, "Longest record over the lifetime.", |s: &MetricsSummary| s.max_duration),
        ] {
            family(w, name, "gauge", "seconds", help)?;
            for s in rows.iter().filter(|s| s.count > 0) {
                writeln!(w, "{name}{{operation=\"{}\"}} {}", Escaped(&s.name), Seconds(pick(s)))?;
            }
        }
        family(w, MEMORY, "summary", "bytes", "Memory per record: sum is the total recorded, count the records.")?;
        for s in rows {
            let op = Escaped(&s.name);
            writeln!(w, "{MEMORY}_sum{{operation=\"{op}\"}} {}", s.total_memory)?;
            writeln!(w, "{MEMORY}_count{{operation=\"{op}\"}} {}", s.count)?;
        }
    }
    w.write_str("# EOF\n")
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
    /// let t: Tracker<4, 8> = Tracker::new();
    /// t.record("say \"hi\"", Duration::from_micros(1500), 64)?;
    /// let mut out = String::new();
    /// t.write_openmetrics(&mut out).unwrap();
    /// assert!(out.contains(r#"perftrack_operation_duration_seconds_count{operation="say \"hi\""} 1"#));
    /// assert!(out.contains(r#"perftrack_operation_duration_seconds_sum{operation="say \"hi\""} 0.001500000"#));
    /// assert!(out.ends_with("# EOF\n"));
    /// # Ok::<(), perftrack::TrackerError>(())
    /// ```
    pub fn write_openmetrics<W: Write>(&self, w: &mut W) -> fmt::Result {
        write_all(w, &self.summaries())
    }
}

#[cfg(test)]
mod tests {
    use super::{Escaped, Seconds};
    use core::time::Duration;
    use std::format;

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
