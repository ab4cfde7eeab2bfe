//! The metrics-facade bridge: histograms land as labelled operations,
//! counters and gauges as perftrack's, labels as labels and units kept;
//! whatever perftrack cannot hold is counted and named.
#![cfg(feature = "metrics")]

use core::time::Duration;

use perftrack::{Tracker, integrations::MetricsBridge};

#[test]
fn labels_make_labelled_series_exported_with_their_labels() {
    static T: Tracker<4, 16> = Tracker::new();
    let bridge = MetricsBridge::new(&T);
    metrics::with_local_recorder(&bridge, || {
        for ms in [1u64, 2, 3] {
            metrics::histogram!("req", "route" => "/a").record(ms as f64 / 1e3);
        }
        metrics::histogram!("req", "route" => "/b", "method" => "GET").record(0.004);
        metrics::histogram!("req").record(0.005);
    });
    let a = T.operation_with_labels("req", &[("route", "/a")]).unwrap().summary();
    assert_eq!((a.count, a.total_duration), (3, Duration::from_millis(6)));
    let b = T.operation_with_labels("req", &[("method", "GET"), ("route", "/b")]).unwrap().summary();
    assert_eq!((b.count, b.max_duration), (1, Duration::from_millis(4)));
    assert_eq!(T.summary("req").unwrap().count, 1);
    assert_eq!(bridge.drops(), Default::default());
    let mut text = String::new();
    T.write_openmetrics(&mut text).unwrap();
    assert!(text.contains(r#"perftrack_operation_duration_seconds_count{operation="req",method="GET",route="/b"} 1"#));
}

#[test]
fn counters_and_gauges_are_recorded_with_their_labels() {
    static T: Tracker<4, 16> = Tracker::new();
    let bridge = MetricsBridge::new(&T);
    metrics::with_local_recorder(&bridge, || {
        metrics::counter!("requests", "status" => "200").increment(5);
        metrics::counter!("requests", "status" => "200").increment(2);
        metrics::counter!("requests", "status" => "500").increment(1);
        metrics::counter!("kernel_drops").absolute(9);
        metrics::gauge!("queue_depth").set(3.0);
        metrics::gauge!("queue_depth").increment(2.0);
        metrics::gauge!("queue_depth").decrement(0.5);
    });
    assert_eq!(T.counter_with_labels("requests", &[("status", "200")]).unwrap().get(), 7);
    assert_eq!(T.counter_with_labels("requests", &[("status", "500")]).unwrap().get(), 1);
    assert_eq!(T.counter("kernel_drops").unwrap().get(), 9);
    assert_eq!(T.gauge("queue_depth").unwrap().get(), 4.5);
    assert_eq!(bridge.drops(), Default::default());
    let mut text = String::new();
    T.write_openmetrics(&mut text).unwrap();
    assert!(text.contains("requests_total{status=\"200\"} 7\n"), "{text}");
    assert!(text.contains("queue_depth 4.5\n"), "{text}");
}

#[test]
fn units_are_honoured_bytes_become_memory_and_milliseconds_time() {
    static T: Tracker<4, 16> = Tracker::new();
    let bridge = MetricsBridge::new(&T);
    metrics::with_local_recorder(&bridge, || {
        metrics::describe_histogram!("payload", metrics::Unit::Bytes, "request body size");
        metrics::describe_histogram!("latency", metrics::Unit::Milliseconds, "handler time");
        metrics::describe_histogram!("kib", metrics::Unit::Kibibytes, "cache entry");
        metrics::histogram!("payload").record(1500.0);
        metrics::histogram!("payload").record(500.0);
        metrics::histogram!("latency").record(2.5);
        metrics::histogram!("kib").record(2.0);
    });
    let p = T.summary("payload").unwrap();
    assert_eq!((p.count, p.total_memory, p.total_duration), (2, 2000, Duration::ZERO));
    assert_eq!(T.summary("latency").unwrap().total_duration, Duration::from_micros(2500));
    assert_eq!(T.summary("kib").unwrap().total_memory, 2048);
}

#[test]
fn every_drop_is_counted_by_reason() {
    static T: Tracker<1, 4> = Tracker::new();
    let bridge = MetricsBridge::new(&T);
    metrics::with_local_recorder(&bridge, || {
        metrics::histogram!("this_metric_name_is_longer_than_sixty_four_bytes_which_is_the_cap_here").record(1.0);
        metrics::histogram!("fits").record(1.0);
        metrics::histogram!("no_room_left").record(1.0); // the tracker is full now
        metrics::histogram!("no_room_left").record(2.0);
        metrics::describe_histogram!("ratio", metrics::Unit::Percent, "not a time");
        metrics::histogram!("ratio").record(50.0);
        metrics::counter!("requests").increment(5); // the one counter slot
        metrics::counter!("bad-name").increment(1);
        metrics::gauge!("queue_depth").set(3.0); // no slot left for it
        metrics::counter!("labelled", "__reserved" => "x").absolute(9);
        metrics::histogram!("fits").record(-5.0); // negative: recorded as zero
    });
    assert_eq!(T.len(), 1);
    let s = T.summary("fits").unwrap();
    assert_eq!((s.count, s.total_duration, s.min_duration), (2, Duration::from_secs(1), Duration::ZERO));
    assert_eq!(T.counter("requests").unwrap().get(), 5);
    let d = bridge.drops();
    assert_eq!(
        (d.bad_name, d.bad_labels, d.tracker_full, d.unsupported_unit, d.counters, d.gauges),
        (2, 1, 3, 1, 2, 1)
    );
}
