//! Lock-free, `no_std`, fixed-capacity performance metrics for hot loops.
//!
//! A [`Tracker`] holds a fixed number of operation slots. Each slot keeps
//! exact lifetime aggregates (count, total, min, max, memory), a histogram
//! of its durations over all of history on the Prometheus native-histogram
//! grid ([`Distribution`]: quantiles within 1/35), and a ring of its most recent records, striped over
//! cache-line-padded shards. Recording is wait-free: no locks, no allocation,
//! no panics. Reading gives consistent per-operation summaries with lifetime
//! quantiles, intervals between two of them ([`MetricsSummary::since`]), the
//! raw recent records, a printable report, and OpenMetrics histograms.
//!
//! Timed scopes nest: guards ([`Operation::time`] with `std`) and spans
//! ([`Operation::span_in`] without) also land in a fixed call-path table,
//! read as an indented call tree in the report, as folded stacks
//! ([`Tracker::write_folded`]) and, with the `flamegraph` feature, as an SVG
//! flamegraph; the `tracing` feature's `PerftrackLayer` fills it from
//! `tracing` spans.
//!
//! ```
//! use perftrack::DefaultTracker;
//! use core::time::Duration;
//!
//! static TRACKER: DefaultTracker = DefaultTracker::new();
//!
//! let op = TRACKER.operation("parse")?;          // resolve once
//! for i in 0..100u64 {
//!     op.record(Duration::from_micros(i), 128);  // wait-free
//! }
//! let s = op.summary();
//! assert_eq!(s.count, 100);
//! assert_eq!(s.max_duration, Duration::from_micros(99));
//! assert!(s.p99.abs_diff(Duration::from_micros(98)) <= Duration::from_micros(98) / 32);
//! println!("{}", TRACKER.report());
//! # Ok::<(), perftrack::TrackerError>(())
//! ```
//!
//! # Where to start
//!
//! | to | use |
//! |---|---|
//! | time every call of a function, in one line | `#[perftrack::measure]` (feature `macros`, on by default), into the process-wide [`global()`] tracker; `#[perftrack::measure_all]` for an `impl` block or module; `#[perftrack::main]` on `fn main` prints the report at exit |
//! | record a hot loop's own operation | [`Tracker::operation`] once, then [`Operation::record`] on every iteration |
//! | time a scope, a span or a future by hand | [`Operation::time`] (a guard), [`Timer`], [`Operation::instrument`] (a `Send` future); [`Operation::span_in`] without `std` |
//! | read what was recorded | [`Tracker::summaries`], [`Tracker::report`], [`Tracker::write_folded`], [`MetricsSummary::since`] for an interval |
//! | run a service's metrics | [`Tracker::operation_with_labels`], [`Tracker::counter`], [`Tracker::gauge`]; `perftrack::serve` (feature `http`) for `/metrics`, or [`Tracker::write_openmetrics`] and [`Tracker::write_protobuf`] (native histograms) into any sink |
//! | compare two runs | `history::Snapshot` (feature `serde`) and the `perftrack diff` command of the `perftrack-cli` crate |
//!
#![cfg_attr(
    feature = "macros",
    doc = r#"
One line per function, with the default features:

