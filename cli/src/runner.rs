//! `perftrack run` and `perftrack ab`: run commands for their history.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs `command` `n` times, each appending its snapshot to `out`.
pub(crate) fn run(n: usize, out: &Path, command: &[String]) -> Result<(), String> {
    let (program, args) = command.split_first().ok_or("no command to run: give it after `--`")?;
    let mut progress = Progress::new(n);
    for i in 1..=n {
        progress.show(i - 1, "run");
        let mut c = Command::new(program);
        c.args(args);
        one(&mut c, out, &format!("run {i} of {n} ({})", command.join(" ")))?;
    }
    progress.done();
    Ok(())
}

/// The order of `perftrack ab`'s runs: pairs that start with base and with
/// head in turn (base, head, head, base, base, head, …), so that a drift
/// across the session weighs on both sides alike. `0` is base, `1` head.
pub(crate) fn order(n: usize) -> impl Iterator<Item = usize> {
    (0..n).flat_map(|pair| if pair % 2 == 0 { [0, 1] } else { [1, 0] })
}

/// Runs `commands` (base, head) `n` times each through `sh -c`, in
/// [`order`], appending to `outs`.
pub(crate) fn ab(n: usize, commands: [&str; 2], outs: [&Path; 2], append: bool) -> Result<(), String> {
    if outs[0] == outs[1] {
        return Err(format!("--base-out and --head-out are one file, {}: give each side its own", outs[0].display()));
    }
    if !append {
        for out in outs {
            std::fs::write(out, "").map_err(|e| format!("{}: cannot start it empty: {e}", out.display()))?;
        }
    }
    let mut progress = Progress::new(2 * n);
    let mut done = [0usize; 2];
    for (i, side) in order(n).enumerate() {
        let name = ["base", "head"][side];
        progress.show(i, name);
        done[side] += 1;
        let mut c = Command::new("sh");
        c.arg("-c").arg(commands[side]);
        one(&mut c, outs[side], &format!("{name} run {} of {n} ({})", done[side], commands[side]))?;
    }
    progress.done();
    Ok(())
}

/// One run of `c`, appending its snapshot to `out`; `what` names it in an
/// error. Its output goes to this process's stderr, so that a pipeline
/// reading `perftrack`'s stdout sees only `perftrack`'s.
fn one(c: &mut Command, out: &Path, what: &str) -> Result<(), String> {
    let status = c
        .env("PERFTRACK_OUT", format!("json={}", out.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::from(std::io::stderr().as_fd().try_clone_to_owned().map_err(|e| e.to_string())?))
        .status()
        .map_err(|e| format!("{what}: cannot start it: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("{what}: exited with {status}")) }
}

use std::os::fd::AsFd;

/// A progress bar on a terminal's stderr; a line per run otherwise.
struct Progress {
    total: usize,
    tty: bool,
}

impl Progress {
    fn new(total: usize) -> Self {
        Self { total, tty: std::io::stderr().is_terminal() }
    }

    fn show(&mut self, done: usize, what: &str) {
        let mut e = std::io::stderr();
        if self.tty {
            let width = 30;
            let filled = done * width / self.total.max(1);
            let _ =
                write!(e, "\r[{}{}] {done}/{} {what:<4}", "#".repeat(filled), ".".repeat(width - filled), self.total);
            let _ = e.flush();
        } else {
            let _ = writeln!(e, "perftrack: {what} ({}/{})", done + 1, self.total);
        }
    }

    fn done(&mut self) {
        if self.tty {
            let _ = writeln!(std::io::stderr(), "\r[{}] {}/{} done", "#".repeat(30), self.total, self.total);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::order;

    #[test]
    fn ab_alternates_which_side_starts_each_pair() {
        let o: Vec<usize> = order(4).collect();
        assert_eq!(o, [0, 1, 1, 0, 0, 1, 1, 0]);
        assert_eq!(order(3).filter(|&s| s == 0).count(), 3);
    }
}
