//! What leaves a tracker as text or bytes: the OpenMetrics text
//! ([`Tracker::write_openmetrics`](crate::Tracker::write_openmetrics)) and
//! the Prometheus protobuf with native histograms
//! ([`Tracker::write_protobuf`](crate::Tracker::write_protobuf)), their
//! [`ExportOptions`] and content types, the choice between them by a
//! scraper's `Accept` header ([`Exposition`]), folded stacks for
//! flamegraphs ([`Weight`]), and the printable [`Report`]. Every format
//! writes the same families, from one schedule.

// How it is built:
// What leaves the tracker as text or bytes: the printable [`report`], the
// expositions, which all write the families of one schedule
// ([`schedule`], [`crate::families`]) through an encoder each (OpenMetrics
// text in [`openmetrics`], the Prometheus protobuf with native histograms
// in [`protobuf`], and the choice between them in [`negotiate`]), their
// options and classic buckets, folded stacks ([`folded`]), the unit
// formatting the report uses ([`units`]), and `defmt::Format` for RTT
// logging.

pub(crate) mod classic;
#[cfg(test)]
mod csv;
#[cfg(feature = "defmt")]
mod defmt;
pub(crate) mod folded;
// The writers' std adapters (a `Vec` or an `io::Write` as a sink).
#[cfg(feature = "std")]
mod io;
pub(crate) mod negotiate;
pub(crate) mod openmetrics;
pub(crate) mod options;
pub(crate) mod protobuf;
pub(crate) mod report;
pub(crate) mod schedule;
pub(crate) mod units;

pub use folded::{FOLDED_BLANK, FOLDED_SEMICOLON, Weight};
#[cfg(feature = "std")]
pub use io::IoSink;
pub use negotiate::Exposition;
pub use openmetrics::OPENMETRICS_CONTENT_TYPE;
pub use options::ExportOptions;
pub use protobuf::{ByteSink, PROTOBUF_CONTENT_TYPE, ProtobufError};
pub use report::Report;
