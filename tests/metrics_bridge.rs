//! The metrics-facade bridge: histograms land as operations; counters and
//! gauges are ignored; names perftrack cannot hold are dropped.
#![cfg(feature = "metrics")]

use core::time::Duration;

use perftrack::{MetricsBridge, Tracker};

#[test]
fn histograms_land_as_operations_with_values_in_seconds() {
    static T: Tracker<4, 16> = Tracker::new();
    let bridge = MetricsBridge::new(&T);
    metrics::with_local_recorder(&bridge, || {
        for ms in [1u64, 2, 3] {
            metrics::histogram!("db_query", "table" => "users").record(ms as f64 / 1e3);
        }
        metrics::histogram!("db_query", "table" => "orders").record(0.004);
    });
    let s = T.summary("db_query").unwrap();
    assert_eq!(s.count, 4, "labels do not split the operation");
    assert_eq!(s.total_duration, Duration::from_millis(10));
    assert_eq!(s.max_duration, Duration::from_millis(4));
}

#[test]
fn counters_and_gauges_are_ignored() {
    static T: Tracker<4, 16> = Tracker::new();
    metrics::with_local_recorder(&MetricsBridge::new(&T), || {
        metrics::counter!("requests").increment(5);
        metrics::gauge!("queue_depth").set(3.0);
    });
    assert!(T.is_empty());
}

#[test]
fn names_perftrack_cannot_hold_are_dropped_without_harm() {
    static T: Tracker<1, 4> = Tracker::new();
    metrics::with_local_recorder(&MetricsBridge::new(&T), || {
        metrics::histogram!("this_metric_name_is_longer_than_sixty_four_bytes_which_is_the_cap_here").record(1.0);
        metrics::histogram!("fits").record(1.0);
        metrics::histogram!("no_room_left").record(1.0); // the tracker is full now
        metrics::histogram!("fits").record(-5.0); // negative: recorded as zero
    });
    assert_eq!(T.len(), 1);
    let s = T.summary("fits").unwrap();
    assert_eq!((s.count, s.total_duration, s.min_duration), (2, Duration::from_secs(1), Duration::ZERO));
}
