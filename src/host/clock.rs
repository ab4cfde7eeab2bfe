//! `FastClock`: the std layer's clock. The CPU's time-stamp counter where the
//! OS vouches for it (x86_64 Linux with an invariant TSC that the kernel
//! itself uses as its clocksource), calibrated once against the OS clock;
//! `std::time::Instant` everywhere else.
#![allow(unsafe_code)]

use std::sync::OnceLock;
use std::time::Instant;

use crate::clock::Clock;

/// The std layer's clock: `Timer`, `ScopeGuard` and `Timed` read it.
///
/// Reading the TSC is a register read where `Instant::now` goes through the
/// OS's clock code (docs/BENCHMARKS.md gives the measured difference). It is used
/// only where it is known to be safe:
/// x86_64 Linux whose CPU flags say `constant_tsc` and `nonstop_tsc` and
/// whose kernel clocksource is `tsc` (so the kernel, too, trusts it across
/// cores and power states). The frequency is measured once, against
/// `Instant`, the first time the clock is used in a process: that first
/// reading takes about 2 ms and reads `/proc` (allocating); every later one
/// is a register read and allocates nothing. Each end of that measurement
/// reads the TSC between two `Instant` reads, and reads again when the
/// thread was preempted there, so a stall cannot skew the frequency; if no
/// end can be read without one, the clock is `Instant`.
/// [`FastClock::source`] says which source is in use.
///
/// ```
/// use perftrack::{Clock, FastClock};
///
/// let t0 = FastClock.ticks();
/// let spent = FastClock.since(t0);
/// assert!(spent < std::time::Duration::from_secs(1));
/// assert!(["tsc", "instant"].contains(&FastClock::source()));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct FastClock;

/// The calibrated source, decided once.
#[derive(Debug)]
enum Source {
    /// The TSC at `hz` ticks per second; `ns_per_tick` is the same as a
    /// 32.32 fixed-point factor, so that converting needs no division.
    Tsc { hz: u64, ns_per_tick: u64 },
    /// Nanoseconds since this instant.
    Instant(Instant),
}

impl Source {
    /// A reading: the TSC, or nanoseconds since the epoch.
    #[inline]
    fn read(&self) -> u64 {
        match self {
            #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
            Self::Tsc { .. } => rdtsc(),
            #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
            Self::Tsc { .. } => 0,
            Self::Instant(epoch) => u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX),
        }
    }

    /// `ticks` readings' worth of nanoseconds, saturating.
    #[inline]
    fn to_ns(&self, ticks: u64) -> u64 {
        match self {
            Self::Tsc { ns_per_tick, .. } => {
                u64::try_from((u128::from(ticks) * u128::from(*ns_per_tick)) >> 32).unwrap_or(u64::MAX)
            }
            Self::Instant(_) => ticks,
        }
    }
}

static SOURCE: OnceLock<Source> = OnceLock::new();

/// The source: a load and a branch once calibrated, inlined into callers in
/// other crates (the attribute macros' expansions) like the rest of the
/// timing path.
#[inline]
fn source() -> &'static Source {
    match SOURCE.get() {
        Some(source) => source,
        None => calibrate(),
    }
}

/// The first reading: decides the source, once per process.
#[cold]
#[inline(never)]
fn calibrate() -> &'static Source {
    SOURCE.get_or_init(|| {
        tsc_hz().map_or_else(
            || Source::Instant(Instant::now()),
            |hz| Source::Tsc {
                hz,
                ns_per_tick: u64::try_from((1_000_000_000u128 << 32) / u128::from(hz)).unwrap_or(u64::MAX),
            },
        )
    })
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
#[inline]
fn rdtsc() -> u64 {
    // SAFETY: RDTSC exists on every x86_64 CPU and only reads the counter
    // into registers; it has no preconditions.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// The TSC's frequency, if the OS vouches for the TSC here. (Never under
/// miri, which can neither read `/proc` in isolation nor execute RDTSC.)
#[cfg(all(target_arch = "x86_64", target_os = "linux", not(miri)))]
fn tsc_hz() -> Option<u64> {
    let flags = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    let flags = flags.lines().find(|l| l.starts_with("flags"))?;
    let has = |f: &str| flags.split_whitespace().any(|w| w == f);
    if !(has("constant_tsc") && has("nonstop_tsc")) {
        return None;
    }
    let cs = std::fs::read_to_string("/sys/devices/system/clocksource/clocksource0/current_clocksource").ok()?;
    if cs.trim() != "tsc" {
        return None;
    }
    let epoch = Instant::now();
    measure_hz(|| u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX), rdtsc, core::hint::spin_loop)
}

