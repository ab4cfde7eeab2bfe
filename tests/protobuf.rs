//! The protobuf exposition, decoded by prost from message types written
//! here out of prometheus/client_model's `metrics.proto` (field numbers and
//! types as published): every family, the native buckets against a
//! histogram computed here from the raw durations, the classic buckets and
//! other families against the text exposition, lower schemas, the OTel view,
//! and the errors.

use core::time::Duration;
use std::collections::BTreeMap;

use perftrack::{
    Tracker,
    export::{ExportOptions, PROTOBUF_CONTENT_TYPE, ProtobufError},
};

#[path = "common/proto.rs"]
mod proto;
use proto::{COUNTER, GAUGE, HISTOGRAM, Histogram, Metric, SUMMARY, decode};

/// A metric's labels as `(name, value)` pairs, in the order written.
fn pairs(m: &Metric) -> Vec<(&str, &str)> {
    m.label.iter().map(|l| (l.name.as_deref().unwrap(), l.value.as_deref().unwrap())).collect()
}

fn label<'a>(m: &'a Metric, name: &str) -> Option<&'a str> {
    m.label.iter().find(|l| l.name.as_deref() == Some(name)).and_then(|l| l.value.as_deref())
}

/// The native buckets, absolute, from spans and deltas: index → count.
fn native_counts(h: &Histogram) -> BTreeMap<i32, u64> {
    let mut out = BTreeMap::new();
    let mut deltas = h.positive_delta.iter();
    let (mut index, mut count) = (0i32, 0i64);
    // The first span's offset is its first index; a later one's, the gap
    // after the span before it.
    for span in &h.positive_span {
        index += span.offset.unwrap_or(0);
        for _ in 0..span.length.unwrap_or(0) {
            count += deltas.next().expect("a delta per bucket");
            assert!(count >= 0, "a bucket count below zero");
            if count > 0 {
                out.insert(index, count as u64);
            }
            index += 1;
        }
    }
    assert!(deltas.next().is_none(), "a delta for every bucket, no more");
    out
}

/// The schema-`s` native index of `ns` nanoseconds, from its definition in
/// floating point, and whether it is safely away from a bucket boundary.
fn reference_index(ns: u64, s: i32) -> Option<i32> {
    let x = (ns as f64 / 1e9).log2() * 2f64.powi(s);
    let n = x.ceil();
    ((n - x).abs() > 1e-9 && (x - (n - 1.0)).abs() > 1e-9).then_some(n as i32)
}

/// Durations of many magnitudes, deterministic: zeros, a few nanoseconds,
/// microseconds to seconds, and one past an hour.
fn durations() -> Vec<u64> {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut out = vec![0, 0, 1, 2, 24, 25, 31, 32, 33, 1_000, 1_000_000_000, 2_000_000_000];
    for _ in 0..5_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        // A log-uniform spread from 1 ns to about 17 s.
        let bits = 1 + (x % 34) as u32;
        out.push((x >> 20) % (1u64 << bits) + 1);
    }
    out.push(5_000_000_000_000);
    out
}

fn tracker() -> Box<Tracker<4, 8>> {
    let t = Tracker::<4, 8>::boxed();
    for &ns in &durations() {
        t.record("mixed", Duration::from_nanos(ns), ns % 1_000).unwrap();
    }
    t.record("say \"hi\"\n", Duration::from_micros(1_500), 64).unwrap();
    t
}

