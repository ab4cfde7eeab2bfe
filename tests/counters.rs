//! Counters and gauges: exact under threads, their errors, their families
//! in the text exposition, and their table in the report.

use core::time::Duration;

use perftrack::{Tracker, TrackerError};

#[test]
fn eight_threads_adding_to_one_counter_lose_nothing_and_a_reader_never_sees_it_fall() {
    let t = Tracker::<4, 8>::boxed();
    let c = t.counter("events").unwrap();
    let done = core::sync::atomic::AtomicBool::new(false);
    // The writers start once the reader is reading: on a busy machine the
    // reader's thread could otherwise first run after they are all done.
    let reading = std::sync::Barrier::new(2);
    std::thread::scope(|s| {
        let reader = s.spawn(|| {
            let mut last = c.get();
            reading.wait();
            while !done.load(core::sync::atomic::Ordering::Relaxed) {
                let now = c.get();
                assert!(now >= last, "a counter ran backwards: {last} then {now}");
                last = now;
            }
            last
        });
        reading.wait();
        let writers: Vec<_> =
            (0..8).map(|i| s.spawn(move || (0..100_000u64).for_each(|k| c.increment(1 + (k + i) % 3)))).collect();
        for w in writers {
            w.join().unwrap();
        }
        done.store(true, core::sync::atomic::Ordering::Relaxed);
        let last = reader.join().unwrap();
        assert!(last <= c.get(), "the reader saw more than was ever added");
    });
    let truth: u64 = (0..8u64).map(|i| (0..100_000u64).map(|k| 1 + (k + i) % 3).sum::<u64>()).sum();
    assert_eq!(c.get(), truth);
}

#[test]
fn absolute_raises_a_counter_and_never_lowers_it() {
    let t: Tracker<2, 4> = Tracker::new();
    let c = t.counter("kernel_drops").unwrap();
    c.absolute(10);
    c.absolute(7);
    assert_eq!(c.get(), 10);
    c.absolute(15);
    assert_eq!(c.get(), 15);
}

#[test]
fn a_gauge_is_exact_under_concurrent_increments_and_decrements() {
    let t = Tracker::<4, 8>::boxed();
    let g = t.gauge("in_flight").unwrap();
    g.set(100.0);
    // The threads start together, so their additions overlap on the one
    // word (a lost update needs two at once).
    let start = std::sync::Barrier::new(4);
    std::thread::scope(|s| {
        for i in 0..4 {
            let start = &start;
            s.spawn(move || {
                start.wait();
                for _ in 0..250_000 {
                    if i % 2 == 0 { g.increment(1.0) } else { g.decrement(1.0) }
                }
            });
        }
    });
    assert_eq!(g.get(), 100.0);
    g.increment(0.5);
    assert_eq!(t.gauge("in_flight").unwrap().get(), 100.5);
}

#[test]
fn names_kinds_and_capacity_are_checked_and_total_is_one_counter() {
    let t: Tracker<2, 4> = Tracker::new();
    assert_eq!(t.counter("bad-name").unwrap_err(), TrackerError::InvalidMetricName);
    assert_eq!(t.gauge("1x").unwrap_err(), TrackerError::InvalidMetricName);
    assert_eq!(t.counter("").unwrap_err(), TrackerError::EmptyName);
    assert_eq!(t.counter_with_labels("ok", &[("__x", "1")]).unwrap_err(), TrackerError::ReservedLabelName { index: 0 });
    t.counter("bytes_sent_total").unwrap().increment(3);
    assert_eq!(t.counter("bytes_sent").unwrap().get(), 3, "the same counter, with or without _total");
    assert_eq!(t.gauge("bytes_sent").unwrap_err(), TrackerError::KindMismatch);
    t.gauge("depth").unwrap();
    assert_eq!(t.counter("third").unwrap_err(), TrackerError::Full);
    // Operations have their own slots.
    t.record("op", Duration::from_nanos(1), 0).unwrap();
    assert!(TrackerError::KindMismatch.to_string().contains("counter or gauge"));
}

