//! A forked child never hangs: while parent threads snapshot an operation,
//! record on its contended path and register new series, the main thread
//! forks again and again, and each child reads (summary, report, both
//! expositions, and with `serde` the history line), records and registers
//! within a bound, and sees
//! every record that completed before the fork. In a binary of its own: a
//! fork copies the whole test process.
#![cfg(unix)]
#![allow(unsafe_code)]

use core::sync::atomic::{AtomicBool, Ordering};
use core::time::Duration;
use std::thread;
use std::time::Instant;

use perftrack::Tracker;

/// Forks; the child runs `check` under a 10 s alarm (SIGALRM ends a hung
/// child) and leaves with `_exit(0)` when it holds, 1 when not. The child
/// prints nothing: another thread of the parent may hold stdout's lock.
fn fork_child(check: impl FnOnce() -> bool) -> libc::pid_t {
    // SAFETY: the child runs only `check` (the tracker's code and the
    // allocator, which glibc makes safe after fork) and leaves with `_exit`,
    // never returning into the test harness.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        // SAFETY: plain system calls; `_exit` ends the child without
        // unwinding or running the parent's atexit handlers.
        unsafe {
            libc::alarm(10);
            let ok = check();
            libc::_exit(if ok { 0 } else { 1 });
        }
    }
    pid
}

/// The child's exit: `Ok(code)`, or `Err` with what happened instead (a
/// signal, or still running after 20 s, when it is killed).
fn wait_child(pid: libc::pid_t) -> Result<i32, String> {
    let t0 = Instant::now();
    let mut status = 0;
    loop {
        // SAFETY: `pid` is our child; `status` is a valid out-pointer.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == pid {
            break;
        }
        assert!(r == 0, "waitpid failed");
        if t0.elapsed() > Duration::from_secs(20) {
            // SAFETY: our own child; then reap it.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &mut status, 0);
            }
            return Err(String::from("still running after 20 s: it hung"));
        }
        thread::sleep(Duration::from_millis(2));
    }
    if libc::WIFEXITED(status) {
        Ok(libc::WEXITSTATUS(status))
    } else {
        Err(format!("ended by signal {} (SIGALRM: it hung for 10 s)", libc::WTERMSIG(status)))
    }
}

/// The JSON history line of a snapshot reads back (with `serde`).
fn history_reads(t: &Tracker<64, 8, 1>) -> bool {
    #[cfg(feature = "serde")]
    {
        let line = perftrack::history::Snapshot::take(t).to_json_line();
        perftrack::history::Snapshot::from_json_lines(&line).is_ok()
    }
    #[cfg(not(feature = "serde"))]
    {
        let _ = t;
        true
    }
}

#[test]
#[cfg_attr(miri, ignore = "miri does not fork")]
fn a_child_forked_amid_snapshots_contended_records_and_registrations_never_hangs() {
    // One shard: of the two writers, one owns it and the other records on
    // the contended (hot/cold) path, the one a reader waits for.
    let t: &'static Tracker<64, 8, 1> = Box::leak(Tracker::boxed());
    let op = t.operation("hot").unwrap();
    let stop = AtomicBool::new(false);
    let rounds = 40;
    let mut failures = Vec::new();
    thread::scope(|s| {
        for w in 0..2u64 {
            let stop = &stop;
            s.spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    op.record(Duration::from_nanos(100 + (n + w) % 900), 1);
                    n += 1;
                }
            });
        }
        let stop = &stop;
        // A reader: snapshots of the operation, whole expositions.
        s.spawn(move || {
            let mut body = String::new();
            while !stop.load(Ordering::Relaxed) {
                let _ = op.summary();
                body.clear();
                let _ = t.write_openmetrics(&mut body);
            }
        });
        // A registrar: new labelled series until the tracker is full.
        s.spawn(move || {
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let _ = t.operation_with_labels("series", &[("n", &(i % 200).to_string())]);
                let _ = t.counter_with_labels("events", &[("n", &(i % 200).to_string())]).map(|c| c.increment(1));
                i += 1;
            }
        });
        for round in 0..rounds {
            thread::sleep(Duration::from_millis(3));
            let before = op.summary().count;
            let pid = fork_child(|| {
                let s = op.summary();
                let mut text = String::new();
                let mut bytes = Vec::new();
                let read = s.count >= before
                    && t.write_openmetrics(&mut text).is_ok()
                    && t.write_protobuf(&mut bytes).is_ok()
                    && t.report().to_string().contains("hot")
                    && history_reads(t);
                // The child records and registers as any process.
                for _ in 0..10 {
                    op.record(Duration::from_nanos(50), 1);
                }
                let recorded = op.summary().count == s.count + 10;
                let fresh = t.operation("made_in_the_child").is_ok() || t.len() == 64;
                read && recorded && fresh
            });
            match wait_child(pid) {
                Ok(0) => {}
                Ok(code) => failures.push(format!("round {round}: the child's checks failed (exit {code})")),
                Err(why) => failures.push(format!("round {round}: {why}")),
            }
        }
        stop.store(true, Ordering::Relaxed);
    });
    assert!(failures.is_empty(), "{} of {rounds} children failed: {failures:#?}", failures.len());
}

