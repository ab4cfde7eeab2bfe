//! The platform without `std`: one flow of control and the interrupt
//! handlers that preempt it, no thread-locals, no fork, no clock.
//!
//! Every record takes the claim path on shard 0 (or the caller's
//! `record_on` shard), which is right for interrupt handlers that preempt
//! `main`; nothing is remembered between resolutions, and a wait loop only
//! spins.

use core::time::Duration;

use crate::name::NameBuf;
use crate::platform::owner::UNOWNED;
use crate::platform::{NoSection, Platform};

/// The platform without `std`.
pub(crate) struct Bare;

impl Platform for Bare {
    type Section = NoSection;
    const HOSTED: bool = false;

    #[inline]
    fn thread_hint() -> usize {
        UNOWNED
    }

    #[inline]
    fn enter() -> Self::Section {
        NoSection
    }

    #[inline]
    fn leave(_: Self::Section) {}

    fn section_depth() -> u32 {
        0
    }

    #[inline]
    fn yield_now() {}

    fn run_so_far() -> Option<(Duration, usize)> {
        None
    }

    #[inline]
    fn recent_find(_: u64, _: &NameBuf) -> Option<usize> {
        None
    }

    #[inline]
    fn recent_remember(_: u64, _: &NameBuf, _: usize) {}
}
