//! Code written against the `metrics` facade, recording into perftrack.
//!
//! ```text
//! cargo run --example metrics_bridge --features metrics
//! ```

use perftrack::{MetricsBridge, PerformanceTracker};

static TRACKER: PerformanceTracker = PerformanceTracker::new();

/// Existing application code: it knows nothing about perftrack.
fn handle(request: u64) {
    let t0 = std::time::Instant::now();
    let _ = (0..10_000 * (request % 4 + 1)).fold(0u64, |a, b| a.wrapping_add(core::hint::black_box(b)));
    metrics::histogram!("handle_request").record(t0.elapsed().as_secs_f64());
    metrics::counter!("requests_total").increment(1); // counters are ignored by the bridge
}

fn main() {
    metrics::set_global_recorder(MetricsBridge::new(&TRACKER)).expect("no other recorder installed");
    for r in 0..200 {
        handle(r);
    }
    TRACKER.print_report();
    assert_eq!(TRACKER.summary("handle_request").map(|s| s.count), Some(200));
}
