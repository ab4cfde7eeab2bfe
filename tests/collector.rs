//! The prometheus-client `Collector`: a tracker joins an existing registry.
#![cfg(feature = "prometheus-client")]

use core::time::Duration;

use perftrack::{Tracker, integrations::PerftrackCollector};
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[test]
fn a_tracker_joins_an_existing_registry_beside_its_own_metrics() {
    static T: Tracker<4, 8> = Tracker::new();
    T.record("query", Duration::from_millis(2), 100).unwrap();
    T.record("query", Duration::from_millis(4), 300).unwrap();
    T.operation("idle").unwrap(); // registered, never recorded

    let mut registry = Registry::default();
    let g: Gauge = Gauge::default();
    g.set(7);
    registry.register("app_queue_depth", "Jobs waiting.", g);
    registry.register_collector(Box::new(PerftrackCollector::new(&T)));
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();

    for line in [
        "app_queue_depth 7",
        r#"perftrack_operation_duration_seconds_sum{operation="query"} 0.006"#,
        r#"perftrack_operation_duration_seconds_count{operation="query"} 2"#,
        r#"perftrack_operation_duration_seconds_bucket{le="+Inf",operation="query"} 2"#,
        r#"perftrack_operation_duration_min_seconds{operation="query"} 0.002"#,
        r#"perftrack_operation_duration_max_seconds{operation="query"} 0.004"#,
        r#"perftrack_operation_memory_bytes_sum{operation="query"} 400.0"#,
        r#"perftrack_operation_duration_seconds_count{operation="idle"} 0"#,
        "# EOF",
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
    }
    assert!(!text.contains(r#"min_seconds{operation="idle"}"#), "no extremes before the first record");
}

#[test]
fn a_registry_prefix_applies_to_perftrack_families_too() {
    static T: Tracker<2, 4> = Tracker::new();
    T.record("x", Duration::from_micros(1), 0).unwrap();
    let mut registry = Registry::with_prefix("svc");
    registry.register_collector(Box::new(PerftrackCollector::new(&T)));
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
    assert!(text.contains(r#"svc_perftrack_operation_duration_seconds_count{operation="x"} 1"#), "{text}");
}
