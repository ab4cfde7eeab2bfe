//! The shape of the text exposition: fourteen classic buckets on the
//! native grid by default, bounds of your own snapped onto it, families
//! that are zero for every operation left out, and the size a small
//! service's scrape comes to.

use core::time::Duration;

use perftrack::{Tracker, export::ExportOptions};

fn text(t: &Tracker<16, 8>, o: &ExportOptions<'_>) -> String {
    let mut out = String::new();
    t.write_openmetrics_with(&mut out, o).unwrap();
    out
}

/// The `le` values of one operation's classic buckets, in order.
fn les(text: &str, op: &str) -> Vec<String> {
    let needle = format!("_bucket{{operation=\"{op}\",le=\"");
    text.lines()
        .filter_map(|l| l.split_once(&needle).map(|(_, rest)| rest.split('"').next().unwrap().to_string()))
        .collect()
}

#[test]
fn the_default_classic_buckets_are_the_powers_of_4_seconds_from_2_to_the_minus_20_to_64() {
    let t = Tracker::<16, 8>::boxed();
    t.record("op", Duration::from_micros(3), 0).unwrap();
    let les = les(&text(&t, &ExportOptions::new()), "op");
    let expected: Vec<String> = (-10..=3)
        .map(|k: i32| {
            // 4^k s as the largest whole nanosecond within it.
            let ns = if k >= 0 { 4u64.pow(k as u32) * 1_000_000_000 } else { 1_000_000_000 >> (-2 * k) };
            format!("{}.{:09}", ns / 1_000_000_000, ns % 1_000_000_000)
        })
        .chain(["+Inf".to_string()])
        .collect();
    assert_eq!(les, expected);
    assert_eq!(les.len(), 15);
}

#[test]
fn bounds_of_your_own_snap_up_onto_the_native_grid_and_keep_exact_counts() {
    let t = Tracker::<16, 8>::boxed();
    for us in [90, 100, 110, 2_000] {
        t.record("op", Duration::from_micros(us), 0).unwrap();
    }
    // 100 µs is no bound of the grid: it snaps up to the bound of the
    // internal bucket that holds it, 2^(-212/16) s. 101 µs lands in the
    // same bucket, so it is left out; 1 ms snaps to the bound above it.
    static BOUNDS: [Duration; 3] = [Duration::from_micros(100), Duration::from_micros(101), Duration::from_millis(1)];
    let out = text(&t, &ExportOptions::new().classic_buckets(&BOUNDS));
    let les = les(&out, "op");
    assert_eq!(les.len(), 3, "{les:?}");
    assert_eq!(les[0], "0.000102648", "2^(-212/16) s");
    let second: f64 = les[1].parse().unwrap();
    assert!(second >= 1e-3 && second < 1e-3 * 2f64.powf(1.0 / 16.0), "{}", les[1]);
    let count = |le: &str| {
        let needle = format!("le=\"{le}\"}} ");
        out.lines().find_map(|l| l.split_once(&needle).map(|(_, n)| n.parse::<u64>().unwrap())).unwrap()
    };
    // 90 and 100 µs are at or below the first bound; 110 µs is past it.
    assert_eq!((count(&les[0]), count(&les[1]), count("+Inf")), (2, 3, 4));
}

#[test]
fn a_family_zero_for_every_operation_is_left_out_and_written_for_all_once_one_is_not() {
    let t = Tracker::<16, 8>::boxed();
    t.operation("never_recorded").unwrap();
    let out = text(&t, &ExportOptions::new());
    for family in ["memory_bytes", "allocations", "cancelled", "duration_min_seconds", "duration_max_seconds"] {
        assert!(!out.contains(&format!("perftrack_operation_{family}")), "{family} with nothing in it:\n{out}");
    }
    t.record("a", Duration::from_micros(3), 0).unwrap();
    t.record("b", Duration::from_micros(3), 0).unwrap();
    let out = text(&t, &ExportOptions::new());
    assert!(out.contains("perftrack_operation_duration_min_seconds{operation=\"a\"}"));
    assert!(!out.contains("perftrack_operation_memory_bytes"), "still no memory:\n{out}");
    // One operation's memory: the family comes back for every operation,
    // with its 0s, so a rate() sees each first increment.
    t.record("b", Duration::from_micros(3), 512).unwrap();
    let out = text(&t, &ExportOptions::new());
    assert!(out.contains("perftrack_operation_memory_bytes_sum{operation=\"a\"} 0\n"), "{out}");
    assert!(out.contains("perftrack_operation_memory_bytes_sum{operation=\"b\"} 512\n"), "{out}");
    assert!(out.contains("perftrack_operation_memory_bytes_sum{operation=\"never_recorded\"} 0\n"), "{out}");
}

#[test]
fn a_service_of_8_series_a_counter_and_a_gauge_exposes_at_most_200_lines() {
    let t = Tracker::<16, 8>::boxed();
    for route in ["/a", "/b", "/c", "/d"] {
        for status in ["200", "500"] {
            let op = t.operation_with_labels("http_request", &[("route", route), ("status", status)]).unwrap();
            for i in 0..100u64 {
                op.record(Duration::from_micros(50 + i * 37), 0);
            }
        }
    }
    t.counter("http_response_bytes").unwrap().increment(12_345);
    t.gauge("http_requests_in_flight").unwrap().set(3.0);
    let out = text(&t, &ExportOptions::new());
    let lines = out.lines().count();
    assert!(lines <= 200, "{lines} lines:\n{out}");
    // 8 × (14 bounds, +Inf, sum, count) + the extremes' 2 × 8 + headers.
    assert_eq!(lines, 8 * 17 + 3 + 2 * (8 + 3) + 2 * 3 + 1, "{out}");
}
