//! `Report`: the printable table of every operation.

use core::fmt::{self, Write};

use crate::summary::{MetricsSummary, saturating_ns};
use crate::tracker::Tracker;

/// A report of every operation in a tracker, printed by its `Display` impl.
///
/// Columns: Operation, Count, Avg (ms), Min (ms), Max (ms), p50 (ms),
/// p99 (ms), Avg Mem (KB), and CPU (ms) when any record carried a CPU time.
/// Times are milliseconds with 2 decimals, rounded to nearest; memory is
/// KiB (1024 bytes) with 2 decimals. Integer arithmetic only, so it costs no
/// floating point on an MCU.
///
/// Each row is taken from one consistent snapshot; rows are taken one after
/// another. Taking the report allocates nothing.
///
/// ```
/// use perftrack::Tracker;
/// use core::time::Duration;
///
/// let t: Tracker<4, 8> = Tracker::new();
/// t.record("parse", Duration::from_micros(1500), 2048)?;
/// let text = t.report().to_string();
/// let lines: Vec<&str> = text.lines().collect();
/// assert_eq!(lines[0], "=== Performance Report ===");
/// assert!(lines[1].starts_with("Operation"));
/// assert!(lines[3].starts_with("parse"));
/// assert!(lines[3].contains("1.50")); // ms
/// assert!(lines[3].contains("2.00")); // KB
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

/// `num / den` with two decimals, rounded to nearest, as text.
pub(crate) fn fixed2(num: u64, den: u64) -> heapless::String<32> {
    let mut s = heapless::String::new();
    let den = u128::from(den.max(1));
    let hundredths = (u128::from(num) * 100 + den / 2) / den;
    // At most 22 characters for u64-sized inputs, so it fits.
    let _ = write!(s, "{}.{:02}", hundredths / 100, hundredths % 100);
    s
}

pub(crate) fn ms(d: core::time::Duration) -> heapless::String<32> {
    fixed2(saturating_ns(d), 1_000_000)
}

pub(crate) fn kb(bytes: u64) -> heapless::String<32> {
    fixed2(bytes, 1024)
}

const HEADER: &str = "=== Performance Report ===";
const COLS: [&str; 7] = ["Count", "Avg (ms)", "Min (ms)", "Max (ms)", "p50 (ms)", "p99 (ms)", "Avg Mem (KB)"];
const CPU_COL: &str = "CPU (ms)";

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
                write!(f, " {:>W$}", ms(d).as_str())?;
            }
            write!(f, " {:>W$}", kb(r.avg_memory).as_str())?;
            if show_cpu {
                match r.avg_cpu_time() {
                    Some(c) => write!(f, " {:>W$}", ms(c).as_str())?,
                    None => write!(f, " {:>W$}", "-")?,
                }
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::fixed2;

    #[test]
    fn fixed2_rounds_to_nearest_hundredth() {
        assert_eq!(fixed2(1_234_567, 1_000_000).as_str(), "1.23");
        assert_eq!(fixed2(1_235_000, 1_000_000).as_str(), "1.24");
        assert_eq!(fixed2(0, 1_000_000).as_str(), "0.00");
        assert_eq!(fixed2(1536, 1024).as_str(), "1.50");
    }

    #[test]
    fn fixed2_handles_u64_max_without_overflow() {
        assert_eq!(fixed2(u64::MAX, 1).as_str(), "18446744073709551615.00");
        assert_eq!(fixed2(5, 0).as_str(), "5.00"); // a zero divisor is treated as 1
    }
}
