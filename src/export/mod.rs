//! What leaves the tracker as text: the printable [`report`], the
//! OpenMetrics exposition ([`openmetrics`]), folded stacks ([`folded`]), the
//! unit formatting the report uses ([`units`]), and `defmt::Format` for RTT
//! logging.

#[cfg(feature = "defmt")]
mod defmt;
pub(crate) mod folded;
pub(crate) mod openmetrics;
pub(crate) mod report;
pub(crate) mod units;