#[test]
fn every_text_family_is_there_with_the_same_values() {
    let t = tracker();
    let mut bytes = Vec::new();
    t.write_protobuf(&mut bytes).unwrap();
    let families = decode(&bytes);
    let mut text = String::new();
    t.write_openmetrics(&mut text).unwrap();
    let names: Vec<(&str, i32)> = families.iter().map(|f| (f.name.as_deref().unwrap(), f.r#type.unwrap())).collect();
    assert_eq!(
        names,
        [
            ("perftrack_operation_duration_seconds", HISTOGRAM),
            ("perftrack_operation_duration_seconds", HISTOGRAM),
            ("perftrack_operation_duration_min_seconds", GAUGE),
            ("perftrack_operation_duration_max_seconds", GAUGE),
            ("perftrack_operation_memory_bytes", SUMMARY),
        ]
    );
    for f in &families {
        let name = f.name.as_deref().unwrap();
        assert!(text.contains(&format!("# HELP {name} {}", f.help.as_deref().unwrap())), "{name}'s help");
        for m in &f.metric {
            let op = label(m, "operation").unwrap();
            let escaped = op.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
            let sample = |suffix: &str, extra: &str| {
                let key = format!("{name}{suffix}{{operation=\"{escaped}\"{extra}}} ");
                let line = text.lines().find(|l| l.starts_with(&key)).unwrap_or_else(|| panic!("no {key} in the text"));
                line[key.len()..].parse::<f64>().unwrap()
            };
            if let Some(h) = &m.histogram {
                assert_eq!(h.sample_count.unwrap() as f64, sample("_count", ""));
                assert!((h.sample_sum.unwrap() - sample("_sum", "")).abs() <= 1e-9 * sample("_sum", "").max(1.0));
                assert_eq!(h.bucket.len(), 14);
                for b in &h.bucket {
                    let le = format!("{:.9}", b.upper_bound.unwrap());
                    assert_eq!(
                        b.cumulative_count.unwrap() as f64,
                        sample("_bucket", &format!(",le=\"{le}\"")),
                        "le {le}"
                    );
                }
            } else if let Some(g) = &m.gauge {
                assert!((g.value.unwrap() - sample("", "")).abs() < 1e-9);
            } else {
                let s = m.summary.as_ref().unwrap();
                assert_eq!(s.sample_count.unwrap() as f64, sample("_count", ""));
                assert_eq!(s.sample_sum.unwrap(), sample("_sum", ""));
            }
        }
    }
}

#[test]
fn the_native_buckets_are_the_definition_applied_to_every_record() {
    let t = tracker();
    let mut bytes = Vec::new();
    t.write_protobuf(&mut bytes).unwrap();
    let families = decode(&bytes);
    let m = families.iter().flat_map(|f| &f.metric).find(|m| label(m, "operation") == Some("mixed")).unwrap();
    let h = m.histogram.as_ref().unwrap();
    assert_eq!((h.schema, h.zero_threshold, h.zero_count), (Some(4), Some(0.0), Some(2)));
    assert!(h.negative_span.is_empty());
    let got = native_counts(h);
    let all = durations();
    let hour = 3_600_000_000_000;
    let mut want = BTreeMap::new();
    let mut unsure = 0;
    for &ns in all.iter().filter(|&&ns| ns > 0 && ns < hour) {
        match reference_index(ns, 4) {
            Some(n) => *want.entry(n).or_insert(0u64) += 1,
            None => unsure += 1,
        }
    }
    // Past an hour: the native bucket of the recorded maximum.
    *want.entry(reference_index(5_000_000_000_000, 4).unwrap()).or_insert(0) += 1;
    assert!(unsure <= 4, "{unsure} records too close to a boundary to check in floating point");
    if unsure == 0 {
        assert_eq!(got, want);
    } else {
        let diff: u64 = want.iter().map(|(n, &c)| c.abs_diff(got.get(n).copied().unwrap_or(0))).sum();
        assert!(diff <= 2 * unsure, "{diff}");
    }
    assert_eq!(got.values().sum::<u64>() + 2, all.len() as u64);
}

#[test]
fn a_lower_schema_merges_neighbours_exactly() {
    let t = tracker();
    let mut fine = Vec::new();
    t.write_protobuf(&mut fine).unwrap();
    let fine = native_counts(decode(&fine)[0].metric[0].histogram.as_ref().unwrap());
    for s in [3i8, 2, 0, -1, -4] {
        let mut bytes = Vec::new();
        t.write_protobuf_with(&mut bytes, &ExportOptions::new().native_schema(s)).unwrap();
        let h = decode(&bytes)[0].metric[0].histogram.clone().unwrap();
        assert_eq!(h.schema, Some(i32::from(s)));
        let shift = 4 - i32::from(s);
        let mut want = BTreeMap::new();
        for (&n, &c) in &fine {
            *want.entry((n + (1 << shift) - 1) >> shift).or_insert(0) += c;
        }
        assert_eq!(native_counts(&h), want, "schema {s}");
    }
    // Finer than the tracker's is written at the tracker's.
    let mut bytes = Vec::new();
    t.write_protobuf_with(&mut bytes, &ExportOptions::new().native_schema(8)).unwrap();
    assert_eq!(decode(&bytes)[0].metric[0].histogram.as_ref().unwrap().schema, Some(4));
}

#[test]
fn constant_labels_and_prefix_come_through() {
    let t = tracker();
    let mut bytes = Vec::new();
    let opts = ExportOptions::new().prefix("app").labels(&[("zone", "eu \"1\"")]);
    t.write_protobuf_with(&mut bytes, &opts).unwrap();
    let families = decode(&bytes);
    assert_eq!(families[0].name.as_deref(), Some("app_operation_duration_seconds"));
    assert_eq!(families[0].unit.as_deref(), Some("seconds"));
    let m = &families[0].metric[0];
    let pairs = pairs(m);
    assert_eq!(pairs, [("zone", "eu \"1\""), ("operation", "mixed")]);
}

#[test]
fn bad_options_write_nothing_and_a_full_sink_is_its_own_error() {
    let t = tracker();
    for opts in [
        ExportOptions::new().prefix("1x"),
        ExportOptions::new().labels(&[("__name__", "x")]),
        ExportOptions::new().native_schema(9),
        ExportOptions::new().native_schema(-5),
    ] {
        let mut bytes = Vec::new();
        assert_eq!(t.write_protobuf_with(&mut bytes, &opts), Err(ProtobufError::Options), "{opts:?}");
        assert!(bytes.is_empty());
    }
    let mut small = heapless::Vec::<u8, 64>::new();
    assert!(t.write_protobuf(&mut small).is_err());
    let err = t.write_protobuf_with(&mut small, &ExportOptions::new()).unwrap_err();
    assert!(matches!(err, ProtobufError::Sink(_)));
    assert!(ProtobufError::<std::io::Error>::Options.to_string().contains("native schema within -4..=8"));
    assert!(PROTOBUF_CONTENT_TYPE.contains("proto=io.prometheus.client.MetricFamily; encoding=delimited"));
}

#[test]
fn an_empty_tracker_writes_nothing_and_an_io_sink_writes_the_same_bytes() {
    let empty = Tracker::<2, 4>::boxed();
    let mut bytes = Vec::new();
    empty.write_protobuf(&mut bytes).unwrap();
    assert!(bytes.is_empty());
    let t = tracker();
    let (mut a, mut b) = (Vec::new(), perftrack::export::IoSink(std::io::Cursor::new(Vec::new())));
    t.write_protobuf(&mut a).unwrap();
    t.write_protobuf(&mut b).unwrap();
    assert_eq!(a, b.0.into_inner());
}

#[test]
fn the_otel_view_is_the_native_buckets_shifted_by_one_and_dense() {
    let t = tracker();
    let d = t.operation("mixed").unwrap().distribution();
    let mut bytes = Vec::new();
    t.write_protobuf(&mut bytes).unwrap();
    let native = native_counts(decode(&bytes)[0].metric[0].histogram.as_ref().unwrap());
    let p = d.exponential();
    assert_eq!((p.scale, p.zero_count), (4, 2));
    let (&first, _) = native.iter().next().unwrap();
    assert_eq!(p.offset, first - 1);
    let dense: Vec<u64> = p.bucket_counts().collect();
    let (&last, _) = native.iter().next_back().unwrap();
    assert_eq!(dense.len() as i32, last - first + 1);
    for (k, &c) in dense.iter().enumerate() {
        // OTel index offset + k is native index offset + k + 1.
        assert_eq!(
            c,
            native.get(&(p.offset + k as i32 + 1)).copied().unwrap_or(0),
            "otel index {}",
            p.offset + k as i32
        );
    }
}

/// The guide's native-histogram section shows this histogram decoded; this test
/// holds it to what it shows.
#[test]
fn the_readme_native_histogram_is_what_the_encoder_writes() {
    static T: Tracker<4, 16> = Tracker::new();
    for us in [20, 21, 1_000] {
        T.record("checkout", Duration::from_micros(us), 0).unwrap();
    }
    let mut bytes = Vec::new();
    T.write_protobuf(&mut bytes).unwrap();
    let h = decode(&bytes)[0].metric[0].histogram.clone().unwrap();
    let spans: Vec<(i32, u32)> = h.positive_span.iter().map(|s| (s.offset.unwrap(), s.length.unwrap())).collect();
    println!("{h:?}");
    assert_eq!((h.sample_count, h.sample_sum), (Some(3), Some(0.001041)));
    assert_eq!((h.schema, h.zero_threshold, h.zero_count), (Some(4), Some(0.0), Some(0)));
    assert_eq!(spans, [(-249, 2), (88, 1)]);
    assert_eq!(h.positive_delta, [1, 0, 0]);
    assert_eq!(h.bucket.len(), 14);
}

#[test]
fn a_labelled_series_carries_its_labels_after_operation() {
    static T: Tracker<4, 8> = Tracker::new();
    T.operation_with_labels("requests", &[("status", "200"), ("route", "/a")])
        .unwrap()
        .record(Duration::from_micros(5), 0);
    let mut bytes = Vec::new();
    T.write_protobuf(&mut bytes).unwrap();
    for f in decode(&bytes) {
        let pairs = pairs(&f.metric[0]);
        assert_eq!(pairs, [("operation", "requests"), ("route", "/a"), ("status", "200")], "{:?}", f.name);
    }
}

#[test]
fn counters_and_gauges_are_counter_and_gauge_families() {
    static T: Tracker<4, 8> = Tracker::new();
    T.counter_with_labels("http_requests", &[("status", "200")]).unwrap().increment(7);
    T.counter_with_labels("http_requests", &[("status", "500")]).unwrap().increment(1);
    T.gauge("queue_depth").unwrap().set(2.5);
    let mut bytes = Vec::new();
    T.write_protobuf_with(&mut bytes, &ExportOptions::new().labels(&[("instance", "a")])).unwrap();
    let families = decode(&bytes);
    let counter = families.iter().find(|f| f.r#type == Some(COUNTER)).unwrap();
    assert_eq!(counter.name.as_deref(), Some("http_requests_total"));
    let values: Vec<(Vec<(&str, &str)>, f64)> =
        counter.metric.iter().map(|m| (pairs(m), m.counter.as_ref().unwrap().value.unwrap())).collect();
    assert_eq!(
        values,
        [(vec![("instance", "a"), ("status", "200")], 7.0), (vec![("instance", "a"), ("status", "500")], 1.0)]
    );
    let gauge = families.iter().find(|f| f.name.as_deref() == Some("queue_depth")).unwrap();
    assert_eq!((gauge.r#type, gauge.metric[0].gauge.as_ref().unwrap().value), (Some(GAUGE), Some(2.5)));
}
