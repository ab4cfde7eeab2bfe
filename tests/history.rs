//! JSON-lines history: round trip, and clear errors on bad lines.
#![cfg(all(feature = "std", feature = "serde"))]

use core::time::Duration;
use std::path::PathBuf;

use perftrack::{HistoryError, Sample, Snapshot, Tracker, append_json_lines, read_json_lines};

fn temp_file(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("perftrack-{}-{name}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

fn busy_tracker() -> Tracker<4, 8> {
    let t = Tracker::new();
    for i in 0..10u64 {
        t.record("parse \"json\"", Duration::from_micros(i * 7 + 1), i * 100).unwrap();
        t.record_sample("größe", &Sample::new(Duration::from_nanos(i), 1).with_cpu_time(Duration::from_nanos(i)))
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
fn a_truncated_last_line_is_named_with_its_line_number() {
    let path = temp_file("truncated");
    let t = busy_tracker();
    append_json_lines(&path, &Snapshot::take(&t)).unwrap();
    let cut = Snapshot::take(&t).to_json_line();
    // A crash mid-write: half a line, no newline.
    let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
    std::io::Write::write_all(&mut f, &cut.as_bytes()[..cut.len() / 2]).unwrap();
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
