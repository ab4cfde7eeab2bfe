//! Labelled series: one slot per (name, label set), the errors, and the
//! labels carried through the summary, the report, the text and protobuf
//! expositions and the JSON history.

use core::time::Duration;

use perftrack::{Labels, Tracker, TrackerError, limits::MAX_LABELS};

#[test]
fn a_labelled_series_and_the_unlabelled_one_of_its_name_never_take_each_others_slot() {
    // With std a thread remembers the slots of unlabelled names it resolved
    // by name; a labelled series must never be answered from them.
    let t: Tracker<4, 8> = Tracker::new();
    let labels = [("route", "/a")];
    let labelled = t.operation_with_labels("req", &labels).unwrap(); // slot 0
    t.record("req", Duration::from_micros(1), 0).unwrap(); // slot 1, remembered
    t.record("req", Duration::from_micros(1), 0).unwrap();
    let again = t.operation_with_labels("req", &labels).unwrap();
    assert_eq!(again.labels().get("route"), Some("/a"), "the labelled series, not the remembered unlabelled one");
    again.record(Duration::from_micros(1), 0);
    assert_eq!(labelled.summary().count, 1);
    assert_eq!(t.operation("req").unwrap().summary().count, 2);
    assert!(t.operation("req").unwrap().labels().is_empty());
    assert_eq!(t.len(), 2);
}

#[test]
fn one_series_per_name_and_label_set_in_any_order() {
    let t: Tracker<4, 8> = Tracker::new();
    let a = t.operation_with_labels("requests", &[("route", "/a"), ("status", "200")]).unwrap();
    let same = t.operation_with_labels("requests", &[("status", "200"), ("route", "/a")]).unwrap();
    let other = t.operation_with_labels("requests", &[("route", "/a"), ("status", "500")]).unwrap();
    let plain = t.operation("requests").unwrap();
    a.record(Duration::from_micros(10), 0);
    same.record(Duration::from_micros(20), 0);
    other.record(Duration::from_micros(30), 0);
    assert_eq!(t.len(), 3, "two labelled series and the plain one");
    assert_eq!(a.summary().count, 2);
    assert_eq!(other.summary().count, 1);
    assert_eq!(plain.summary().count, 0);
    // Name lookups find the unlabelled series.
    assert_eq!(t.summary("requests").unwrap().count, 0);
    assert_eq!(a.summary().labels, Labels::new(&[("route", "/a"), ("status", "200")]).unwrap());
    assert!(plain.labels().is_empty());
}

#[test]
fn a_bad_label_set_is_a_clear_error_and_registers_nothing() {
    let t: Tracker<4, 8> = Tracker::new();
    let long = "x".repeat(400);
    let many: Vec<(String, &str)> = (0..=MAX_LABELS).map(|i| (format!("l{i}"), "v")).collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    for (labels, err) in [
        (&[("__name__", "x")][..], TrackerError::ReservedLabelName { index: 0 }),
        (&[("operation", "x")], TrackerError::ReservedLabelName { index: 0 }),
        (&[("a", "1"), ("a", "1")], TrackerError::DuplicateLabelName { index: 1 }),
        (&[("route", "/"), ("bad name", "1")], TrackerError::InvalidLabelName { index: 1 }),
        (&[("k", long.as_str())], TrackerError::LabelsTooLong { index: 0 }),
        (&many, TrackerError::TooManyLabels),
    ] {
        assert_eq!(t.operation_with_labels("op", labels).unwrap_err(), err, "{labels:?}");
        assert!(!err.to_string().is_empty());
    }
    assert_eq!(t.operation_with_labels("", &[("a", "1")]).unwrap_err(), TrackerError::EmptyName);
    assert!(t.is_empty(), "nothing registered");
    assert!(TrackerError::ReservedLabelName { index: 0 }.to_string().contains("__"));
    let message = TrackerError::InvalidLabelName { index: 1 }.to_string();
    assert!(message.starts_with("label 1 (from 0)"), "{message}");
}

#[test]
fn a_full_tracker_refuses_a_new_series_and_keeps_the_old_ones() {
    let t: Tracker<2, 4> = Tracker::new();
    let a = t.operation_with_labels("q", &[("shard", "1")]).unwrap();
    t.operation_with_labels("q", &[("shard", "2")]).unwrap();
    assert_eq!(t.operation_with_labels("q", &[("shard", "3")]).unwrap_err(), TrackerError::Full);
    a.record(Duration::from_nanos(5), 0);
    assert_eq!(t.operation_with_labels("q", &[("shard", "1")]).unwrap().summary().count, 1);
}

