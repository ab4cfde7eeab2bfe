//! Code written against the `metrics` facade, recording into perftrack.
//!
//! ```text
//! cargo run --example metrics_bridge --features metrics
//! ```

use perftrack::{PerformanceTracker, integrations::MetricsBridge};

static TRACKER: PerformanceTracker = PerformanceTracker::new();

/// Existing application code: it knows nothing about perftrack.
fn handle(request: u64) {
    let t0 = std::time::Instant::now();
    let _ = (0..10_000 * (request % 4 + 1)).fold(0u64, |a, b| a.wrapping_add(core::hint::black_box(b)));
    let route = if request.is_multiple_of(2) { "/a" } else { "/b" };
    metrics::histogram!("handle_request", "route" => route).record(t0.elapsed().as_secs_f64());
    metrics::histogram!("response_size").record((512 * (request % 3 + 1)) as f64);
    metrics::counter!("requests_total", "route" => route).increment(1); // a perftrack counter
}

fn main() {
    let bridge = MetricsBridge::new(&TRACKER);
    metrics::set_global_recorder(bridge.clone()).expect("no other recorder installed");
    metrics::describe_histogram!("response_size", metrics::Unit::Bytes, "response body");
    for r in 0..200 {
        handle(r);
    }
    TRACKER.print_report();
    assert_eq!(
        TRACKER.operation_with_labels("handle_request", &[("route", "/a")]).map(|op| op.summary().count),
        Ok(100)
    );
    assert_eq!(TRACKER.summary("response_size").map(|s| s.total_memory), Some(512 * (67 + 2 * 67 + 3 * 66)));
    assert_eq!(TRACKER.counter_with_labels("requests", &[("route", "/b")]).map(|c| c.get()), Ok(100));
    assert_eq!(bridge.drops(), perftrack::integrations::BridgeDrops::default(), "nothing dropped");
    let mut text = String::new();
    TRACKER.write_openmetrics(&mut text).expect("a String takes any text");
    print!("{text}");
}