#[test]
fn the_text_exposition_has_a_family_per_name_with_every_series() {
    let t: Tracker<8, 4> = Tracker::new();
    t.record("op", Duration::from_micros(3), 0).unwrap();
    for (status, n) in [("200", 5), ("500", 2)] {
        t.counter_with_labels("http_requests", &[("status", status)]).unwrap().increment(n);
    }
    t.gauge("queue_depth").unwrap().set(3.5);
    t.gauge_with_labels("temperature", &[("zone", "a \"b\"")]).unwrap().set(-1.25);
    t.gauge("ratio").unwrap().set(f64::INFINITY);
    let mut text = String::new();
    t.write_openmetrics_with(&mut text, &perftrack::export::ExportOptions::new().labels(&[("instance", "i1")]))
        .unwrap();
    let tail = &text[text.find("# TYPE http_requests").unwrap()..];
    assert_eq!(
        tail,
        "# TYPE http_requests counter\n\
         # HELP http_requests A counter of this process.\n\
         http_requests_total{instance=\"i1\",status=\"200\"} 5\n\
         http_requests_total{instance=\"i1\",status=\"500\"} 2\n\
         # TYPE queue_depth gauge\n\
         # HELP queue_depth A gauge of this process.\n\
         queue_depth{instance=\"i1\"} 3.5\n\
         # TYPE temperature gauge\n\
         # HELP temperature A gauge of this process.\n\
         temperature{instance=\"i1\",zone=\"a \\\"b\\\"\"} -1.25\n\
         # TYPE ratio gauge\n\
         # HELP ratio A gauge of this process.\n\
         ratio{instance=\"i1\"} +Inf\n\
         # EOF\n"
    );
}

#[test]
fn the_report_lists_every_counter_and_gauge_series_after_the_operations() {
    let t = Tracker::<4, 8>::boxed();
    t.record("parse", Duration::from_micros(3), 0).unwrap();
    t.counter("bytes_sent").unwrap().increment(1_500);
    t.gauge("queue_depth").unwrap().set(3.0);
    t.counter_with_labels("requests", &[("status", "200")]).unwrap().increment(7);
    t.gauge_with_labels("queue_depth", &[("pool", "b")]).unwrap().set(-2.5);
    let text = t.report().to_string();
    let lines: Vec<&str> = text.lines().collect();
    let header = lines.iter().position(|l| l.starts_with("Counter or gauge")).expect("a counters table");
    assert!(lines[header].ends_with("Kind        Value"), "{text}");
    assert!(lines.iter().position(|l| l.starts_with("parse")).unwrap() < header, "operations first:\n{text}");
    let rows: Vec<Vec<&str>> = lines[header + 2..].iter().map(|l| l.split_whitespace().collect()).collect();
    // In the order they were registered.
    assert_eq!(
        rows,
        [
            ["bytes_sent", "counter", "1500"],
            ["queue_depth", "gauge", "3"],
            ["requests{status=\"200\"}", "counter", "7"],
            ["queue_depth{pool=\"b\"}", "gauge", "-2.5"],
        ],
        "{text}"
    );
}

#[test]
fn a_tracker_with_counters_and_no_operations_reports_the_counters() {
    let t: Tracker<2, 4> = Tracker::new();
    assert!(!t.report().to_string().contains("Counter or gauge"), "no table before any is registered");
    t.counter("retries").unwrap().increment(2);
    let text = t.report().to_string();
    assert!(text.contains("(no operations recorded)"), "{text}");
    let row = text.lines().find(|l| l.starts_with("retries")).expect("the counter's row");
    assert_eq!(row.split_whitespace().collect::<Vec<_>>(), ["retries", "counter", "2"], "{text}");
}

#[test]
fn threads_sharing_one_shard_lose_no_increment() {
    // One shard: every thread adds to the same cell, where an increment
    // made of a load and a store would lose the others' additions.
    let t = Tracker::<2, 4, 1>::boxed();
    let c = t.counter("shared").unwrap();
    let start = std::sync::Barrier::new(4);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                start.wait();
                for _ in 0..500_000 {
                    c.increment(1);
                }
            });
        }
    });
    assert_eq!(c.get(), 2_000_000);
}

#[test]
fn a_counter_saturates_at_the_top_and_never_reads_backwards() {
    let t = Tracker::<4, 4>::boxed();
    let c = t.counter("near_the_top").unwrap();
    c.increment(u64::MAX - 1);
    c.increment(5);
    assert_eq!(c.get(), u64::MAX, "one cell past the top stays at the top");
    c.increment(1);
    assert_eq!(c.get(), u64::MAX);
    // Two threads (on two shards, or one) adding 2^63 each: the sum of the
    // cells saturates too.
    let halves = t.counter("two_halves").unwrap();
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| halves.increment(1 << 63));
        }
    });
    assert_eq!(halves.get(), u64::MAX);
    let one_shard = Tracker::<2, 4, 1>::boxed();
    let h = one_shard.counter("two_halves").unwrap();
    h.increment(1 << 63);
    h.increment(1 << 63);
    assert_eq!(h.get(), u64::MAX);
    let mut text = String::new();
    t.write_openmetrics(&mut text).unwrap();
    assert!(text.contains(&format!("\nnear_the_top_total {}\n", u64::MAX)), "{text}");
}

