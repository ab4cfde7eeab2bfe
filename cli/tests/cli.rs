//! The `perftrack` command end to end: each subcommand's output and exit
//! status on history files written by a real tracker, and its errors on
//! files that are not histories.
#![allow(unsafe_code)]

use core::time::Duration;
use std::path::PathBuf;
use std::process::{Command, Output};

use perftrack::{
    Tracker,
    history::{Snapshot, append_json_lines},
};

/// A fresh directory for one test's files.
fn dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("perftrack-cli-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A history file of one snapshot: `parse` and `io`, 20,000 records each,
/// `parse` `slowdown` times slower than 100..150 µs.
fn history(path: &PathBuf, slowdown: f64) {
    history_run(path, slowdown, None);
}

/// One run's snapshot appended to `path`, with run id `run` (a test
/// process takes all its snapshots with one id, so a run of many is given
/// its ids here).
fn history_run(path: &PathBuf, slowdown: f64, run: Option<u64>) {
    let t: Tracker<4, 4, 1> = Tracker::new();
    for i in 0..20_000u64 {
        let us = 100.0 + (i % 50) as f64;
        t.record("parse", Duration::from_nanos((us * 1000.0 * slowdown) as u64), 64).unwrap();
        t.record("io", Duration::from_micros(10 + i % 7), 0).unwrap();
    }
    let mut s = Snapshot::take(&t);
    if run.is_some() {
        s.run = run;
    }
    append_json_lines(path, &s).unwrap();
}

/// `runs` runs a side, each with its own id and a wobble of up to 2% run
/// to run, `parse` `slowdown` times slower.
fn runs(path: &PathBuf, runs: u64, slowdown: f64, first_id: u64) {
    for i in 0..runs {
        history_run(path, slowdown * (1.0 + 0.005 * (i % 5) as f64), Some(first_id + i));
    }
}

fn perftrack(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_perftrack")).args(args).output().unwrap()
}

fn text(out: &Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn diff_exits_1_on_a_regression_across_5_runs_a_side_and_0_without_one_in_every_format() {
    let d = dir("diff");
    let (base, same, slower) = (d.join("base.jsonl"), d.join("same.jsonl"), d.join("slower.jsonl"));
    runs(&base, 5, 1.0, 100);
    runs(&same, 5, 1.0, 200);
    runs(&slower, 5, 1.3, 300);
    let p = |f: &PathBuf| f.to_str().unwrap().to_string();
    for format in ["text", "markdown", "json"] {
        let out = perftrack(&["diff", &p(&base), &p(&slower), "--format", format]);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{format}: {stdout}{stderr}");
        match format {
            "text" => {
                assert!(stdout.lines().any(|l| l.starts_with("parse: regressed (5 base, 5 head runs)")), "{stdout}")
            }
            "markdown" => assert!(stdout.contains("| parse | p50 |") && stdout.contains("| regressed |"), "{stdout}"),
            _ => {
                assert!(
                    stdout.contains(r#""name":"parse""#) && stdout.contains(r#""verdict":"Regressed""#),
                    "{stdout}"
                );
                assert!(stdout.contains(r#""threshold":0.05"#) && stdout.contains(r#""base_runs":5"#), "{stdout}");
            }
        }
        let out = perftrack(&["diff", &p(&base), &p(&same), "--format", format]);
        assert_eq!(out.status.code(), Some(0), "{format}: {:?}", text(&out));
    }
    // The unchanged operation is not called regressed beside the slower one.
    let (stdout, _) = text(&perftrack(&["diff", &p(&base), &p(&slower)]));
    assert!(!stdout.lines().any(|l| l.starts_with("io: regressed")), "{stdout}");
    // A 30% slowdown under a 50% threshold is no verdict.
    let out = perftrack(&["diff", &p(&base), &p(&slower), "--threshold", "50%"]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    // Faster: improved, and exit 0.
    let out = perftrack(&["diff", &p(&slower), &p(&base)]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout.lines().any(|l| l.starts_with("parse: improved")), "{stdout}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn one_run_a_side_is_never_regressed_and_the_diff_says_why() {
    let d = dir("one-run");
    let (base, slower) = (d.join("base.jsonl"), d.join("slower.jsonl"));
    history(&base, 1.0);
    history(&slower, 1.5);
    let out = perftrack(&["diff", base.to_str().unwrap(), slower.to_str().unwrap()]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("NOTE: fewer than 3 runs a side"), "{stdout}");
    assert!(
        stdout.lines().any(|l| l.starts_with("parse: inconclusive") && l.contains("fewer than 3 runs")),
        "{stdout}"
    );
    assert!(!stdout.contains("regressed ("), "{stdout}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn inconclusive_exits_3_only_with_fail_on_inconclusive() {
    let d = dir("inconclusive");
    let (base, head) = (d.join("base.jsonl"), d.join("head.jsonl"));
    runs(&base, 2, 1.0, 1);
    runs(&head, 2, 1.2, 10);
    let (b, h) = (base.to_str().unwrap(), head.to_str().unwrap());
    assert_eq!(perftrack(&["diff", b, h]).status.code(), Some(0));
    let out = perftrack(&["diff", b, h, "--fail-on-inconclusive"]);
    assert_eq!(out.status.code(), Some(3), "{:?}", text(&out));
    // A regression wins over inconclusive: exit 1.
    let (b5, h5) = (d.join("b5.jsonl"), d.join("h5.jsonl"));
    runs(&b5, 5, 1.0, 20);
    runs(&h5, 5, 1.3, 30);
    let out = perftrack(&["diff", b5.to_str().unwrap(), h5.to_str().unwrap(), "--fail-on-inconclusive"]);
    assert_eq!(out.status.code(), Some(1), "{:?}", text(&out));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn last_takes_each_files_last_runs_and_a_runs_snapshots_count_once() {
    let d = dir("last");
    let (base, head) = (d.join("base.jsonl"), d.join("head.jsonl"));
    runs(&base, 5, 1.0, 1);
    // The head's first five runs are 40% slower; its last five are not.
    runs(&head, 5, 1.4, 10);
    runs(&head, 5, 1.0, 20);
    let (b, h) = (base.to_str().unwrap(), head.to_str().unwrap());
    let out = perftrack(&["diff", b, h, "--last", "5"]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.starts_with("5 base run(s), 5 head run(s)"), "{stdout}");
    assert!(text(&perftrack(&["diff", b, h])).0.starts_with("5 base run(s), 10 head run(s)"));
    // Three periodic snapshots of one process (one run id) are one run: its last.
    let periodic = d.join("periodic.jsonl");
    for _ in 0..3 {
        history_run(&periodic, 1.0, Some(77));
    }
    let (stdout, _) = text(&perftrack(&["diff", b, periodic.to_str().unwrap()]));
    assert!(stdout.starts_with("5 base run(s), 1 head run(s)"), "{stdout}");
    let out = perftrack(&["diff", b, h, "--last", "0"]);
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn help_lists_the_exit_codes() {
    for args in [vec!["--help"], vec!["diff", "--help"]] {
        let (stdout, _) = text(&perftrack(&args));
        assert!(stdout.contains("Exit status: 0"), "{stdout}");
        assert!(stdout.contains("1 a regression") || stdout.contains("1 diff found a regression"), "{stdout}");
        assert!(
            stdout.contains("2 a bad input") && stdout.contains("3") && stdout.contains("fail-on-inconclusive"),
            "{stdout}"
        );
    }
}

/// A shell command that appends `line` to the file PERFTRACK_OUT names,
/// as a real program's `#[perftrack::main]` does at exit, and logs `side`.
fn fake_run(line: &str, side: &str, log: &std::path::Path) -> String {
    let line_file = log.with_file_name(format!("{side}.line"));
    std::fs::write(&line_file, format!("{line}\n")).unwrap();
    format!("echo {side} >> '{}' && cat '{}' >> \"${{PERFTRACK_OUT#json=}}\"", log.display(), line_file.display())
}

#[test]
fn ab_interleaves_the_sides_and_run_appends_each_runs_snapshot() {
    let d = dir("ab");
    let sample = d.join("sample.jsonl");
    history(&sample, 1.0);
    let line = std::fs::read_to_string(&sample).unwrap().trim_end().to_string();
    let log = d.join("order.log");
    let (a, b) = (d.join("a.jsonl"), d.join("b.jsonl"));
    std::fs::write(&a, "left from before\n").unwrap();
    let out = perftrack(&[
        "ab",
        "-n",
        "3",
        "--base",
        &fake_run(&line, "base", &log),
        "--head",
        &fake_run(&line, "head", &log),
        "--base-out",
        a.to_str().unwrap(),
        "--head-out",
        b.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let order = std::fs::read_to_string(&log).unwrap();
    assert_eq!(order.lines().collect::<Vec<_>>(), ["base", "head", "head", "base", "base", "head"]);
    // Each side's file started empty and holds its 3 runs.
    for f in [&a, &b] {
        assert_eq!(perftrack::history::read_json_lines(f).unwrap().len(), 3);
    }
    // `run`: N runs appended to --out, the command given after `--`.
    let out_file = d.join("runs.jsonl");
    let cmd = fake_run(&line, "run", &log);
    let out = perftrack(&["run", "-n", "4", "--out", out_file.to_str().unwrap(), "--", "sh", "-c", &cmd]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_eq!(perftrack::history::read_json_lines(&out_file).unwrap().len(), 4);
    // A failing command stops the runs with exit 2, naming the run.
    let out = perftrack(&["run", "-n", "3", "--out", out_file.to_str().unwrap(), "--", "sh", "-c", "exit 7"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("run 1 of 3"), "{:?}", text(&out));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn trend_finds_a_planted_step_and_draws_it() {
    let d = dir("trend");
    let file = d.join("runs.jsonl");
    for i in 0..40u64 {
        let wobble = 1.0 + 0.01 * ((i * 7) % 5) as f64;
        history_run(&file, if i < 20 { wobble } else { 1.25 * wobble }, Some(i + 1));
    }
    let svg = d.join("trend.svg");
    let out = perftrack(&["trend", file.to_str().unwrap(), "--op", "parse", "--svg", svg.to_str().unwrap()]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("change at run 21"), "{stdout}");
    assert!(!stdout.contains("\nio"), "--op keeps one operation: {stdout}");
    let chart = std::fs::read_to_string(&svg).unwrap();
    assert!(chart.starts_with("<svg") && chart.contains("class=\"change-point\"") && chart.contains("at run 21"));
    let out = perftrack(&["trend", file.to_str().unwrap(), "--op", "nothing"]);
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn report_prints_the_last_snapshot_or_the_one_at_asks_for() {
    let d = dir("report");
    let file = d.join("run.jsonl");
    history(&file, 1.0);
    history(&file, 2.0);
    let f = file.to_str().unwrap();
    let (last, _) = text(&perftrack(&["report", f]));
    let (first, _) = text(&perftrack(&["report", f, "--at", "1"]));
    assert!(last.starts_with("=== Performance Report ===") && first.starts_with("=== Performance Report ==="));
    // The Avg column, in µs: 124.5 in the first snapshot, twice that in the last.
    let avg = |report: &str| -> f64 {
        let row = report.lines().find(|l| l.starts_with("parse ")).unwrap();
        row.split_whitespace().nth(2).unwrap().parse().unwrap()
    };
    assert!((avg(&first) - 124.5).abs() < 1.0, "{first}");
    assert!((avg(&last) - 249.0).abs() < 1.0, "{last}");
    assert_eq!(text(&perftrack(&["report", f, "--at", "-2"])).0, first);
    let out = perftrack(&["report", f, "--at", "3"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("--at 3 is out of range: the file holds 2 snapshots"), "{:?}", text(&out));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn merge_of_two_processes_equals_one_process_of_all_their_records() {
    let d = dir("merge");
    let (a, b, both) = (d.join("a.jsonl"), d.join("b.jsonl"), d.join("both.jsonl"));
    let (ta, tb, tboth): (Tracker<2, 4, 1>, Tracker<2, 4, 1>, Tracker<2, 4, 1>) =
        (Tracker::new(), Tracker::new(), Tracker::new());
    for i in 0..1_000u64 {
        let (t, ns) = if i % 3 == 0 { (&ta, 1_000 + i * 7) } else { (&tb, 50_000 + i * 13) };
        t.record("request", Duration::from_nanos(ns), i).unwrap();
        tboth.record("request", Duration::from_nanos(ns), i).unwrap();
        t.counter("bytes_total").unwrap().increment(i);
        tboth.counter("bytes_total").unwrap().increment(i);
    }
    append_json_lines(&a, &Snapshot::take(&ta)).unwrap();
    append_json_lines(&b, &Snapshot::take(&tb)).unwrap();
    let expected = Snapshot::take(&tboth);
    let out = perftrack(&["merge", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    std::fs::write(&both, &out.stdout).unwrap();
    let merged = perftrack::history::read_json_lines(&both).unwrap();
    assert_eq!(merged.len(), 1);
    assert_eq!(merged[0].summaries, expected.summaries, "exact, bucket for bucket");
    assert_eq!(merged[0].metrics, expected.metrics, "counters add");
    // The merged file's report lists the counter under the table.
    let report = text(&perftrack(&["report", both.to_str().unwrap()])).0;
    assert!(report.lines().any(|l| l.split_whitespace().eq(["bytes", "counter", "499500"])), "{report}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn bad_files_are_errors_that_name_the_file_and_the_line() {
    let d = dir("bad");
    let good = d.join("good.jsonl");
    history(&good, 1.0);
    let line = std::fs::read_to_string(&good).unwrap();
    let cases = [
        ("cut-then-more", format!("{}\n{line}", &line[..line.len() / 2]), "line 1"),
        ("garbage", "this is not json\n".to_string(), "line 1"),
        (
            "newer",
            line.replacen(r#""version":6"#, r#""version":9"#, 1),
            "format version 9 is newer than this build reads",
        ),
        ("empty", String::new(), "no snapshot in the file"),
    ];
    for (name, content, expected) in cases {
        let path = d.join(format!("{name}.jsonl"));
        std::fs::write(&path, content).unwrap();
        for args in
            [vec!["report", path.to_str().unwrap()], vec!["diff", good.to_str().unwrap(), path.to_str().unwrap()]]
        {
            let out = perftrack(&args);
            let (_, stderr) = text(&out);
            assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
            assert!(stderr.contains(path.to_str().unwrap()) && stderr.contains(expected), "{name}: {stderr}");
        }
    }
    // A last line with no newline, cut short by a crash: left out with a
    // warning that names it; the lines before it are read.
    let truncated = d.join("truncated.jsonl");
    std::fs::write(&truncated, format!("{line}{}", &line[..line.len() / 2])).unwrap();
    let out = perftrack(&["report", truncated.to_str().unwrap()]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.starts_with("=== Performance Report ===") && stdout.contains("UTC"), "{stdout}");
    assert!(stderr.contains("warning") && stderr.contains("line 2 has no newline"), "{stderr}");
    // Both files bad: the error names BASE, the first given, as a user reads them.
    let (missing, garbage) = (d.join("missing.jsonl"), d.join("garbage.jsonl"));
    let out = perftrack(&["diff", missing.to_str().unwrap(), garbage.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("missing.jsonl: cannot read history"), "{:?}", text(&out));
    let out = perftrack(&["report", d.join("missing.jsonl").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("missing.jsonl"), "{:?}", text(&out));
    let out = perftrack(&["diff", good.to_str().unwrap(), good.to_str().unwrap(), "--threshold", "five"]);
    assert_eq!(out.status.code(), Some(2), "clap's usage error");
    assert!(text(&out).1.contains("is not a threshold"), "{:?}", text(&out));
    let _ = std::fs::remove_dir_all(&d);
}

/// Runs the command and reaps it with `wait4`: its exit code, its stderr,
/// and its peak resident memory in KiB.
// The child is reaped by `wait4`, which std's `Child` does not know of.
#[allow(clippy::zombie_processes)]
fn perftrack_peak(args: &[&str]) -> (i32, String, u64) {
    use std::io::Read;
    let mut child = Command::new(env!("CARGO_BIN_EXE_perftrack"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value to write into.
    let mut usage: libc::rusage = unsafe { core::mem::zeroed() };
    // SAFETY: our own child, not yet reaped; valid out-pointers.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t, "wait4 failed");
    assert!(libc::WIFEXITED(status), "the command did not exit: {status}");
    (libc::WEXITSTATUS(status), err, usage.ru_maxrss as u64)
}

#[test]
fn a_50_mb_line_is_refused_by_its_number_before_it_is_parsed_in_bounded_memory() {
    let d = dir("long-line");
    let file = d.join("big.jsonl");
    history(&file, 1.0);
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().append(true).open(&file).unwrap();
        let chunk = vec![b'x'; 1 << 20];
        f.write_all(b"{\"version\":5,\"summaries\":[{\"name\":\"").unwrap();
        for _ in 0..50 {
            f.write_all(&chunk).unwrap();
        }
        f.write_all(b"\"}]}\n").unwrap();
    }
    let (code, err, peak_kib) = perftrack_peak(&["report", file.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("history line 2 is longer than 16777216 bytes"), "{err}");
    assert!(err.contains("the 1 lines before it are fine"), "{err}");
    assert!(err.len() < 1000, "the message echoes {} bytes", err.len());
    assert!(peak_kib < 64 * 1024, "peak memory {peak_kib} KiB for a 50 MB line");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn reading_dev_zero_stops_at_the_line_limit_in_bounded_memory() {
    let (code, err, peak_kib) = perftrack_peak(&["report", "/dev/zero"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("/dev/zero: history line 1 is longer than"), "{err}");
    assert!(peak_kib < 64 * 1024, "peak memory {peak_kib} KiB reading /dev/zero");
}

#[test]
fn an_error_echoes_at_most_64_bytes_of_a_name_from_the_file() {
    let d = dir("long-name");
    let file = d.join("name.jsonl");
    let name = "n".repeat(1 << 20);
    std::fs::write(
        &file,
        format!("{{\"version\":5,\"unix_ms\":0,\"metrics\":[],\"summaries\":[{{\"name\":\"{name}\",\"bogus\":1}}]}}\n"),
    )
    .unwrap();
    let out = perftrack(&["report", file.to_str().unwrap()]);
    let (_, err) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("summary 1 (\"{}\"… (1048576 bytes))", "n".repeat(64))),
        "{}",
        &err[..err.len().min(300)]
    );
    assert!(err.len() < 600, "the message echoes {} bytes", err.len());
    let _ = std::fs::remove_dir_all(&d);
}