```
#[perftrack::measure] // every call timed, into perftrack::global()
fn parse(input: &str) -> usize {
    input.split(',').count()
}

parse("a,b");
parse("c");
// Named by the function's path within its crate: `parse` here, `parser::parse` in `mod parser`.
let parse = perftrack::global().summaries().find(|s| s.name.ends_with("parse")).unwrap();
assert_eq!(parse.count, 2);
```
"#
)]
//! # Guarantees
//!
//! These hold for every tracker; `docs/DESIGN.md` in the repository gives the
//! protocols behind them and names the test, loom model or miri
//! run that shows each one.
//!
//! * **I1 Exact at rest.** Once writers are done, count, total, min, max and
//!   memory are exact; no update is lost.
//! * **I2 Consistent snapshot.** A summary taken while writers run describes
//!   exactly one set of whole records, across all shards; its histogram holds
//!   the same records.
//! * **I3 Whole records in the window.** [`Operation::recent`] returns at most
//!   `RING` records, never torn, each really recorded.
//! * **I4 One slot per name.** Racing registrations of one name end in one
//!   slot; a full tracker answers [`TrackerError::Full`].
//! * **I5 Writers are wait-free.** A record on a resolved [`Operation`] takes
//!   a bounded number of steps, never blocks, allocates or panics, and
//!   saturates instead of overflowing.
//! * **I6 Readers never block writers**, and a reader's own wait is bounded
//!   by the writers already in flight.
//! * **I7 Fixed memory.** `size_of::<Tracker<OPS, RING, SHARDS, BUCKETS>>()` is the
//!   whole footprint ([`Tracker::FOOTPRINT`]).
//!
//! # Feature flags
//!
//! | feature | default | what it does |
//! |---|---|---|
//! | `macros` | on | `#[measure]`, `#[measure_all]`, `#[skip]` and `#[main]`, from the `perftrack-macros` crate (implies `std`) |
//! | `off` | off | those attributes expand to the item as written: an instrumented program links no perftrack code for them |
//! | `std` | on | the desktop/server layer: `Timer`, scoped guards, `Timed` futures, `/proc` and libc memory and CPU figures, `Tracker::boxed`, `PerformanceTracker` and `global()` (heap trackers of `THREAD_SHARDS` = 8 shards), a shard owned by each recording thread, written with no atomic RMW, and the [`timeline`]. Features only add: no type changes with `std` (`DEFAULT_SHARDS` is 1 in every build) |
//! | `defmt` | off | `defmt::Format` for the public value types and the report |
//! | `serde` | off | `Serialize`/`Deserialize` for the value types; with `std`, JSON-lines history |
//! | `metrics` | off | `MetricsBridge`, a `metrics`-facade recorder (implies `std`) |
//! | `prometheus-client` | off | `PerftrackCollector`, a `prometheus-client` `Collector` (implies `std`) |
//! | `flamegraph` | off | `Tracker::write_flamegraph`: the call tree as an SVG, drawn by inferno (CDDL-1.0; implies `std`) |
//! | `tracing` | off | `PerftrackLayer`, a `tracing-subscriber` layer: spans become records and call paths (implies `std`) |
//! | `axum` | off | `axum::layer`, a tower layer that times every request of an axum router (method, matched route, status; in-flight gauge; response bytes), and `axum::metrics`, `/metrics` on the router itself (implies `std`) |
//! | `http` | off | `perftrack::serve`: `/metrics` (OpenMetrics text, or protobuf with native histograms, by the scraper's `Accept`) and `/report` over HTTP, on hyper with limits on every client (`serve_with`, `ServeOptions`) (implies `std`) |
//! | `critical-section` | off | passes through to portable-atomic: atomics on chips without CAS through your `critical-section` implementation |
//! | `unsafe-assume-single-core` | off | passes through to portable-atomic: atomics on single-core chips by disabling interrupts |
//!
//! A library never turns on the last two: the final binary chooses, here or
//! on portable-atomic directly. `docs/GUIDE.md` ("Embedded") says which chip
//! needs which.
#![no_std]
#![deny(unsafe_code)]
// The core is one body of code in every build (`platform/` is the one hook
// that differs): the pieces of it only the std layer calls (guards'
// cancelled calls, async idle time, call sites' cached slots) are unused
// without `std`. Every build with `std` still reports dead code.
#![cfg_attr(not(feature = "std"), allow(dead_code))]
// Every example in these docs and in the README compiles warning-free.
#![doc(test(attr(deny(warnings))))]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(any(feature = "std", test))]
extern crate std;

mod backoff;
pub mod clock;
#[cfg(all(feature = "std", feature = "serde"))]
pub mod compare;
mod error;
pub mod export;
mod families;
mod hints;
pub mod histogram;
#[cfg(all(feature = "std", feature = "serde"))]
pub mod history;
#[cfg(feature = "std")]
pub mod instrument;
#[cfg(feature = "std")]
pub mod integrations;
mod labels;
pub mod metric;
mod name;
mod operation;
#[cfg(feature = "std")]
pub mod os;
mod paths;
mod platform;
mod record;
mod registry;
mod span;
mod summary;
mod sync;
#[cfg(feature = "std")]
pub mod timeline;
mod tracker;

