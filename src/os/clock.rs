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
/// OS's clock code (a vDSO call at best, a system call on some VMs). It is used
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
/// use perftrack::{clock::Clock, os::FastClock};
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
    let os = Source::Instant(Instant::now());
    super::calibration::measure_hz(|| os.read(), rdtsc, core::hint::spin_loop)
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
    use super::FastClock;
    use crate::clock::Clock;
    use core::time::Duration;
    use std::time::Instant;

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
