//! A wait loop's back-off (crossbeam's `Backoff`, cut down to what the
//! readers here need).

use crate::platform::{self, HOSTED};

/// A wait loop's back-off.
///
/// Outside loom each step is a CPU spin hint; on a hosted platform (`std`)
/// every `Backoff::YIELD_EVERY`th step also yields the thread, so that a
/// reader waiting for a descheduled writer gives the writer the core back.
/// Under loom each step is loom's yield, which loom needs to explore a spin
/// loop at all.
pub(crate) struct Backoff {
    step: u32,
}

impl Backoff {
    /// Steps between thread yields (hosted, outside loom).
    pub(crate) const YIELD_EVERY: u32 = 64;

    pub(crate) const fn new() -> Self {
        Self { step: 0 }
    }

    /// One step of the wait.
    #[inline]
    pub(crate) fn snooze(&mut self) {
        self.snooze_or(|| {});
    }

    /// One step of the wait; runs `before_yield` first if this step gives the
    /// core to another thread. A waiter that holds something up (a flag that
    /// diverts writers) lets go of it there, so that it never holds it while
    /// parked. Never runs under loom or without `std`, where no step leaves
    /// the core.
    #[inline]
    pub(crate) fn snooze_or(&mut self, before_yield: impl FnOnce()) {
        self.step = self.step.wrapping_add(1);
        if cfg!(perftrack_loom) {
            platform::yield_now();
        } else {
            core::hint::spin_loop();
            if HOSTED && self.step.is_multiple_of(Self::YIELD_EVERY) {
                before_yield();
                platform::yield_now();
            }
        }
    }
}
