//! The std layer: timers, scoped guards, futures, OS memory and CPU figures,
//! and the `HashMap`/stdout conveniences. The core stays `no_std`.

#[cfg(feature = "metrics")]
mod bridge;
mod future;
mod guard;
#[cfg(feature = "serde")]
mod history;
mod os;
mod timer;

use std::collections::HashMap;
use std::string::{String, ToString};

#[cfg(feature = "metrics")]
pub use bridge::MetricsBridge;
pub use future::Timed;
pub use guard::ScopeGuard;
#[cfg(feature = "serde")]
pub use history::{HistoryError, Snapshot, append_json_lines, read_json_lines};
pub use os::{
    CpuUsage, cpu_usage, estimate_memory_usage, peak_memory_usage, try_cpu_usage, try_estimate_memory_usage,
    try_peak_memory_usage, try_thread_cpu_time,
};
pub use timer::Timer;

use crate::{MetricsSummary, Tracker};

impl<const OPS: usize, const RING: usize, const SHARDS: usize> Tracker<OPS, RING, SHARDS> {
    /// Every operation's summary, by name. (This getter allocates the map; the
    /// no_std [`summaries`](Tracker::summaries) does not.)
    ///
    /// ```
    /// use perftrack::PerformanceTracker;
    /// use std::time::Duration;
    ///
    /// let tracker = PerformanceTracker::new();
    /// tracker.record("a", Duration::from_millis(1), 0).unwrap();
    /// let map = tracker.get_summary();
    /// assert_eq!(map["a"].count, 1);
    /// ```
    #[must_use]
    pub fn get_summary(&self) -> HashMap<String, MetricsSummary> {
        self.summaries().into_iter().map(|s| (s.name.to_string(), s)).collect()
    }

    /// Prints the report table (`=== Performance Report ===`, then one aligned
    /// row per operation) to stdout.
    pub fn print_report(&self) {
        std::print!("{}", self.report());
    }
}