/// How long the calibration spans, in the OS clock's nanoseconds.
#[cfg(any(test, all(target_arch = "x86_64", target_os = "linux", not(miri))))]
const CALIBRATION_NS: u64 = 2_000_000;

/// The widest an end's bracket may be: two OS reads around one TSC read
/// take tens of nanoseconds, so a wider one means the thread (or the VM's
/// CPU) was preempted between them, and where in that gap the TSC was read
/// is unknown.
#[cfg(any(test, all(target_arch = "x86_64", target_os = "linux", not(miri))))]
const BRACKET_NS: u64 = 1_000;

/// How many times an end is read before the calibration gives up on the
/// TSC (and the clock falls back to `Instant`).
#[cfg(any(test, all(target_arch = "x86_64", target_os = "linux", not(miri))))]
const BRACKET_TRIES: u32 = 64;

/// A TSC reading and the OS clock read just before and just after it.
#[cfg(any(test, all(target_arch = "x86_64", target_os = "linux", not(miri))))]
#[derive(Debug, Clone, Copy)]
struct Bracket {
    before_ns: u64,
    tsc: u64,
    after_ns: u64,
}

/// A bracket no wider than [`BRACKET_NS`], read up to [`BRACKET_TRIES`] times.
#[cfg(any(test, all(target_arch = "x86_64", target_os = "linux", not(miri))))]
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
#[cfg(any(test, all(target_arch = "x86_64", target_os = "linux", not(miri))))]
fn measure_hz(mut os_ns: impl FnMut() -> u64, mut tsc: impl FnMut() -> u64, mut spin: impl FnMut()) -> Option<u64> {
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

#[cfg(not(all(target_arch = "x86_64", target_os = "linux", not(miri))))]
fn tsc_hz() -> Option<u64> {
    None
}

impl FastClock {
    /// Nanoseconds since the reading `start`, saturating: what
    /// [`since`](Clock::since) gives, without the `Duration` a guard would
    /// only turn back into nanoseconds.
    #[inline]
    pub(crate) fn ns_since(self, start: u64) -> u64 {
        let source = source();
        source.to_ns(source.read().wrapping_sub(start))
    }

    /// `"tsc"` or `"instant"`: the source this process uses.
    #[must_use]
    pub fn source() -> &'static str {
        match source() {
            Source::Tsc { .. } => "tsc",
            Source::Instant(_) => "instant",
        }
    }
}

impl Clock for FastClock {
    #[inline]
    fn ticks(&self) -> u64 {
        source().read()
    }

    #[inline]
    fn hz(&self) -> u64 {
        match source() {
            Source::Tsc { hz, .. } => *hz,
            Source::Instant(_) => 1_000_000_000,
        }
    }

    #[inline]
    fn to_duration(&self, ticks: u64) -> core::time::Duration {
        core::time::Duration::from_nanos(source().to_ns(ticks))
    }
}

#[cfg(test)]
mod tests {
    use super::{FastClock, measure_hz};
    use crate::clock::Clock;
    use core::cell::Cell;
    use core::time::Duration;
    use std::time::Instant;
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

    #[test]
    #[cfg_attr(miri, ignore = "miri's clock advances with each interpreted instruction")]
    fn the_fast_clock_agrees_with_the_os_clock_over_20_ms() {
        // The first reading calibrates (2 ms); keep that out of the span.
        let _ = FastClock.ticks();
        // Each fast reading sits between two OS readings, so the fast span
        // lies between the inner and the outer OS span whatever the scheduler
        // does between the reads; only the 1% calibration is asserted.
        let (a0, t0, a1) = (Instant::now(), FastClock.ticks(), Instant::now());
        std::thread::sleep(Duration::from_millis(20));
        let (b0, fast, b1) = (Instant::now(), FastClock.since(t0), Instant::now());
        let (inner, outer) = (b0.duration_since(a1), b1.duration_since(a0));
        let slack = Duration::from_micros(10);
        assert!(
            fast + inner / 100 + slack >= inner && fast <= outer + outer / 100 + slack,
            "{} clock: {fast:?} outside [{inner:?}, {outer:?}] by more than 1%",
            FastClock::source()
        );
    }
}
