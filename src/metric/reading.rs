//! `MetricReading`: one counter's or gauge's value at one moment, with its
//! name and labels, as a plain value. What [`Tracker::metric_readings`]
//! yields (no allocation), what a history line keeps (`history.rs`), and what
//! a snapshot's report and `merge` read.
//!
//! [`Tracker::metric_readings`]: crate::Tracker::metric_readings

use crate::labels::Labels;
use crate::name::Name;

/// A counter's or a gauge's value.
///
/// Two gauge values are equal when their bits are ([`f64::to_bits`]): a
/// reading of `NaN` equals itself, so a snapshot read back equals the one
/// written.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "lowercase"))]
#[non_exhaustive]
pub enum MetricValue {
    /// A counter: the total of its increments (or the floor `absolute` set).
    Counter(u64),
    /// A gauge: the value last set, after the increments and decrements since.
    Gauge(#[cfg_attr(feature = "serde", serde(with = "gauge_json"))] f64),
}

impl PartialEq for MetricValue {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Counter(a), Self::Counter(b)) => a == b,
            (Self::Gauge(a), Self::Gauge(b)) => a.to_bits() == b.to_bits(),
            _ => false,
        }
    }
}

impl Eq for MetricValue {}

impl MetricValue {
    /// `self` and `other` added, for a fleet's total: two counters'
    /// values (saturating), or two gauges' (queue depths, open connections
    /// of many processes); `None` for a counter and a gauge.
    #[must_use]
    pub fn plus(self, other: Self) -> Option<Self> {
        match (self, other) {
            (Self::Counter(a), Self::Counter(b)) => Some(Self::Counter(a.saturating_add(b))),
            (Self::Gauge(a), Self::Gauge(b)) => Some(Self::Gauge(a + b)),
            _ => None,
        }
    }
}

/// One counter or gauge series at one moment: its name, its labels and its
/// value. A counter's name is its family's: without a trailing `_total`,
/// which [`Tracker::counter`](crate::Tracker::counter) drops and the
/// expositions add to the sample.
///
/// ```
/// use perftrack::{Tracker, metric::MetricValue};
///
/// static T: Tracker<4, 4> = Tracker::new();
/// T.counter_with_labels("requests_total", &[("route", "/a")])?.increment(3);
/// T.gauge("queue_depth")?.set(7.5);
/// let readings: Vec<_> = T.metric_readings().collect();
/// assert_eq!(readings[0].name.as_str(), "requests");
/// assert_eq!(readings[0].labels.to_string(), r#"{route="/a"}"#);
/// assert_eq!(readings[0].value, MetricValue::Counter(3));
/// assert_eq!(readings[1].value, MetricValue::Gauge(7.5));
/// # Ok::<(), perftrack::TrackerError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct MetricReading {
    /// The series' name.
    pub name: Name,
    /// The series' labels (empty for a series without).
    pub labels: Labels,
    /// Its kind and value.
    pub value: MetricValue,
}

impl MetricReading {
    /// A reading of `name` `labels` at `value`.
    #[must_use]
    pub fn new(name: Name, labels: Labels, value: MetricValue) -> Self {
        Self { name, labels, value }
    }
}

/// A gauge in JSON: a number when finite; `"NaN"`, `"+Inf"` or `"-Inf"`
/// otherwise, as the Prometheus text format spells them (a JSON number
/// cannot be one, and serde_json would write `null`, which reads back as
/// nothing).
#[cfg(feature = "serde")]
mod gauge_json {
    use core::fmt;

    use serde::de::{self, Visitor};
    use serde::{Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        match *v {
            v if v.is_finite() => s.serialize_f64(v),
            v if v.is_nan() => s.serialize_str("NaN"),
            v if v > 0.0 => s.serialize_str("+Inf"),
            _ => s.serialize_str("-Inf"),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = f64;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(r#"a number, "NaN", "+Inf" or "-Inf""#)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
                Ok(v)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
                Ok(v as f64)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
                Ok(v as f64)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
                match v {
                    "NaN" => Ok(f64::NAN),
                    "+Inf" => Ok(f64::INFINITY),
                    "-Inf" => Ok(f64::NEG_INFINITY),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
        }
        d.deserialize_any(V)
    }
}
