//! `perftrack::instrument::write_outputs()` writes what `PERFTRACK_OUT` lists at any
//! moment, for a program that does not end by returning from a
//! `#[perftrack::main]`. In a child process (this binary again), since the
//! variable is read from the environment of the process.

use std::process::Command;

const CHILD: &str = "PERFTRACK_WRITE_OUTPUTS_CHILD";

/// The child: records into the global tracker and writes the outputs now.
#[test]
#[ignore = "the child process of the test below, which starts it itself"]
fn child_records_and_writes_its_outputs_now() {
    if std::env::var(CHILD).is_err() {
        return;
    }
    drop(perftrack::global().operation("written_now").unwrap().time());
    let err = perftrack::instrument::write_outputs().unwrap_err().to_string();
    // The good entry is written; the bad ones are named, every one.
    assert!(err.contains("nope=x: unknown output kind"), "{err}");
    assert!(err.contains("folded=/nonexistent-dir/x.folded:"), "{err}");
}

#[test]
fn write_outputs_writes_every_entry_it_can_and_names_the_others() {
    let dir = std::env::temp_dir().join(format!("perftrack-write-outputs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let folded = dir.join("now.folded");
    let spec = format!("folded={},nope=x,folded=/nonexistent-dir/x.folded", folded.display());
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["child_records_and_writes_its_outputs_now", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env("PERFTRACK_OUT", spec)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&folded).unwrap();
    assert!(text.lines().any(|l| l.starts_with("written_now ")), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
