//! The platform with `std`: the thread-locals and process state the core
//! reaches through the hook.
//!
//! * `hint.rs`: the owner hint, a token taken at a thread's first record
//!   and given back at its exit;
//! * `fork.rs`: the fork barrier (`pthread_atfork`) around the steps other
//!   threads wait for;
//! * `run.rs`: when this process first recorded, and how many threads have;
//! * `recent.rs`: each thread's recently resolved names.

mod fork;
mod hint;
mod recent;
mod run;

use core::time::Duration;

use crate::name::NameBuf;
use crate::platform::Platform;

/// The platform with `std`.
pub(crate) struct Hosted;

impl Platform for Hosted {
    type Section = fork::Section;
    const HOSTED: bool = true;

    #[inline]
    fn thread_hint() -> usize {
        hint::hint()
    }

    #[inline]
    fn enter() -> Self::Section {
        fork::enter()
    }

    #[inline]
    fn leave(section: Self::Section) {
        fork::leave(section);
    }

    fn section_depth() -> u32 {
        fork::depth()
    }

    #[inline]
    fn yield_now() {
        std::thread::yield_now();
    }

    fn run_so_far() -> Option<(Duration, usize)> {
        run::so_far()
    }

    #[inline]
    fn recent_find(tracker: u64, name: &NameBuf) -> Option<usize> {
        recent::find(tracker, name)
    }

    #[inline]
    fn recent_remember(tracker: u64, name: &NameBuf, index: usize) {
        recent::remember(tracker, name, index);
    }
}
