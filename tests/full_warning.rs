//! A full tracker says so once on stderr, naming the first name it refused
//! to a `#[measure]` call site, a `Timer` or the tracing layer; every
//! refusal is still counted. In a child process (this binary again), since
//! the warning is once a process and goes to stderr.

use std::process::Command;

use perftrack::{Timer, instrument::HeapTracker};

const CHILD: &str = "PERFTRACK_FULL_WARNING_CHILD";

static TINY: HeapTracker<1, 4, 1> = HeapTracker::new();

#[perftrack::measure(tracker = &TINY)]
fn refused_function() -> u32 {
    7
}

/// The child: fills the tracker, then is refused by a `Timer` and a
/// `#[measure]` call site, twice each.
#[test]
#[ignore = "the child process of the test below, which starts it itself"]
fn child_refused_twice_by_a_timer_and_a_call_site() {
    if std::env::var(CHILD).is_err() {
        return;
    }
    TINY.operation("the_only_slot").unwrap();
    for _ in 0..2 {
        assert!(Timer::new("timer_name").record(&TINY).is_err());
        assert_eq!(refused_function(), 7, "a refused function still runs");
    }
    assert_eq!(TINY.refused(), 3, "the call site is refused once, then remembers; the timer twice");
}

#[test]
fn a_full_tracker_warns_once_naming_the_first_refused_name() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "child_refused_twice_by_a_timer_and_a_call_site",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the child failed: {}{stderr}", String::from_utf8_lossy(&out.stdout));
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.starts_with("perftrack: the tracker is full")).collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(warnings[0].contains("`timer_name` is not timed"), "{stderr}");
}
