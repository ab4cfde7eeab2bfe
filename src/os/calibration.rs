//! The TSC's frequency, measured once against the OS clock with each end
//! of the measurement bracketed, so that a stall there is read again rather
//! than believed. A function of its two clocks, so that a scripted machine
//! can test it; `clock.rs` gives it `Instant` and RDTSC.

/// How long the calibration spans, in the OS clock's nanoseconds.
const CALIBRATION_NS: u64 = 2_000_000;

/// The widest an end's bracket may be: two OS reads around one TSC read
/// take tens of nanoseconds, so a wider one means the thread (or the VM's
/// CPU) was preempted between them, and where in that gap the TSC was read
/// is unknown.
const BRACKET_NS: u64 = 1_000;

/// How many times an end is read before the calibration gives up on the
/// TSC (and the clock falls back to `Instant`).
const BRACKET_TRIES: u32 = 64;

/// A TSC reading and the OS clock read just before and just after it.
#[derive(Debug, Clone, Copy)]
struct Bracket {
    before_ns: u64,
    tsc: u64,
    after_ns: u64,
}

/// A bracket no wider than [`BRACKET_NS`], read up to [`BRACKET_TRIES`] times.
fn tight_bracket(os_ns: &mut impl FnMut() -> u64, tsc: &mut impl FnMut() -> u64) -> Option<Bracket> {
    (0..BRACKET_TRIES)
        .map(|_| {
            let before_ns = os_ns();
            let tsc = tsc();
            Bracket { before_ns, tsc, after_ns: os_ns() }
        })
        .find(|b| b.after_ns.saturating_sub(b.before_ns) <= BRACKET_NS)
}

/// The TSC's ticks per second, measured against the OS clock over
/// [`CALIBRATION_NS`]. Each end's TSC read sits in a tight bracket of OS
/// reads, so a preemption at either end is read again, not believed: one
/// between a plain OS read and a plain TSC read would skew the frequency by
/// its length over 2 ms (a 10 µs stall, 0.5%), for the life of the
/// process. With both brackets tight, the frequency is good to 1 µs in
/// 2 ms, 5 × 10⁻⁴, and typically to a few × 10⁻⁵. `None` when no tight
/// bracket could be had, or the TSC did not advance.
pub(super) fn measure_hz(
    mut os_ns: impl FnMut() -> u64,
    mut tsc: impl FnMut() -> u64,
    mut spin: impl FnMut(),
) -> Option<u64> {
    let start = tight_bracket(&mut os_ns, &mut tsc)?;
    while os_ns().saturating_sub(start.after_ns) < CALIBRATION_NS {
        spin();
    }
    let end = tight_bracket(&mut os_ns, &mut tsc)?;
    // The midpoints, doubled to stay in integers: each TSC read is within
    // half a bracket of its midpoint.
    let twice_ns = (u128::from(end.before_ns) + u128::from(end.after_ns))
        .checked_sub(u128::from(start.before_ns) + u128::from(start.after_ns))?;
    let ticks = u128::from(end.tsc.checked_sub(start.tsc)?);
    let hz = ticks * 2_000_000_000 / twice_ns.max(1);
    u64::try_from(hz).ok().filter(|&hz| hz > 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::measure_hz;
    use core::cell::Cell;
    use std::vec;
    use std::vec::Vec;

    /// A scripted machine for the calibration: one true time in
    /// nanoseconds, which each read advances by 10 ns; the OS clock reads
    /// it, the TSC reads it at 2 GHz. The thread stalls for `stall_ns`
    /// just before each TSC read whose number (from 0) is in `stall_before`.
    struct Machine {
        now: Cell<u64>,
        tsc_reads: Cell<u32>,
        stall_before: Vec<u32>,
        stall_ns: u64,
    }

    impl Machine {
        fn new(stall_before: Vec<u32>, stall_ns: u64) -> Self {
            Self { now: Cell::new(1_000_000), tsc_reads: Cell::new(0), stall_before, stall_ns }
        }
        fn read(&self) -> u64 {
            let t = self.now.get();
            self.now.set(t + 10);
            t
        }
        fn os_ns(&self) -> u64 {
            self.read()
        }
        fn tsc(&self) -> u64 {
            let n = self.tsc_reads.get();
            self.tsc_reads.set(n + 1);
            if self.stall_before.contains(&n) {
                self.now.set(self.now.get() + self.stall_ns);
            }
            self.read() * 2
        }
        fn hz(&self) -> Option<u64> {
            measure_hz(|| self.os_ns(), || self.tsc(), || {})
        }
    }

    #[test]
    fn a_stall_at_either_end_of_the_calibration_is_read_again_not_believed() {
        // Unstalled, each TSC read is the midpoint of its bracket: exact.
        assert_eq!(Machine::new(vec![], 0).hz(), Some(2_000_000_000));
        // 50 µs stalls before the first read of the start (read 0) and of the
        // end (read 1): believed, either would be 2.5% over 2 ms.
        for stalls in [vec![0], vec![1], vec![0, 1], vec![0, 1, 2, 3, 4]] {
            let machine = Machine::new(stalls.clone(), 50_000);
            let hz = machine.hz().expect("a tight bracket after the stalls");
            assert!(hz.abs_diff(2_000_000_000) <= 200_000, "stalls before TSC reads {stalls:?}: {hz} Hz");
            assert!(machine.tsc_reads.get() > 2, "the stalled ends were read again");
        }
    }

    #[test]
    fn a_stall_shorter_than_a_bracket_costs_at_most_half_of_it() {
        // 900 ns is under the 1 µs a bracket may span: believed, and the
        // midpoint is then off by at most half the bracket, 450 ns in 2 ms.
        let hz = Machine::new(vec![0], 900).hz().unwrap();
        assert!(hz.abs_diff(2_000_000_000) <= 2_000_000_000 / 4_000, "{hz} Hz");
    }

    #[test]
    fn a_calibration_stalled_at_every_read_gives_up_on_the_tsc() {
        assert_eq!(Machine::new((0..200).collect(), 50_000).hz(), None);
        // The end alone stalled at every try: no frequency either.
        assert_eq!(Machine::new((1..200).collect(), 50_000).hz(), None);
    }

    #[test]
    fn a_tsc_that_does_not_advance_gives_no_frequency() {
        let frozen = Cell::new(0_u64);
        let os = || {
            frozen.set(frozen.get() + 10);
            frozen.get()
        };
        assert_eq!(measure_hz(os, || 7, || {}), None);
    }
}
