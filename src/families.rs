//! The families perftrack writes: each one's name (a stem and a unit under
//! the export's prefix), help text and shape.
//!
//! This is the one list. Every exporter writes it through one schedule
//! (`export/schedule.rs`), and registration checks a new counter's or
//! gauge's name against it (`metric/clash.rs`), so that an exporter cannot
//! name a family the others do not, and a user's name cannot meet one.

use core::fmt;

/// What a family is: the kind of its samples, and so the names they take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    Counter,
    Gauge,
    Histogram,
    Summary,
}

/// One family: its name's pieces, its help, and its shape.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Family<'a> {
    /// The metric-name prefix, without the `_`; empty for a counter or a
    /// gauge, which is named as it was registered.
    pub(crate) prefix: &'a str,
    /// The name between the prefix and the unit.
    pub(crate) stem: &'a str,
    /// The unit (`seconds`, `bytes`), or empty for a count.
    pub(crate) unit: &'a str,
    /// The `# HELP` text.
    pub(crate) help: &'a str,
    /// What its samples are.
    pub(crate) shape: Shape,
}

impl<'a> Family<'a> {
    /// The family under `prefix`.
    #[must_use]
    pub(crate) const fn under(self, prefix: &'a str) -> Self {
        Self { prefix, ..self }
    }

    /// A counter's or gauge's family, named as it was registered.
    #[must_use]
    pub(crate) const fn plain(name: &'a str, shape: Shape) -> Self {
        let help = match shape {
            Shape::Gauge => GAUGE_HELP,
            _ => COUNTER_HELP,
        };
        Self { prefix: "", stem: name, unit: "", help, shape }
    }

    /// The name in pieces, joined without separators:
    /// `{prefix}_{stem}[_{unit}]`, or the stem alone without a prefix.
    #[must_use]
    pub(crate) fn pieces(&self) -> [&'a str; 5] {
        let (p, ps) = if self.prefix.is_empty() { ("", "") } else { (self.prefix, "_") };
        let us = if self.unit.is_empty() { "" } else { "_" };
        [p, ps, self.stem, us, self.unit]
    }
}

impl fmt::Display for Family<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.pieces().iter().try_for_each(|p| f.write_str(p))
    }
}

/// The prefix of the default exposition, which registration checks
/// against.
pub(crate) const DEFAULT_PREFIX: &str = "perftrack";

const fn own(stem: &'static str, unit: &'static str, help: &'static str, shape: Shape) -> Family<'static> {
    Family { prefix: DEFAULT_PREFIX, stem, unit, help, shape }
}

/// Time per record over the lifetime.
pub(crate) const DURATION: Family<'static> = own(
    "operation_duration",
    "seconds",
    "Time per record over the lifetime: buckets on the native-histogram grid, sum and count.",
    Shape::Histogram,
);

/// The shortest record.
pub(crate) const DURATION_MIN: Family<'static> =
    own("operation_duration_min", "seconds", "Shortest record over the lifetime.", Shape::Gauge);

/// The longest record.
pub(crate) const DURATION_MAX: Family<'static> =
    own("operation_duration_max", "seconds", "Longest record over the lifetime.", Shape::Gauge);

/// Memory per record, as a summary without quantiles.
pub(crate) const MEMORY: Family<'static> = own(
    "operation_memory",
    "bytes",
    "Memory per record: sum is the total recorded, count the records.",
    Shape::Summary,
);

/// Heap allocations per record, as a summary without quantiles.
pub(crate) const ALLOCATIONS: Family<'static> = own(
    "operation_allocations",
    "",
    "Heap allocations per record: sum is the total counted, count the records.",
    Shape::Summary,
);

/// Calls dropped before they completed.
pub(crate) const CANCELLED: Family<'static> = own(
    "operation_cancelled",
    "",
    "Calls dropped before they completed, counted apart from the records.",
    Shape::Counter,
);

/// The wall time of the cancelled calls.
pub(crate) const CANCELLED_TIME: Family<'static> = own(
    "operation_cancelled",
    "seconds",
    "Wall time of the calls dropped before they completed, from first poll to drop.",
    Shape::Counter,
);

/// Every family perftrack writes for its operations, in the order the
/// schedule writes them.
pub(crate) const OWN_FAMILIES: [Family<'static>; 7] =
    [DURATION, DURATION_MIN, DURATION_MAX, MEMORY, ALLOCATIONS, CANCELLED, CANCELLED_TIME];

/// The help of a counter's family (perftrack takes no help text from the
/// caller).
pub(crate) const COUNTER_HELP: &str = "A counter of this process.";

/// The help of a gauge's family.
pub(crate) const GAUGE_HELP: &str = "A gauge of this process.";

/// Each own family's name at the default prefix, for
/// [`Clash::Perftrack`](crate::Clash::Perftrack), which names it by a
/// `&'static str`; a test checks it against [`OWN_FAMILIES`].
pub(crate) const OWN_DEFAULT_NAMES: [&str; 7] = [
    "perftrack_operation_duration_seconds",
    "perftrack_operation_duration_min_seconds",
    "perftrack_operation_duration_max_seconds",
    "perftrack_operation_memory_bytes",
    "perftrack_operation_allocations",
    "perftrack_operation_cancelled",
    "perftrack_operation_cancelled_seconds",
];

#[cfg(test)]
mod tests {
    use super::{OWN_DEFAULT_NAMES, OWN_FAMILIES};
    use std::format;

    #[test]
    fn each_own_familys_default_name_is_its_prefix_stem_and_unit() {
        for (f, name) in OWN_FAMILIES.iter().zip(OWN_DEFAULT_NAMES) {
            assert_eq!(format!("{f}"), name);
        }
        assert_eq!(format!("{}", super::MEMORY.under("app")), "app_operation_memory_bytes");
        assert_eq!(format!("{}", super::Family::plain("jobs", super::Shape::Gauge)), "jobs");
    }
}
