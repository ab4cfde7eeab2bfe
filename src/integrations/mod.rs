//! perftrack inside other crates' frameworks (std), one file or folder per
//! peer crate: the `metrics` facade, `prometheus-client`, `tracing`, hyper
//! (`serve`), axum, and inferno (flamegraphs).

#[cfg(feature = "axum")]
pub mod axum;
#[cfg(feature = "metrics")]
pub(crate) mod bridge;
#[cfg(feature = "prometheus-client")]
pub(crate) mod collector;
#[cfg(feature = "flamegraph")]
pub(crate) mod flamegraph;
#[cfg(feature = "http")]
pub(crate) mod serve;
#[cfg(feature = "tracing")]
pub(crate) mod tracing;
