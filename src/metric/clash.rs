//! Names that would put two families under one name in an exposition.
//!
//! A family takes its own name and the names of its samples: a counter `x`
//! takes `x`, `x_total` and `x_created`; a gauge only `x`; a histogram
//! `x`, `x_bucket`, `x_count`, `x_sum` and `x_created`; a summary `x`,
//! `x_count`, `x_sum` and `x_created` (OpenMetrics 1.0, and what Prometheus's
//! text parser and promtool read as one family). Two families whose names
//! meet make the exposition invalid ("second TYPE line"), so a counter or
//! gauge whose name would meet another family's is refused when it is
//! registered ([`Tracker::counter`](crate::Tracker::counter)), and the
//! writers leave out any that still does under the prefix an export chose.
//!
//! Nothing here allocates: a name is a few pieces compared byte by byte.

use crate::families::{Family, OWN_DEFAULT_NAMES, OWN_FAMILIES, Shape};
use crate::metric::Kind;

impl Shape {
    /// The suffixes its samples add to the family's name, beside the name
    /// itself.
    const fn suffixes(self) -> &'static [&'static str] {
        match self {
            Self::Counter => &["_total", "_created"],
            Self::Gauge => &[],
            Self::Histogram => &["_bucket", "_count", "_sum", "_created"],
            Self::Summary => &["_count", "_sum", "_created"],
        }
    }

    /// The shape of a counter's or gauge's family.
    pub(crate) const fn of(kind: Kind) -> Self {
        match kind {
            Kind::Counter => Self::Counter,
            Kind::Gauge => Self::Gauge,
        }
    }
}

/// A family's name in pieces, joined without separators.
#[derive(Clone, Copy)]
pub(crate) struct Pieces<'a>([&'a str; 5]);

impl<'a> Pieces<'a> {
    /// A counter's or gauge's name, as it is.
    pub(crate) const fn plain(name: &'a str) -> Self {
        Self([name, "", "", "", ""])
    }

    /// An own family's name under `prefix`.
    pub(crate) fn own(prefix: &'a str, family: &Family<'a>) -> Self {
        Self(family.under(prefix).pieces())
    }

    fn bytes(self) -> impl Iterator<Item = u8> + 'a {
        self.0.into_iter().flat_map(str::bytes)
    }

    fn len(&self) -> usize {
        self.0.iter().map(|p| p.len()).sum()
    }
}

/// Whether families `a` and `b` take a name in common.
pub(crate) fn meet(a: Pieces<'_>, a_shape: Shape, b: Pieces<'_>, b_shape: Shape) -> bool {
    let (a_len, b_len) = (a.len(), b.len());
    [""].iter().chain(a_shape.suffixes()).any(|sa| {
        [""].iter().chain(b_shape.suffixes()).any(|sb| {
            a_len + sa.len() == b_len + sb.len() && a.bytes().chain(sa.bytes()).eq(b.bytes().chain(sb.bytes()))
        })
    })
}

/// The own family, under `prefix`, that a counter's or gauge's family
/// `name` would meet, if any: by its name at the default prefix.
pub(crate) fn own_met_by(prefix: &str, name: &str, kind: Kind) -> Option<&'static str> {
    OWN_FAMILIES
        .iter()
        .zip(OWN_DEFAULT_NAMES)
        .find(|(own, _)| meet(Pieces::plain(name), Shape::of(kind), Pieces::own(prefix, own), own.shape))
        .map(|(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::{Pieces, Shape, meet, own_met_by};
    use crate::families::DEFAULT_PREFIX;
    use crate::metric::Kind;

    #[test]
    fn a_family_meets_another_through_its_name_or_its_samples() {
        let (c, g, h, s) = (Shape::Counter, Shape::Gauge, Shape::Histogram, Shape::Summary);
        let p = Pieces::plain;
        assert!(meet(p("x"), c, p("x_total"), g), "counter x's sample x_total");
        assert!(meet(p("x"), g, p("x"), c), "one name, two kinds");
        assert!(meet(p("lat_seconds_count"), g, p("lat_seconds"), h), "a histogram's sample");
        assert!(meet(p("m_sum"), c, p("m"), s), "a summary's sample");
        assert!(meet(p("a_created"), g, p("a"), c));
        assert!(!meet(p("x"), c, p("xy"), g));
        assert!(meet(p("x_total"), g, p("x_total"), g), "a family meets itself");
        assert!(!meet(p("requests"), c, p("requests_in_flight"), g));
    }

    #[test]
    fn the_default_names_are_checked_and_another_prefix_moves_them() {
        assert_eq!(
            own_met_by(DEFAULT_PREFIX, "perftrack_operation_memory_bytes", Kind::Gauge),
            Some("perftrack_operation_memory_bytes")
        );
        assert!(own_met_by(DEFAULT_PREFIX, "perftrack_operation_duration_seconds", Kind::Counter).is_some());
        assert!(own_met_by(DEFAULT_PREFIX, "perftrack_operation_duration_seconds_count", Kind::Gauge).is_some());
        assert!(own_met_by(DEFAULT_PREFIX, "perftrack_operation_duration", Kind::Gauge).is_none());
        assert!(own_met_by("app", "perftrack_operation_memory_bytes", Kind::Gauge).is_none());
        assert!(own_met_by("app", "app_operation_cancelled_total", Kind::Gauge).is_some());
        assert!(own_met_by("app", "app_operation_cancelled_seconds", Kind::Gauge).is_some());
        assert!(own_met_by("app", "app_operation_memory_bytes_sum", Kind::Gauge).is_some());
    }
}
