//! The `tracing` integration: a `tracing-subscriber` layer whose closed
//! spans are records and call paths, and the table of call sites it
//! resolves to operations.

pub(crate) mod layer;
pub(crate) mod sites;
