//! `TrackerError`: what registration can answer instead of a slot.

use core::fmt;

use crate::name::{BadName, MAX_NAME_LEN};

/// Why a name (and its labels) could not be turned into a slot.
///
/// Every error leaves the tracker unchanged: what was recorded before stays
/// recorded, and names already registered keep recording.
///
/// An error about one of several inputs names which with a small `Copy`
/// payload rather than text (the enum stays `Copy`, allocation-free and
/// `no_std`): [`NameClash`](Self::NameClash) carries a [`Clash`], perftrack's
/// own family by its `&'static` name or the other counter or gauge by its
/// place in registration order.
///
/// ```
/// use perftrack::{Tracker, TrackerError};
/// use core::time::Duration;
///
/// static T: Tracker<1, 4> = Tracker::new();
/// assert_eq!(T.record("", Duration::ZERO, 0), Err(TrackerError::EmptyName));
/// T.record("a", Duration::from_micros(5), 0).unwrap();
/// assert_eq!(T.record("b", Duration::ZERO, 0), Err(TrackerError::Full));
/// assert_eq!(T.summary("a").unwrap().count, 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TrackerError {
    /// Every operation slot holds another name; the tracker's `OPS` is too small.
    Full,
    /// The name is longer than [`MAX_NAME_LEN`] bytes (UTF-8).
    NameTooLong,
    /// The name is the empty string.
    EmptyName,
    /// A label name is not `[a-zA-Z_][a-zA-Z0-9_]*`.
    InvalidLabelName {
        /// The label's position in the slice given, from 0.
        index: usize,
    },
    /// A label name is reserved: it starts with `__` (Prometheus's, as
    /// `__name__`), or is `operation`, `quantile` or `le` (perftrack's own).
    ReservedLabelName {
        /// The label's position in the slice given, from 0.
        index: usize,
    },
    /// A label name is given twice.
    DuplicateLabelName {
        /// The position of its second occurrence in the slice given, from 0.
        index: usize,
    },
    /// More than [`MAX_LABELS`](crate::limits::MAX_LABELS) labels.
    TooManyLabels,
    /// The labels take more than [`MAX_LABELS_LEN`](crate::limits::MAX_LABELS_LEN) bytes stored (each name
    /// and value, and a byte between each two).
    LabelsTooLong {
        /// The position, in the slice given, of the label that did not fit
        /// (labels are stored sorted by name, so the earlier names fit).
        index: usize,
    },
    /// A counter's or gauge's name is not a Prometheus metric name,
    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    InvalidMetricName,
    /// The name and labels are registered as the other kind (a counter as a
    /// gauge, or a gauge as a counter) in this tracker.
    KindMismatch,
    /// A new counter's or gauge's family would take a name that another
    /// family takes in an exposition, which would make it invalid ("second
    /// TYPE line"): its own name or one of its samples' (a counter `x`
    /// writes `x_total`; a histogram `x_count`, `x_sum`, `x_bucket`). The
    /// [`Clash`] says with which: perftrack's own families at the default
    /// prefix, or a counter or gauge registered before.
    NameClash(Clash),
}

impl fmt::Display for TrackerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full => f.write_str("tracker is full: every operation slot is taken by another name"),
            Self::NameTooLong => write!(f, "operation name is longer than {} bytes", MAX_NAME_LEN),
            Self::EmptyName => f.write_str("operation name is empty"),
            Self::InvalidLabelName { index } => {
                write!(f, "label {index} (from 0): a label name must match [a-zA-Z_][a-zA-Z0-9_]*")
            }
            Self::ReservedLabelName { index } => write!(
                f,
                "label {index} (from 0): the name is reserved: names starting with `__` are Prometheus's, and `operation`, `quantile` and `le` are perftrack's own",
            ),
            Self::DuplicateLabelName { index } => {
                write!(f, "label {index} (from 0): its name is given twice")
            }
            Self::TooManyLabels => f.write_str("more labels than perftrack::limits::MAX_LABELS allows"),
            Self::LabelsTooLong { index } => write!(
                f,
                "label {index} (from 0) does not fit: the labels take more bytes than perftrack::limits::MAX_LABELS_LEN allows (names, values and one byte between each two)",
            ),
            Self::InvalidMetricName => f.write_str("a counter's or gauge's name must match [a-zA-Z_:][a-zA-Z0-9_:]*"),
            Self::KindMismatch => {
                f.write_str("the name is already registered as the other kind (counter or gauge) in this tracker")
            }
            Self::NameClash(with) => write!(
                f,
                "the name would clash in the exposition with {with} (its family name or one of its samples': _total, _count, _sum, _bucket, _created)"
            ),
        }
    }
}

impl core::error::Error for TrackerError {}

impl From<BadName> for TrackerError {
    fn from(e: BadName) -> Self {
        match e {
            BadName::Empty => Self::EmptyName,
            BadName::TooLong => Self::NameTooLong,
        }
    }
}

/// What a counter's or gauge's name clashes with
/// ([`TrackerError::NameClash`](crate::TrackerError::NameClash)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Clash {
    /// perftrack's own family of this name (at the default prefix,
    /// `perftrack`), or one of its samples.
    Perftrack(&'static str),
    /// The counter registered `index`-th in this tracker (from 0, its place
    /// in [`metric_readings`](crate::Tracker::metric_readings)), or one of
    /// its samples (`_total`, `_created`).
    Counter {
        /// Its place in registration order.
        index: usize,
    },
    /// The gauge registered `index`-th in this tracker (from 0, its place
    /// in [`metric_readings`](crate::Tracker::metric_readings)).
    Gauge {
        /// Its place in registration order.
        index: usize,
    },
}

impl fmt::Display for Clash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Perftrack(name) => write!(f, "perftrack's own family `{name}`"),
            Self::Counter { index } => write!(f, "the counter registered at position {index}"),
            Self::Gauge { index } => write!(f, "the gauge registered at position {index}"),
        }
    }
}
