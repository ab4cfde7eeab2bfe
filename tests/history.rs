//! JSON-lines history: round trip, and clear errors on bad lines.
#![cfg(all(feature = "std", feature = "serde"))]

use core::time::Duration;
use std::path::PathBuf;

use perftrack::{
    Sample, Tracker,
    history::{HistoryError, Snapshot, append_json_lines, read_history, read_json_lines},
    metric::MetricValue,
};

fn temp_file(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("perftrack-{}-{name}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

fn busy_tracker() -> Tracker<4, 8> {
    let t = Tracker::new();
    for i in 0..10u64 {
        t.record("parse \"json\"", Duration::from_micros(i * 7 + 1), i * 100).unwrap();
        t.record_sample(
            "größe",
            &Sample::new(Duration::from_nanos(i), 1).with_cpu_time(Duration::from_nanos(i)).with_allocations(i),
        )
        .unwrap();
    }
    t
}

#[test]
fn snapshots_round_trip_through_a_file_without_loss() {
    let path = temp_file("roundtrip");
    let t = busy_tracker();
    let first = Snapshot::take(&t);
    t.record("later", Duration::MAX, u64::MAX).unwrap();
    let second = Snapshot::take(&t);
    append_json_lines(&path, &first).unwrap();
    append_json_lines(&path, &second).unwrap();
    let back = read_json_lines(&path).unwrap();
    assert_eq!(back, vec![first, second]);
    assert_eq!(back[1].summaries[2].total_duration, Duration::from_nanos(u64::MAX));
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn a_corrupt_line_is_named_and_the_lines_before_it_stay_readable() {
    let t = busy_tracker();
    let good = Snapshot::take(&t).to_json_line();
    let text = format!("{good}\n{good}\n{{\"unix_ms\": 1, \"summaries\": [oops]}}\n{good}\n");
    match Snapshot::from_json_lines(&text) {
        Err(HistoryError::Line { line, read, message }) => {
            assert_eq!(line, 3);
            assert_eq!(read.len(), 2);
            assert_eq!(read[0].summaries.len(), 2);
            assert!(!message.is_empty());
        }
        other => panic!("expected a line error, got {other:?}"),
    }
}

#[test]
fn a_truncated_last_line_is_left_out_and_named_and_a_cut_line_before_others_is_an_error() {
    let path = temp_file("truncated");
    let t = busy_tracker();
    append_json_lines(&path, &Snapshot::take(&t)).unwrap();
    let cut = Snapshot::take(&t).to_json_line();
    // A crash mid-write: half a line, no newline.
    let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
    std::io::Write::write_all(&mut f, &cut.as_bytes()[..cut.len() / 2]).unwrap();
    drop(f);
    // The last line has no newline: left out, named, and the lines before
    // it are read.
    let history = read_history(&path).unwrap();
    assert_eq!(history.snapshots.len(), 1);
    let cut = history.truncated.expect("the cut line is named");
    assert_eq!(cut.line, 2);
    assert!(cut.to_string().starts_with("line 2 has no newline and is not a snapshot"), "{cut}");
    assert_eq!(read_json_lines(&path).unwrap().len(), 1);
    // The same half line with a newline after it, and a good line after
    // that, is no crash mid-append: an error that names it.
    let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
    std::io::Write::write_all(&mut f, format!("\n{}\n", Snapshot::take(&t).to_json_line()).as_bytes()).unwrap();
    drop(f);
    let err = read_json_lines(&path).unwrap_err();
    assert!(err.to_string().starts_with("history line 2 is not a snapshot"), "{err}");
    assert!(matches!(err, HistoryError::Line { line: 2, ref read, .. } if read.len() == 1));
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn a_missing_file_is_an_io_error() {
    let err = read_json_lines(temp_file("missing")).unwrap_err();
    assert!(matches!(err, HistoryError::Io(ref e) if e.kind() == std::io::ErrorKind::NotFound), "{err}");
}

#[test]
fn a_last_line_cut_inside_a_multibyte_name_is_named_and_earlier_snapshots_kept() {
    let path = temp_file("utf8");
    let t: Tracker<4, 8> = Tracker::new();
    t.record("größe ✓ 測定", Duration::from_micros(3), 7).unwrap();
    append_json_lines(&path, &Snapshot::take(&t)).unwrap();
    append_json_lines(&path, &Snapshot::take(&t)).unwrap();
    // A crash mid-append cuts the third line inside the 3-byte '測'.
    let line = Snapshot::take(&t).to_json_line();
    let cut = line.find('測').unwrap() + 1;
    let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
    std::io::Write::write_all(&mut f, &line.as_bytes()[..cut]).unwrap();
    drop(f);
    let history = read_history(&path).unwrap();
    assert_eq!(history.snapshots.len(), 2);
    let cut = history.truncated.expect("the cut line is named");
    assert_eq!(cut.line, 3);
    assert!(cut.message.contains("UTF-8"), "{}", cut.message);
    std::fs::remove_file(&path).unwrap();
}

/// A small deterministic generator (xorshift), so the fuzz cases are the same
/// on every run.
fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn fuzzed_histories_never_panic_and_keep_every_line_before_the_damage() {
    let t = busy_tracker();
    let good = Snapshot::take(&t).to_json_line();
    let file = format!("{good}\n{good}\n{good}\n");
    let bytes = file.as_bytes();
    let ends: Vec<usize> = bytes.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i).collect();
    // Whole lines that lie entirely before byte `at`.
    let whole_before = |at: usize| ends.iter().filter(|&&e| e < at).count();

    // 1. Truncation at every byte: the whole lines before the cut are read
    //    (a cut just before a newline leaves that line whole); a cut line is
    //    named by its number.
    for cut in 0..=bytes.len() {
        let before = whole_before(cut);
        let whole = before + usize::from(ends.contains(&cut));
        match Snapshot::from_json_line_bytes(&bytes[..cut]) {
            Ok(read) => assert_eq!(read.len(), whole, "cut at {cut}"),
            Err(HistoryError::Line { line, read, .. }) => {
                assert_eq!((line, read.len()), (before + 1, before), "cut at {cut}");
            }
            Err(e) => panic!("cut at {cut}: {e}"),
        }
    }

    // 2. Garbage and invalid UTF-8 written over one place: every line before
    //    the damaged one is kept, and the damaged one (or none) is named.
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    for case in 0..2000 {
        let mut b = bytes.to_vec();
        let at = (xorshift(&mut rng) as usize) % b.len();
        let len = 1 + (xorshift(&mut rng) as usize) % 4;
        for k in at..(at + len).min(b.len()) {
            // Bytes 0x80..=0xFF are never valid alone in UTF-8; mix them with
            // ASCII garbage.
            b[k] = if case % 2 == 0 { 0x80 | (xorshift(&mut rng) as u8) } else { xorshift(&mut rng) as u8 };
        }
        let before = whole_before(at);
        match Snapshot::from_json_line_bytes(&b) {
            Ok(read) => assert!(read.len() >= before, "case {case}"),
            Err(HistoryError::Line { line, read, .. }) => {
                assert!(line > before, "case {case}: line {line} named, but the damage starts after line {before}");
                assert_eq!(read.len(), line - 1, "case {case}");
            }
            Err(e) => panic!("case {case}: {e}"),
        }
    }
}

#[test]
fn json_lines_carry_durations_as_integer_nanoseconds_for_jq_and_pandas() {
    let t: Tracker<2, 4> = Tracker::new();
    t.record("io", Duration::from_micros(1500), 64).unwrap();
    t.record("io", Duration::from_micros(500), 64).unwrap();
    let line = Snapshot::take(&t).to_json_line();
    // Read it the way a generic JSON tool would, knowing nothing of Rust.
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    let s = &v["summaries"][0];
    assert_eq!(s["name"], "io");
    assert_eq!(s["count"], 2);
    assert_eq!(s["total_duration_ns"], 2_000_000, "{s}");
    assert_eq!(s["avg_duration_ns"], 1_000_000);
    assert_eq!(s["min_duration_ns"], 500_000);
    assert_eq!(s["max_duration_ns"], 1_500_000);
    assert!(s["p99_ns"].is_u64());
    assert!(!line.contains("\"secs\""), "no Duration structs in the JSON: {line}");
}

#[test]
fn python_reads_the_history_file_with_its_stock_json_module() {
    let Ok(out) = std::process::Command::new("python3").arg("--version").output() else {
        println!("SKIPPED: python3 read of the JSON lines (python3 not installed)");
        return;
    };
    assert!(out.status.success());
    let path = temp_file("python");
    let t = busy_tracker();
    append_json_lines(&path, &Snapshot::take(&t)).unwrap();
    append_json_lines(&path, &Snapshot::take(&t)).unwrap();
    // What a pandas user does: one object per line, plain numbers.
    let script = "import json,sys\n\
        rows=[json.loads(l) for l in open(sys.argv[1])]\n\
        s=rows[-1]['summaries'][0]\n\
        print(len(rows), s['name'], s['count'], s['total_duration_ns'], type(s['total_duration_ns']).__name__)";
    let out = std::process::Command::new("python3").args(["-c", script]).arg(&path).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let s = t.summary("parse \"json\"").unwrap();
    let want = format!("2 parse \"json\" {} {} int\n", s.count, s.total_duration.as_nanos());
    assert_eq!(String::from_utf8_lossy(&out.stdout), want);
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn histograms_round_trip_so_two_stored_snapshots_give_the_interval() {
    let t = busy_tracker();
    let before = Snapshot::take(&t);
    for _ in 0..5 {
        t.record("parse \"json\"", Duration::from_millis(3), 0).unwrap();
    }
    let after = Snapshot::take(&t);
    let text = format!("{}\n{}\n", before.to_json_line(), after.to_json_line());
    assert!(text.contains(r#""buckets":[["#), "sparse buckets in the line: {text}");
    let back = Snapshot::from_json_lines(&text).unwrap();
    assert_eq!(back, [before, after.clone()], "histograms survive the round trip exactly");
    let interval = back[1].summaries[0].since(&back[0].summaries[0]);
    assert_eq!(interval.count, 5);
    assert_eq!(interval.total_duration, Duration::from_millis(15));
    assert!(interval.p50.abs_diff(Duration::from_millis(3)) <= Duration::from_millis(3) / 35);
    assert_eq!(after.summaries[0].distribution.count(), after.summaries[0].count);
}

#[test]
fn a_bucket_bound_from_another_resolution_is_a_named_error() {
    let t = busy_tracker();
    let line = Snapshot::take(&t).to_json_line();
    // 1,000,000 ns is no bucket's upper bound at the default resolution.
    let bad = line.replacen(r#""buckets":[["#, r#""buckets":[[1000000,1],["#, 1);
    let err = Snapshot::from_json_lines(&bad).unwrap_err().to_string();
    assert!(err.contains("1000000 ns is not a bucket bound"), "{err}");
}

#[test]
fn allocation_counts_are_written_and_lines_without_them_still_read() {
    let path = temp_file("allocations");
    let t = busy_tracker();
    append_json_lines(&path, &Snapshot::take(&t)).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(r#""total_allocations":45"#), "{text}");
    let back = read_json_lines(&path).unwrap();
    let s = back[0].summaries.iter().find(|s| &*s.name == "größe").unwrap();
    assert_eq!(s.total_allocations, 45);
    // A line from before allocations were counted (format version 1: no
    // `version` key) has no such key, and reads as 0.
    let without = text.replace(r#","total_allocations":45"#, "").replace(r#","total_allocations":0"#, "");
    assert!(!without.contains("total_allocations"));
    let old = without.replace(r#""version":6,"#, "").replace(r#","cancelled":0"#, "");
    std::fs::write(&path, &old).unwrap();
    let back = read_json_lines(&path).unwrap();
    assert_eq!(back[0].summaries.iter().map(|s| s.total_allocations).sum::<u64>(), 0);
    // A line of version 2 or later must carry it: its absence is damage,
    // not an old file.
    std::fs::write(&path, &without).unwrap();
    let err = read_json_lines(&path).unwrap_err().to_string();
    assert!(err.contains("line 1") && err.contains("`total_allocations` is missing"), "{err}");
    let _ = std::fs::remove_file(&path);
}

/// The line of a snapshot of one operation with records of 100 and 300 µs.
fn one_line() -> String {
    let t: Tracker<2, 4> = Tracker::new();
    t.record("q", Duration::from_micros(100), 10).unwrap();
    t.record("q", Duration::from_micros(300), 30).unwrap();
    Snapshot::take(&t).to_json_line()
}

/// The error message of `text`'s first bad line, which must be line 1.
fn line_one_error(text: &str) -> String {
    match Snapshot::from_json_lines(text) {
        Err(HistoryError::Line { line: 1, message, read }) => {
            assert!(read.is_empty());
            message
        }
        other => panic!("expected line 1 to be named, got {other:?}"),
    }
}

#[test]
fn a_line_whose_minimum_exceeds_its_maximum_is_named_and_never_reaches_a_quantile() {
    let line = one_line();
    assert!(Snapshot::from_json_lines(&line).is_ok());
    // The summary's extremes swapped.
    let swapped = line
        .replace(r#""min_duration_ns":100000"#, "MIN")
        .replace(r#""max_duration_ns":300000"#, r#""max_duration_ns":100000"#);
    let swapped = swapped.replace("MIN", r#""min_duration_ns":300000"#);
    assert!(line_one_error(&swapped).contains("min_duration_ns"), "{swapped}");
    // The histogram's extremes swapped: caught when the distribution is read,
    // so `quantile` (which clamps between them) never sees them.
    let swapped = line.replace(r#""min_ns":100000,"max_ns":300000"#, r#""min_ns":300000,"max_ns":100000"#);
    assert_ne!(swapped, line);
    let err = line_one_error(&swapped);
    assert!(err.contains("min_ns 300000 and max_ns 100000"), "{err}");
}

#[test]
fn a_misspelt_field_is_an_error_not_a_zero() {
    let line = one_line();
    let bad = line.replace("total_allocations", "total_alloQcations");
    assert_ne!(bad, line);
    let err = line_one_error(&bad);
    assert!(err.contains(r#"summary 1 ("q"): unknown field `total_alloQcations`"#), "{err}");
    let bad = line.replace(r#""buckets""#, r#""bukets""#);
    assert!(line_one_error(&bad).contains("unknown field `bukets`"));
}

#[test]
fn buckets_that_do_not_sum_to_the_count_are_named() {
    let line = one_line();
    let bad = line.replace(r#""count":2,"#, r#""count":3,"#);
    assert_ne!(bad, line);
    let err = line_one_error(&bad);
    assert!(err.contains("buckets sum to 2 but count is 3"), "{err}");
}

#[test]
fn quantiles_out_of_order_or_a_wrong_average_are_named() {
    let line = one_line();
    let p50 = line.split(r#""p50_ns":"#).nth(1).unwrap().split(',').next().unwrap().to_string();
    let bad = line.replace(&format!(r#""p50_ns":{p50}"#), r#""p50_ns":299999999"#);
    assert!(line_one_error(&bad).contains("min <= p50 <= p90"), "{bad}");
    let bad = line.replace(r#""avg_duration_ns":200000"#, r#""avg_duration_ns":200001"#);
    assert_ne!(bad, line);
    assert!(line_one_error(&bad).contains("average"));
}

#[test]
fn a_newer_format_version_is_named_instead_of_read_with_fields_missing() {
    let line = one_line();
    assert!(line.starts_with(&format!(r#"{{"version":{},"#, perftrack::history::HISTORY_VERSION)));
    let newer = line.replacen(r#""version":6"#, r#""version":7"#, 1);
    let err = line_one_error(&newer);
    assert!(err.contains("format version 7 is newer than this build reads"), "{err}");
}

#[test]
fn cancelled_is_required_from_version_3_and_optional_before() {
    let line = one_line();
    assert!(line.contains(r#","cancelled":0,"#), "{line}");
    let without = line.replacen(r#","cancelled":0"#, "", 1);
    let err = line_one_error(&without);
    assert!(err.contains("`cancelled` is missing (required in format version 6)"), "{err}");
    let v2 = without.replacen(r#""version":6"#, r#""version":2"#, 1);
    let back = Snapshot::from_json_lines(&v2).unwrap();
    assert_eq!(back[0].summaries[0].cancelled, 0);
}

#[test]
fn cancelled_calls_are_apart_from_the_count_and_their_time_is_required_from_version_6() {
    // More cancelled calls than completed ones: counted apart, so it reads.
    let line = one_line().replacen(r#""cancelled":0"#, r#""cancelled":3"#, 1);
    let line = line.replacen(r#""cancelled_ns":0"#, r#""cancelled_ns":4500"#, 1);
    let back = Snapshot::from_json_lines(&line).unwrap();
    let s = &back[0].summaries[0];
    assert_eq!((s.count, s.cancelled, s.cancelled_duration), (2, 3, Duration::from_nanos(4500)));
    // Version 6 must carry the cancelled calls' time; version 5 (when a
    // cancelled call was also a record) reads it as 0.
    let without = line.replacen(r#","cancelled_ns":4500"#, "", 1);
    let err = line_one_error(&without);
    assert!(err.contains("`cancelled_ns` is missing (required in format version 6)"), "{err}");
    let v5 = without.replacen(r#""version":6"#, r#""version":5"#, 1);
    let back = Snapshot::from_json_lines(&v5).unwrap();
    assert_eq!((back[0].summaries[0].cancelled, back[0].summaries[0].cancelled_duration), (3, Duration::ZERO));
}

#[test]
fn a_line_on_the_old_log_linear_grid_is_read_onto_the_native_grid() {
    // Records of 100, 1,000 and 1,500 ns, as format 3 wrote them: buckets
    // on the log-linear grid, named by their upper bounds (103, 1,023 and
    // 1,535 ns), none of which is a bound of the native grid.
    static T: Tracker<1, 4> = Tracker::new();
    for ns in [100, 1_000, 1_500] {
        T.record("old", Duration::from_nanos(ns), 0).unwrap();
    }
    let line = Snapshot::take(&T).to_json_line();
    let start = line.find(r#""buckets":["#).unwrap() + r#""buckets":"#.len();
    let end = start + line[start..].find("]]").unwrap() + 2;
    let v3 = format!("{}[[103,1],[1023,1],[1535,1]]{}", &line[..start], &line[end..]).replacen(
        r#""version":6"#,
        r#""version":3"#,
        1,
    );
    assert!(Snapshot::from_json_lines(&v3.replacen(r#""version":3"#, r#""version":4"#, 1)).is_err());
    let back = Snapshot::from_json_lines(&v3).unwrap();
    let d = &back[0].summaries[0].distribution;
    assert_eq!((d.count(), d.min(), d.max()), (3, Some(Duration::from_nanos(100)), Some(Duration::from_nanos(1_500))));
    // The middle record moved to the native bucket of its old upper bound:
    // within one old bucket (1/16) and one new of where it was.
    let mid = d.quantile(0.5).unwrap().as_nanos() as f64;
    assert!((mid - 1_000.0).abs() <= 1_000.0 * (1.0 / 16.0 + d.relative_error()), "{mid}");
}

/// A tracker with a labelled counter, a plain one, and gauges at a finite
/// value and at each value JSON has no number for. (A counter's name is
/// kept without `_total`, which the expositions add.)
fn metered_tracker() -> Tracker<8, 4> {
    let t = Tracker::new();
    t.record("handle", Duration::from_micros(3), 0).unwrap();
    t.counter_with_labels("requests", &[("route", "/a")]).unwrap().increment(3);
    t.counter("errors").unwrap().increment(u64::MAX);
    t.gauge("queue_depth").unwrap().set(2.5);
    t.gauge("nan_gauge").unwrap().set(f64::NAN);
    t.gauge("hot").unwrap().set(f64::INFINITY);
    t.gauge("cold").unwrap().set(f64::NEG_INFINITY);
    t
}

#[test]
fn counters_and_gauges_are_kept_read_back_and_reported() {
    let t = metered_tracker();
    let snapshot = Snapshot::take(&t);
    assert_eq!(snapshot.metrics.len(), 6);
    let line = snapshot.to_json_line();
    assert!(line.contains(r#""metrics":[{"name":"requests","labels":{"route":"/a"},"value":{"counter":3}}"#), "{line}");
    assert!(line.contains(r#"{"name":"queue_depth","labels":{},"value":{"gauge":2.5}}"#), "{line}");
    assert!(line.contains(r#""value":{"gauge":"NaN"}"#) && line.contains(r#""value":{"gauge":"+Inf"}"#), "{line}");
    assert!(line.contains(r#""value":{"gauge":"-Inf"}"#), "{line}");
    let back = Snapshot::from_json_lines(&line).unwrap();
    assert_eq!(back, vec![snapshot.clone()], "every value, NaN included, reads back as written");
    assert_eq!(back[0].metrics[1].value, MetricValue::Counter(u64::MAX));
    let report = back[0].report().to_string();
    let row = |series: &str| report.lines().find(|l| l.starts_with(series)).unwrap_or_else(|| panic!("{report}"));
    assert!(row(r#"requests{route="/a"} "#).split_whitespace().eq([r#"requests{route="/a"}"#, "counter", "3"]));
    assert!(row("queue_depth ").split_whitespace().eq(["queue_depth", "gauge", "2.5"]), "{report}");
    // The tracker's own report shows the same rows.
    let live = t.report().to_string();
    assert!(live.lines().any(|l| l.split_whitespace().eq(["queue_depth", "gauge", "2.5"])), "{live}");
}

#[test]
fn a_snapshot_of_only_counters_still_reports_them() {
    let t: Tracker<2, 4> = Tracker::new();
    t.counter("jobs").unwrap().increment(4);
    let back = Snapshot::from_json_lines(&Snapshot::take(&t).to_json_line()).unwrap();
    let report = back[0].report().to_string();
    assert!(report.contains("(no operations recorded)"), "{report}");
    assert!(report.lines().any(|l| l.split_whitespace().eq(["jobs", "counter", "4"])), "{report}");
}

#[test]
fn metrics_are_required_from_version_5_and_read_as_none_before() {
    let line = Snapshot::take(&metered_tracker()).to_json_line();
    let start = line.find(r#","metrics":"#).unwrap();
    let without = format!("{}}}", &line[..start]);
    let err = line_one_error(&without);
    assert!(err.contains("`metrics` is missing (required in format version 6)"), "{err}");
    let v4 = without.replacen(r#""version":6"#, r#""version":4"#, 1);
    let back = Snapshot::from_json_lines(&v4).unwrap();
    assert!(back[0].metrics.is_empty());
    assert_eq!(back[0].summaries[0].name.as_str(), "handle");
}

#[test]
fn a_bad_counter_or_gauge_is_an_error_naming_it() {
    let line = Snapshot::take(&metered_tracker()).to_json_line();
    let cases = [
        (r#""value":{"counter":3}"#, r#""value":{"counter":3},"unit":"s""#, "unknown field `unit`"),
        (r#","value":{"counter":3}"#, "", "field `value` is missing"),
        (r#""name":"requests""#, r#""name":"requests total""#, "the name must match"),
        (r#""value":{"gauge":2.5}"#, r#""value":{"gauge":"lots"}"#, "lots"),
        (r#""value":{"counter":3}"#, r#""value":{"counter":-3}"#, "-3"),
        (r#""value":{"counter":3}"#, r#""value":{"histogram":3}"#, "histogram"),
    ];
    for (from, to, expected) in cases {
        let bad = line.replacen(from, to, 1);
        assert_ne!(bad, line, "{from}");
        let err = line_one_error(&bad);
        assert!(err.contains(expected), "{to}: {err}");
    }
    assert!(
        line_one_error(&line.replacen(r#""name":"requests""#, r#""name":"requests total""#, 1))
            .contains("counter or gauge 1 (\"requests total\")")
    );
}

#[test]
fn merge_adds_counters_and_gauges_and_keeps_a_counter_and_a_gauge_of_one_name_apart() {
    let (a, b): (Tracker<4, 4>, Tracker<4, 4>) = (Tracker::new(), Tracker::new());
    a.counter_with_labels("requests", &[("route", "/a")]).unwrap().increment(3);
    a.gauge("connections").unwrap().set(2.0);
    a.counter("mixed").unwrap().increment(1);
    b.gauge("connections").unwrap().set(5.5);
    b.counter_with_labels("requests", &[("route", "/a")]).unwrap().increment(4);
    b.counter_with_labels("requests", &[("route", "/b")]).unwrap().increment(1);
    b.gauge("mixed").unwrap().set(9.0);
    let fleet = Snapshot::merge([Snapshot::take(&a), Snapshot::take(&b)].iter());
    let got: Vec<(String, String, MetricValue)> =
        fleet.metrics.iter().map(|m| (m.name.to_string(), m.labels.to_string(), m.value)).collect();
    let want = [
        ("requests", r#"{route="/a"}"#, MetricValue::Counter(7)),
        ("connections", "", MetricValue::Gauge(7.5)),
        ("mixed", "", MetricValue::Counter(1)),
        ("requests", r#"{route="/b"}"#, MetricValue::Counter(1)),
        ("mixed", "", MetricValue::Gauge(9.0)),
    ];
    let want: Vec<(String, String, MetricValue)> =
        want.iter().map(|(n, l, v)| (n.to_string(), l.to_string(), *v)).collect();
    assert_eq!(got, want);
}
