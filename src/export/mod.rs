//! What leaves the tracker as text or bytes: the printable [`report`], the
//! OpenMetrics exposition ([`openmetrics`]), the Prometheus protobuf
//! exposition with native histograms ([`protobuf`]) and the choice
//! between the two ([`negotiate`]), folded stacks ([`folded`]), the
//! unit formatting the report uses ([`units`]), and `defmt::Format` for RTT
//! logging.

#[cfg(feature = "defmt")]
mod defmt;
pub(crate) mod folded;
pub(crate) mod negotiate;
pub(crate) mod openmetrics;
pub(crate) mod protobuf;
pub(crate) mod report;
pub(crate) mod units;