/// Handlers run, and how many of them found their thread inside a section.
static HANDLED: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);
static IN_SECTION: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

/// A SIGUSR1 handler that forks: the child leaves at once, the handler
/// reaps it.
extern "C" fn fork_in_handler(_: libc::c_int) {
    if perftrack::__private::section_depth() > 0 {
        IN_SECTION.fetch_add(1, Ordering::Relaxed);
    }
    // SAFETY: glibc's fork may be called from a signal handler (POSIX 2024
    // no longer lists it as async-signal-safe, so this test is glibc's); the
    // child calls only `_exit`, and `waitpid` is async-signal-safe.
    unsafe {
        let pid = libc::fork();
        if pid == 0 {
            libc::_exit(0);
        }
        if pid > 0 {
            let mut status = 0;
            libc::waitpid(pid, &mut status, 0);
            HANDLED.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[test]
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[cfg_attr(miri, ignore = "miri does not fork")]
fn a_signal_handler_that_forks_inside_its_own_threads_section_never_deadlocks() {
    // In a child of its own, under its alarm: a deadlock ends it with
    // SIGALRM instead of hanging the test run.
    let pid = fork_child(|| {
        let t: &'static Tracker<4, 8, 1> = Box::leak(Tracker::boxed());
        let op = t.operation("snapshotted").unwrap();
        for n in 0..1000 {
            op.record(Duration::from_nanos(100 + n), 0);
        }
        static TARGET: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);
        static STOP: AtomicBool = AtomicBool::new(false);
        // SAFETY: a valid `sigaction` for SIGUSR1 whose handler is an
        // `extern "C" fn(c_int)`; SA_RESTART so the snapshot loop's own
        // calls are not cut short.
        unsafe {
            let mut action: libc::sigaction = core::mem::zeroed();
            action.sa_sigaction = fork_in_handler as extern "C" fn(libc::c_int) as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(libc::SIGUSR1, &action, core::ptr::null_mut());
        }
        let snapshots = thread::spawn(move || {
            // SAFETY: the calling thread's own id.
            TARGET.store(unsafe { libc::pthread_self() } as u64, Ordering::Release);
            // Snapshots back to back: most of this thread's time is inside
            // a section.
            while !STOP.load(Ordering::Relaxed) {
                let _ = op.summary();
            }
        });
        while TARGET.load(Ordering::Acquire) == 0 {
            thread::yield_now();
        }
        let mut sent = 0;
        while IN_SECTION.load(Ordering::Relaxed) < 20 && sent < 5000 {
            // SAFETY: a live thread of this process (it ends only after STOP).
            unsafe { libc::pthread_kill(TARGET.load(Ordering::Acquire) as libc::pthread_t, libc::SIGUSR1) };
            sent += 1;
            thread::sleep(Duration::from_micros(200));
        }
        STOP.store(true, Ordering::Relaxed);
        snapshots.join().is_ok() && IN_SECTION.load(Ordering::Relaxed) >= 20 && HANDLED.load(Ordering::Relaxed) > 0
    });
    match wait_child(pid) {
        Ok(0) => {}
        Ok(code) => panic!("the child's checks failed (exit {code}): fewer than 20 signals landed inside a section"),
        Err(why) => panic!("a fork from a signal handler inside a section: {why}"),
    }
}
