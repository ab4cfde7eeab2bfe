//! `ExportOptions`: how an exposition is written, whatever its format.

use core::time::Duration;

#[cfg(doc)]
use crate::tracker::Tracker;

/// How [`Tracker::write_openmetrics_with`] writes: a metric-name prefix,
/// constant labels on every sample, and whether to end with `# EOF`. The
/// defaults are what [`Tracker::write_openmetrics`] writes: prefix
/// `perftrack`, no constant labels, `# EOF` at the end.
///
/// ```
/// use perftrack::{Tracker, export::ExportOptions};
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
    /// Names are `[a-zA-Z_][a-zA-Z0-9_]*`, each given once; they may not
    /// start with `__` (reserved by Prometheus, as `__name__` is) or be
    /// `operation`, `quantile` or `le`. Values are escaped. A series label
    /// of the same name as a constant one is left out of that series'
    /// samples.
    pub labels: &'a [(&'a str, &'a str)],
    /// Whether to end with `# EOF`. Leave it off to join another exposition
    /// that ends with its own.
    pub eof: bool,
    /// The native histograms' schema in the protobuf exposition, `-4..=8`;
    /// `None` (the default) is the tracker's own (4 at the default
    /// resolution). A lower one merges neighbouring buckets, exactly, for a
    /// scraper with a bucket limit; a higher one is written at the
    /// tracker's.
    pub native_schema: Option<i8>,
    /// The classic histogram's bucket bounds, ascending; `None` (the
    /// default) is every power of 4 seconds from `2^-20` s (about 0.95 µs)
    /// to `2^6` s (64 s), fourteen bounds and `+Inf`. A bound of your own
    /// **snaps up** to the upper bound of the internal bucket that holds it
    /// (a bound of the native grid, at the tracker's resolution), so every
    /// count stays exact: `le` is then that bound, not the one asked for. A
    /// bound that snaps onto the one before it, or into the top bucket
    /// (past an hour at the default resolution), is left out.
    pub classic_buckets: Option<&'a [Duration]>,
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
        Self { prefix: "perftrack", labels: &[], eof: true, native_schema: None, classic_buckets: None }
    }

    /// Sets the native histograms' schema in the protobuf exposition.
    #[must_use]
    pub const fn native_schema(mut self, schema: i8) -> Self {
        self.native_schema = Some(schema);
        self
    }

    /// Sets the classic histogram's bucket bounds (ascending; each snaps
    /// up to a bound of the native grid, see
    /// [`classic_buckets`](Self::classic_buckets)).
    #[must_use]
    pub const fn classic_buckets(mut self, bounds: &'a [Duration]) -> Self {
        self.classic_buckets = Some(bounds);
        self
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

    /// Whether the prefix and label names are valid OpenMetrics names, and
    /// the schema one that native histograms define.
    pub(crate) fn is_valid(&self) -> bool {
        let name_ok = |s: &str, colon: bool| {
            let ok = |c: char, first: bool| {
                c.is_ascii_alphabetic() || c == '_' || (colon && c == ':') || (!first && c.is_ascii_digit())
            };
            let mut cs = s.chars();
            cs.next().is_some_and(|c| ok(c, true)) && cs.all(|c| ok(c, false))
        };
        // A label name must be valid, not reserved (`__` starts the names
        // Prometheus keeps for itself, `__name__` among them), not one that
        // perftrack writes itself, and not given twice.
        let label_ok = |i: usize, k: &str| {
            name_ok(k, false)
                && !k.starts_with("__")
                && !["operation", "quantile", "le"].contains(&k)
                && self.labels[..i].iter().all(|&(earlier, _)| earlier != k)
        };
        name_ok(self.prefix, true)
            && self.labels.iter().enumerate().all(|(i, &(k, _))| label_ok(i, k))
            && self.native_schema.is_none_or(|s| (-4..=8).contains(&s))
    }
}