/// The `heapless` crate whose types appear in this API (`heapless::Vec`,
/// `heapless::String`), re-exported so that users need no matching
/// dependency of their own.
pub use heapless;

pub use error::{Clash, TrackerError};
pub use histogram::distribution::Distribution;
#[cfg(feature = "std")]
pub use instrument::performance::{PerformanceTracker, global};
#[cfg(feature = "std")]
pub use instrument::timer::Timer;
#[cfg(feature = "axum")]
pub use integrations::axum;
#[cfg(feature = "http")]
pub use integrations::serve::serve;
pub use labels::Labels;
pub use metric::counter::Counter;
pub use metric::gauge::Gauge;
pub use name::Name;
pub use operation::Operation;
#[cfg(feature = "std")]
pub use os::process::estimate_memory_usage;
pub use span::Span;
pub use summary::{MetricsSummary, RecentRecord, Sample};
pub use tracker::{DEFAULT_SHARDS, DefaultTracker, Refusals, THREAD_SHARDS, Tracker};

#[cfg(feature = "macros")]
pub use perftrack_macros::{main, measure, measure_all, skip};

/// The `/metrics` endpoint (feature `http`): [`serve`] with the defaults,
/// [`serve_with`](http::serve_with) and [`ServeOptions`](http::ServeOptions)
/// for a prefix, constant labels, other classic buckets and the limits on
/// each client, and the running [`Server`](http::Server).
#[cfg(feature = "http")]
pub mod http {
    pub use crate::integrations::serve::{ServeOptions, Server, serve, serve_with};
}

/// The fixed capacities, and the defaults of [`Tracker`]'s parameters but
/// the shard count ([`DEFAULT_SHARDS`], at the root).
pub mod limits {
    pub use crate::labels::{MAX_LABELS, MAX_LABELS_LEN};
    pub use crate::name::MAX_NAME_LEN;
    pub use crate::paths::{MAX_DEPTH, PATHS_PER_OP};
    pub use crate::tracker::{DEFAULT_OPS, DEFAULT_RING};
}

/// What most programs name: `use perftrack::prelude::*;`.
pub mod prelude {
    #[cfg(feature = "std")]
    pub use crate::instrument::performance::{PerformanceTracker, global};
    #[cfg(feature = "std")]
    pub use crate::instrument::timer::Timer;
    pub use crate::metric::counter::Counter;
    pub use crate::metric::gauge::Gauge;
    pub use crate::operation::Operation;
    pub use crate::summary::{MetricsSummary, Sample};
    pub use crate::tracker::{DefaultTracker, THREAD_SHARDS, Tracker};
    pub use crate::{Labels, TrackerError};
}

/// What the `perftrack-macros` expansions call: not a public API, and not
/// covered by semantic versioning.
#[cfg(feature = "std")]
#[doc(hidden)]
pub mod __private {
    pub use crate::instrument::callsite::{CallSite, SiteName};
    #[cfg(feature = "macros")]
    pub use crate::instrument::exit::ReportAtExit;
    pub use crate::instrument::future::{MaybeTimed, output};
    // For tests/fork.rs: whether a signal landed inside a section.
    pub use crate::platform::section_depth;
}

// The README's and the guide's recipes use the JSON history (`serde`), which
// the workspace's test run turns on through perftrack-cli, as the full
// suite's feature run does.
#[cfg(all(doctest, feature = "serde", feature = "http"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(all(doctest, feature = "serde"))]
#[doc = include_str!("../docs/GUIDE.md")]
struct GuideDoctests;

/// This thread's owner hint (`platform/owner.rs`): a token below the shard count owns
/// that shard. For the loom models only, which check each thread's role.
#[cfg(perftrack_loom)]
#[doc(hidden)]
pub fn loom_thread_hint() -> usize {
    platform::thread_hint()
}

/// What a thread's exit does with `std`: gives its owner token back. For the
/// loom models only, whose recording threads call it as their last step.
#[cfg(perftrack_loom)]
#[doc(hidden)]
pub fn loom_thread_exit() {
    platform::model::thread_exit();
}
