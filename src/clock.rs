//! Where a [`Span`](crate::Span)'s start and end come from: a [`Clock`]. A
//! `no_std` user implements it for a cycle counter; with `std`,
//! `perftrack::os::FastClock` reads the TSC where the OS vouches for it;
//! [`MockClock`] is for tests.

use core::time::Duration;

use crate::sync::{AtomicU64, Ordering, const_fn};

/// A monotonic tick counter and its frequency.
///
/// Implement it for your MCU's cycle counter to time spans without `std`:
///
/// ```
/// use perftrack::{Tracker, clock::Clock};
/// use core::time::Duration;
///
/// /// A 32-bit cycle counter at 48 MHz (DWT CYCCNT on a Cortex-M4, say).
/// struct Cyccnt;
/// impl Clock for Cyccnt {
///     fn ticks(&self) -> u64 {
///         # 0
///         // u64::from(cortex_m::peripheral::DWT::cycle_count())
///     }
///     fn hz(&self) -> u64 {
///         48_000_000
///     }
///     fn bits(&self) -> u32 {
///         32 // it wraps at 2^32: `since` measures across one wrap
///     }
/// }
///
/// static T: Tracker<4, 8> = Tracker::new();
/// let op = T.operation("control_step")?;
/// {
///     let _span = op.span(&Cyccnt); // records when dropped
///     // ... the work ...
/// }
/// assert_eq!(op.summary().count, 1);
/// assert_eq!(Cyccnt.to_duration(48), Duration::from_micros(1));
/// # Ok::<(), perftrack::TrackerError>(())
/// ```
pub trait Clock {
    /// The current reading, in ticks.
    fn ticks(&self) -> u64;

    /// Ticks per second. A clock that says 0 reads as 1 tick per second
    /// rather than dividing by zero.
    fn hz(&self) -> u64;

    /// How many low bits of [`ticks`](Self::ticks) the counter has: it
    /// wraps at `2^bits`. 64 unless the counter is narrower.
    fn bits(&self) -> u32 {
        64
    }

    /// `ticks` as a `Duration` (saturating).
    fn to_duration(&self, ticks: u64) -> Duration {
        let hz = u128::from(self.hz().max(1));
        let ns = u128::from(ticks) * 1_000_000_000 / hz;
        Duration::from_nanos(u64::try_from(ns).unwrap_or(u64::MAX))
    }

    /// The time since the reading `start`, across at most one wrap of the
    /// counter.
    fn since(&self, start: u64) -> Duration {
        let bits = self.bits().clamp(1, 64);
        let mask = if bits == 64 { u64::MAX } else { (1 << bits) - 1 };
        self.to_duration(self.ticks().wrapping_sub(start) & mask)
    }
}

/// A clock that moves only when told to: deterministic spans in tests.
/// Its ticks are nanoseconds.
///
/// ```
/// use perftrack::{Tracker, clock::MockClock};
/// use core::time::Duration;
///
/// static CLOCK: MockClock = MockClock::new();
/// static T: Tracker<2, 4> = Tracker::new();
/// let op = T.operation("step")?;
/// {
///     let _span = op.span(&CLOCK);
///     CLOCK.advance(Duration::from_micros(250));
/// }
/// assert_eq!(op.summary().total_duration, Duration::from_micros(250));
/// # Ok::<(), perftrack::TrackerError>(())
/// ```
#[derive(Debug)]
pub struct MockClock {
    now_ns: AtomicU64,
}

impl MockClock {
    const_fn! {
        /// A mock clock at 0.
        #[must_use]
        pub const fn new() -> Self {
            Self { now_ns: AtomicU64::new(0) }
        }
    }

    /// Moves the clock forward by `d` (saturating at `u64::MAX` ns). Meant
    /// for the one thread that drives a test: two threads advancing at once
    /// may lose a step.
    pub fn advance(&self, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        // Relaxed: the clock's own value is all there is to it.
        let now = self.now_ns.load(Ordering::Relaxed);
        self.now_ns.store(now.saturating_add(ns), Ordering::Relaxed);
    }
}

impl Default for MockClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for MockClock {
    fn ticks(&self) -> u64 {
        self.now_ns.load(Ordering::Relaxed)
    }

    fn hz(&self) -> u64 {
        1_000_000_000
    }
}

#[cfg(test)]
mod tests {
    use super::{Clock, Duration};

    struct Wrapping16(u64);
    impl Clock for Wrapping16 {
        fn ticks(&self) -> u64 {
            self.0
        }
        fn hz(&self) -> u64 {
            1_000
        }
        fn bits(&self) -> u32 {
            16
        }
    }

    #[test]
    fn since_measures_across_one_wrap_of_a_narrow_counter() {
        // Started at 65,530, now 4 after the wrap: 10 ticks of 1 ms.
        assert_eq!(Wrapping16(4).since(65_530), Duration::from_millis(10));
    }

    #[test]
    fn to_duration_never_divides_by_zero_and_saturates() {
        struct Zero;
        impl Clock for Zero {
            fn ticks(&self) -> u64 {
                0
            }
            fn hz(&self) -> u64 {
                0
            }
        }
        assert_eq!(Zero.to_duration(3), Duration::from_secs(3));
        struct Slow;
        impl Clock for Slow {
            fn ticks(&self) -> u64 {
                0
            }
            fn hz(&self) -> u64 {
                1
            }
        }
        assert_eq!(Slow.to_duration(u64::MAX), Duration::from_nanos(u64::MAX));
    }
}
