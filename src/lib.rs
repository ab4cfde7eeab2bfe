//! Lock-free, `no_std`, fixed-capacity performance metrics for hot loops.
//!
//! A [`Tracker`] holds a fixed number of operation slots. Each slot keeps
//! exact lifetime aggregates (count, total, min, max, memory) and a ring of its
//! most recent records, striped over cache-line-padded shards. Recording is
//! wait-free: no locks, no allocation, no panics. Reading gives consistent
//! per-operation summaries, the raw recent records, and a printable report.
//!
//! ```
//! use perftrack::PerformanceTracker;
//! use core::time::Duration;
//!
//! static TRACKER: PerformanceTracker = PerformanceTracker::new();
//!
//! let op = TRACKER.operation("parse")?;          // resolve once
//! for i in 0..100u64 {
//!     op.record(Duration::from_micros(i), 128);  // wait-free
//! }
//! let s = op.summary();
//! assert_eq!(s.count, 100);
//! assert_eq!(s.max_duration, Duration::from_micros(99));
//! println!("{}", TRACKER.report());
//! # Ok::<(), perftrack::TrackerError>(())
//! ```
//!
//! See the README for the guarantees (I1–I7), the feature flags, the
//! footprint formula and the benchmarks.
#![no_std]
#![deny(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(any(feature = "std", test))]
extern crate std;

mod aggregate;
#[cfg(feature = "defmt")]
mod defmt;
mod error;
mod exclusive;
#[cfg(feature = "std")]
mod host;
mod name;
mod openmetrics;
mod operation;
mod padded;
mod registry;
mod report;
mod ring;
mod shard;
mod summary;
mod sync;
mod totals;
mod tracker;
mod window;

pub use error::TrackerError;
#[cfg(feature = "metrics")]
pub use host::MetricsBridge;
#[cfg(feature = "std")]
pub use host::{
    CpuUsage, ScopeGuard, Timed, Timer, cpu_usage, estimate_memory_usage, peak_memory_usage, try_cpu_usage,
    try_estimate_memory_usage, try_peak_memory_usage, try_thread_cpu_time,
};
#[cfg(all(feature = "std", feature = "serde"))]
pub use host::{HistoryError, Snapshot, append_json_lines, read_json_lines};
pub use name::{MAX_NAME_LEN, Name};
pub use openmetrics::OPENMETRICS_CONTENT_TYPE;
pub use operation::Operation;
pub use report::Report;
pub use summary::{MetricsSummary, PerformanceMetrics, Sample};
pub use tracker::Tracker;

/// Default number of operation slots in [`PerformanceTracker`].
pub const DEFAULT_OPS: usize = 32;

/// Default recent-window length (per shard) in [`PerformanceTracker`].
pub const DEFAULT_RING: usize = 64;

/// Default shards per operation: 8 with `std` (threads pick one each), 1
/// without (an MCU has one core, or passes its core index explicitly).
///
/// For more than 8 threads hammering one operation, name the shard count:
/// `Tracker<OPS, RING, 16>`.
pub const DEFAULT_SHARDS: usize = if cfg!(feature = "std") { 8 } else { 1 };

/// The tracker at the default capacity: [`DEFAULT_OPS`] operations,
/// [`DEFAULT_RING`] recent records, [`DEFAULT_SHARDS`] shards.
///
/// `PerformanceTracker::new()` needs no type annotations:
///
/// ```
/// use perftrack::PerformanceTracker;
/// use core::time::Duration;
///
/// let tracker = PerformanceTracker::new();
/// tracker.record("operation", Duration::from_millis(3), 1024).unwrap();
/// assert_eq!(tracker.summary("operation").unwrap().count, 1);
/// ```
pub type PerformanceTracker = Tracker<DEFAULT_OPS, DEFAULT_RING, DEFAULT_SHARDS>;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