fn service() -> Tracker<8, 8> {
    let t: Tracker<8, 8> = Tracker::new();
    t.record("startup", Duration::from_millis(3), 0).unwrap();
    for (route, status, n) in [("/a", "200", 3), ("/b", "200", 2), ("/a", "500", 1)] {
        let op = t.operation_with_labels("requests", &[("route", route), ("status", status)]).unwrap();
        for _ in 0..n {
            op.record(Duration::from_micros(50), 0);
        }
    }
    t.record("shutdown", Duration::from_millis(1), 0).unwrap();
    t
}

#[test]
fn the_text_exposition_carries_labels_as_labels() {
    let t = service();
    let mut text = String::new();
    t.write_openmetrics(&mut text).unwrap();
    assert!(
        text.contains(r#"perftrack_operation_duration_seconds_count{operation="requests",route="/a",status="200"} 3"#)
    );
    assert!(
        text.contains(r#"perftrack_operation_duration_seconds_count{operation="requests",route="/a",status="500"} 1"#)
    );
    assert!(!text.contains("perftrack_operation_memory_bytes"), "no memory recorded, no memory family");
    assert!(text.contains(
        r#"perftrack_operation_duration_seconds_bucket{operation="requests",route="/b",status="200",le="+Inf"} 2"#
    ));
}

#[test]
fn the_report_lists_a_names_series_together() {
    let t = service();
    let report = t.report().to_string();
    let rows: Vec<&str> = report.lines().skip(3).take(5).map(|l| l.split(' ').next().unwrap()).collect();
    assert_eq!(
        rows,
        [
            "startup",
            r#"requests{route="/a",status="200"}"#,
            r#"requests{route="/b",status="200"}"#,
            r#"requests{route="/a",status="500"}"#,
            "shutdown"
        ],
        "{report}"
    );
    // Columns stay aligned: every row's count ends under the header's.
    let header = report.lines().nth(1).unwrap();
    let width = header.find("Count").unwrap() + "Count".len();
    for line in report.lines().skip(3).take(5) {
        assert!(line[..width].ends_with(|c: char| c.is_ascii_digit()), "{line}");
    }
}

#[cfg(feature = "serde")]
#[test]
fn history_keeps_the_labels_and_older_lines_read_without_them() {
    use perftrack::history::Snapshot;
    let t = service();
    let line = Snapshot::take(&t).to_json_line();
    assert!(line.contains(r#""labels":{"route":"/a","status":"500"}"#), "{line}");
    assert!(line.contains(r#""name":"startup","labels":{}"#), "{line}");
    let back = Snapshot::from_json_lines(&line).unwrap();
    let s = back[0].summaries.iter().find(|s| s.labels.get("status") == Some("500")).unwrap();
    assert_eq!((s.name.as_str(), s.count), ("requests", 1));
    // A version 3 line has no labels: an empty set.
    let v3 = line.replacen(r#""version":6"#, r#""version":3"#, 1).replace(r#","labels":{}"#, "");
    let old = Snapshot::from_json_lines(&v3).unwrap();
    assert!(old[0].summaries[0].labels.is_empty());
    // Version 4 requires them.
    let bad = line.replace(r#","labels":{}"#, "");
    assert!(Snapshot::from_json_lines(&bad).unwrap_err().to_string().contains("`labels` is missing"));
    // A bad set read back is an error that names the rule.
    let reserved = line.replacen(r#""labels":{}"#, r#""labels":{"__x":"1"}"#, 1);
    assert!(Snapshot::from_json_lines(&reserved).unwrap_err().to_string().contains("reserved"));
    // Merging and diffing match series by name and labels.
    let merged = Snapshot::merge(&[back[0].clone(), back[0].clone()]);
    let s = merged.summaries.iter().find(|s| s.labels.get("route") == Some("/b")).unwrap();
    assert_eq!(s.count, 4);
    let diff = back[0].diff(&back[0]);
    assert!(diff.operations.iter().any(|o| o.name == r#"requests{route="/a",status="500"}"#));
}
