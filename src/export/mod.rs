//! What leaves the tracker as text or bytes: the printable [`report`], the
//! expositions, which all write the families of one schedule
//! ([`schedule`], [`crate::families`]) through an encoder each (OpenMetrics
//! text in [`openmetrics`], the Prometheus protobuf with native histograms
//! in [`protobuf`], and the choice between them in [`negotiate`]), their
//! options and classic buckets, folded stacks ([`folded`]), the unit
//! formatting the report uses ([`units`]), and `defmt::Format` for RTT
//! logging.

pub(crate) mod classic;
#[cfg(test)]
mod csv;
#[cfg(feature = "defmt")]
mod defmt;
pub(crate) mod folded;
pub(crate) mod negotiate;
pub(crate) mod openmetrics;
pub(crate) mod options;
pub(crate) mod protobuf;
pub(crate) mod report;
pub(crate) mod schedule;
pub(crate) mod units;
