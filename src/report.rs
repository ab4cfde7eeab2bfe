//! `Report`: the printable table of every operation.

use core::fmt::{self, Write};

use crate::summary::{MetricsSummary, saturating_ns};
use crate::tracker::Tracker;
use crate::units::{Bytes, Nanos};

/// A report of every operation in a tracker, printed by its `Display` impl.
///
/// Columns: Operation, Count, Avg, Min, Max (lifetime), p50 and p99 (over
/// the recent window), Avg Mem, and CPU (the average CPU time of the records
/// that carried one) when any record did. Each figure is shown in the unit
/// that fits it, with three significant digits: times in ns, µs, ms or s,
/// memory in B, KiB, MiB or GiB. Integer arithmetic only, so it costs no
/// floating point on an MCU.
///
/// Each row is taken from one consistent snapshot; rows are taken one after
/// another. Taking the report allocates nothing.
///
/// ```
/// use perftrack::Tracker;
/// use core::time::Duration;
///
/// static T: Tracker<4, 8> = Tracker::new();
/// T.record("parse", Duration::from_micros(1500), 2048)?;
/// let text = T.report().to_string();
/// let lines: Vec<&str> = text.lines().collect();
/// assert_eq!(lines[0], "=== Performance Report ===");
/// assert!(lines[1].starts_with("Operation"));
/// assert!(lines[3].starts_with("parse"));
/// assert!(lines[3].contains("1.50 ms"));
/// assert!(lines[3].contains("2.00 KiB"));
/// # Ok::<(), perftrack::TrackerError>(())
/// ```
pub struct Report<'t, const OPS: usize, const RING: usize, const SHARDS: usize> {
    tracker: &'t Tracker<OPS, RING, SHARDS>,
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize> Tracker<OPS, RING, SHARDS> {
    /// A printable report of every operation (`core::fmt::Display`).
    ///
    /// ```
    /// use perftrack::Tracker;
    /// use core::time::Duration;
    ///
    /// static T: Tracker<4, 8> = Tracker::new();
    /// T.record("render", Duration::from_millis(16), 2048)?;
    /// let text = format!("{}", T.report());
    /// assert!(text.starts_with("=== Performance Report ==="));
    /// assert!(text.contains("render"));
    /// # Ok::<(), perftrack::TrackerError>(())
    /// ```
    #[must_use]
    pub fn report(&self) -> Report<'_, OPS, RING, SHARDS> {
        Report { tracker: self }
    }
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize> Report<'_, OPS, RING, SHARDS> {
    /// The summaries this report prints, in registration order.
    #[must_use]
    pub fn summaries(&self) -> heapless::Vec<MetricsSummary, OPS> {
        self.tracker.summaries()
    }
}

const HEADER: &str = "=== Performance Report ===";
const COLS: [&str; 7] = ["Count", "Avg", "Min", "Max", "p50 (recent)", "p99 (recent)", "Avg Mem"];
const CPU_COL: &str = "CPU";

impl<const OPS: usize, const RING: usize, const SHARDS: usize> fmt::Display for Report<'_, OPS, RING, SHARDS> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows = self.summaries();
        writeln!(f, "{HEADER}")?;
        if rows.is_empty() {
            return writeln!(f, "(no operations recorded)");
        }
        let name_w = rows.iter().map(|r| r.name.len()).max().unwrap_or(0).max("Operation".len());
        let show_cpu = rows.iter().any(|r| r.cpu_samples > 0);
        const W: usize = 12;

        write!(f, "{:<name_w$}", "Operation")?;
        for c in COLS {
            write!(f, " {c:>W$}")?;
        }
        if show_cpu {
            write!(f, " {CPU_COL:>W$}")?;
        }
        writeln!(f)?;
        let width = name_w + (W + 1) * (COLS.len() + usize::from(show_cpu));
        for _ in 0..width {
            f.write_char('-')?;
        }
        writeln!(f)?;

        for r in &rows {
            write!(f, "{:<name_w$} {:>W$}", r.name.as_str(), r.count)?;
            for d in [r.avg_duration, r.min_duration, r.max_duration, r.p50, r.p99] {
                write!(f, " {:>W$}", Nanos(saturating_ns(d)))?;
            }
            write!(f, " {:>W$}", Bytes(r.avg_memory))?;
            if show_cpu {
                match r.avg_cpu_time() {
                    Some(c) => write!(f, " {:>W$}", Nanos(saturating_ns(c)))?,
                    None => write!(f, " {:>W$}", "-")?,
                }
            }
            writeln!(f)?;
        }
        Ok(())
    }
}
