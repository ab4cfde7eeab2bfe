//! The std layer: timers, scoped guards, futures, OS memory and CPU figures,
//! and the `HashMap`/stdout conveniences. The core stays `no_std`.

// The one module with `unsafe`: a `GlobalAlloc` impl cannot be written without it.
#[allow(unsafe_code)]
pub(crate) mod alloc;
#[cfg(feature = "axum")]
pub mod axum;
// `measure_block!`, exported at the crate root.
mod block;
mod boxed;
// Only where the TSC may be the clock, and for its tests.
#[cfg(feature = "metrics")]
pub(crate) mod bridge;
#[cfg(any(test, all(target_arch = "x86_64", target_os = "linux", not(miri))))]
mod calibration;
pub(crate) mod callsite;
pub(crate) mod clock;
#[cfg(feature = "prometheus-client")]
pub(crate) mod collector;
pub(crate) mod exit;
#[cfg(feature = "flamegraph")]
pub(crate) mod flamegraph;
pub(crate) mod future;
pub(crate) mod guard;
#[cfg(feature = "serde")]
pub(crate) mod history;
#[cfg(feature = "tracing")]
pub(crate) mod layer;
pub(crate) mod os;
pub(crate) mod performance;
#[cfg(feature = "http")]
pub(crate) mod serve;
#[cfg(feature = "tracing")]
pub(crate) mod sites;
pub(crate) mod timer;
pub(crate) mod warn;

use std::collections::HashMap;
use std::string::String;

use crate::summary::MetricsSummary;
use crate::tracker::Tracker;

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>
    Tracker<OPS, RING, SHARDS, BUCKETS>
{
    /// Every operation's summary, by name (a labelled series by its name and
    /// labels, `requests{route="/a"}`): kept for the original design's
    /// users. It allocates the map; [`summaries`](Tracker::summaries) is the
    /// primary API and does not.
    ///
    /// ```
    /// use perftrack::PerformanceTracker;
    /// use std::time::Duration;
    ///
    /// let tracker = PerformanceTracker::boxed();
    /// tracker.record("a", Duration::from_millis(1), 0).unwrap();
    /// let map = tracker.get_summary();
    /// assert_eq!(map["a"].count, 1);
    /// ```
    #[must_use]
    pub fn get_summary(&self) -> HashMap<String, MetricsSummary<BUCKETS>> {
        self.summaries().map(|s| (std::format!("{}{}", s.name, s.labels), s)).collect()
    }

    /// Prints the report table (`=== Performance Report ===`, then one aligned
    /// row per operation) to stdout: kept for the original design's users;
    /// [`report`](Tracker::report) is the primary API and writes anywhere.
    pub fn print_report(&self) {
        std::print!("{}", self.report());
    }
}
