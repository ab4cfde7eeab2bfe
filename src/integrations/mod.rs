//! perftrack inside other crates (std), each behind its feature: the
//! `metrics` facade (`MetricsBridge`), a prometheus-client `Collector`
//! (`PerftrackCollector`), a `tracing` layer (`PerftrackLayer`), axum
//! (the `axum` module, also at the crate root), and SVG flamegraphs drawn
//! by inferno (`FlameOptions`). The `/metrics` endpoint on hyper is the
//! crate root's `http` module.

// How it is built:
// perftrack inside other crates' frameworks (std), one file or folder per
// peer crate: the `metrics` facade, `prometheus-client`, `tracing`, hyper
// (`serve`), axum, and inferno (flamegraphs).

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

#[cfg(feature = "metrics")]
pub use bridge::{BridgeDrops, MetricsBridge};
#[cfg(feature = "prometheus-client")]
pub use collector::PerftrackCollector;
#[cfg(feature = "flamegraph")]
pub use flamegraph::FlameOptions;
#[cfg(feature = "tracing")]
pub use tracing::layer::PerftrackLayer;