/// Every `# TYPE` name of a text exposition, and whether any is written twice.
fn type_names(text: &str) -> (Vec<String>, bool) {
    let names: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .map(|l| l.split(' ').next().unwrap().to_string())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    let twice = sorted.len() != names.len();
    (names, twice)
}

#[test]
fn names_that_would_clash_in_the_exposition_are_refused_and_say_with_what() {
    use perftrack::Clash;
    let t: Tracker<8, 4> = Tracker::new();
    t.record("op", Duration::from_micros(3), 16).unwrap();
    // perftrack's own families, and their samples.
    assert_eq!(
        t.gauge("perftrack_operation_memory_bytes").unwrap_err(),
        TrackerError::NameClash(Clash::Perftrack("perftrack_operation_memory_bytes"))
    );
    assert_eq!(
        t.gauge("perftrack_operation_duration_seconds_count").unwrap_err(),
        TrackerError::NameClash(Clash::Perftrack("perftrack_operation_duration_seconds"))
    );
    assert_eq!(
        t.counter("perftrack_operation_duration_seconds").unwrap_err(),
        TrackerError::NameClash(Clash::Perftrack("perftrack_operation_duration_seconds"))
    );
    // A counter `x` writes `x_total`: a gauge of that name would be a second
    // family under one name, and so would the other kind under `x` itself.
    t.counter("x").unwrap().increment(1);
    assert_eq!(t.gauge("x_total").unwrap_err(), TrackerError::NameClash(Clash::Counter { index: 0 }));
    assert_eq!(
        t.gauge_with_labels("x", &[("k", "v")]).unwrap_err(),
        TrackerError::NameClash(Clash::Counter { index: 0 })
    );
    t.gauge("depth").unwrap().set(1.0);
    assert_eq!(
        t.counter_with_labels("depth", &[("k", "v")]).unwrap_err(),
        TrackerError::NameClash(Clash::Gauge { index: 1 })
    );
    assert_eq!(t.gauge("x_created").unwrap_err(), TrackerError::NameClash(Clash::Counter { index: 0 }));
    // The same family with other labels is no clash.
    t.counter_with_labels("x", &[("k", "v")]).unwrap().increment(2);
    let message = t.gauge("x_total").unwrap_err().to_string();
    assert!(message.contains("the counter registered at position 0"), "{message}");
    // None of the refusals took a slot or counts as a full tracker's.
    assert_eq!(t.metric_readings().count(), 3);
    assert_eq!(t.refused(), 0);
    let mut text = String::new();
    t.write_openmetrics(&mut text).unwrap();
    let (names, twice) = type_names(&text);
    assert!(!twice, "{names:?}");
    assert_eq!(t.left_out_families(), 0);
}

#[test]
fn a_family_that_clashes_under_the_exports_prefix_is_left_out_counted_and_reported() {
    let t: Tracker<8, 4> = Tracker::new();
    t.record("op", Duration::from_micros(3), 16).unwrap();
    // No clash at the default prefix, so registration takes it...
    t.gauge("app_operation_memory_bytes").unwrap().set(1.0);
    t.counter("app_requests").unwrap().increment(1);
    let mut default = String::new();
    t.write_openmetrics(&mut default).unwrap();
    assert!(default.contains("\napp_operation_memory_bytes 1\n"), "{default}");
    assert_eq!(t.left_out_families(), 0);
    // ...but under the prefix `app` it would meet perftrack's memory family.
    let opts = perftrack::export::ExportOptions::new().prefix("app");
    let mut text = String::new();
    t.write_openmetrics_with(&mut text, &opts).unwrap();
    let (names, twice) = type_names(&text);
    assert!(!twice, "{names:?}");
    assert_eq!(names.iter().filter(|n| *n == "app_operation_memory_bytes").count(), 1, "{text}");
    assert!(!text.contains("# TYPE app_operation_memory_bytes gauge"), "{text}");
    assert!(text.contains("\napp_requests_total 1\n"), "the other families stay: {text}");
    assert_eq!(t.left_out_families(), 1);
    let report = t.report().to_string();
    assert!(report.contains("(1 counter or gauge families left out of the latest exposition"), "{report}");
    // The protobuf exposition leaves it out too.
    let mut bytes = Vec::new();
    t.write_protobuf_with(&mut bytes, &opts).unwrap();
    assert_eq!(t.left_out_families(), 1);
    assert!(bytes.windows(12).any(|w| w == b"app_requests"));
}
