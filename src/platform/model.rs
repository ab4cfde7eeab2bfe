//! The platform under loom (`--cfg perftrack_loom`): the owner hint on
//! loom's thread-locals and a token table that is new in every execution,
//! so that the models run the real owner path, hand-overs included. There
//! is no fork, run clock or remembered name to model.
//!
//! loom drops its statics when the model's closure returns, before it runs
//! the other threads' thread-local destructors, so here a thread gives its
//! token back by calling [`thread_exit`] as its last step (the models do),
//! not from a destructor.

// loom's macros name `std`, which this `no_std` crate does not link by
// default; loom itself needs it anyway.
extern crate std;

use core::cell::Cell;
use core::time::Duration;

use crate::name::NameBuf;
use crate::platform::owner::{Owners, TOKENS, UNOWNED, UNSET};
use crate::platform::{NoSection, Platform};
use crate::sync::{loom_lazy_static, loom_thread_local, loom_yield_now};

loom_lazy_static! {
    static ref OWNERS: Owners = Owners::new();
}

loom_thread_local! {
    static HINT: Cell<usize> = Cell::new(UNSET);
}

/// The platform under loom.
pub(crate) struct Model;

impl Platform for Model {
    type Section = NoSection;
    const HOSTED: bool = false;

    fn thread_hint() -> usize {
        HINT.with(|h| {
            let v = h.get();
            if v != UNSET {
                return v;
            }
            let v = OWNERS.take().unwrap_or(UNOWNED);
            h.set(v);
            v
        })
    }

    fn enter() -> Self::Section {
        NoSection
    }

    fn leave(_: Self::Section) {}

    fn section_depth() -> u32 {
        0
    }

    fn yield_now() {
        loom_yield_now();
    }

    fn run_so_far() -> Option<(Duration, usize)> {
        None
    }

    fn recent_find(_: u64, _: &NameBuf) -> Option<usize> {
        None
    }

    fn recent_remember(_: u64, _: &NameBuf, _: usize) {}
}

/// What a thread's exit does with `std`: gives its token back.
pub(crate) fn thread_exit() {
    HINT.with(|h| {
        let i = h.get();
        if i < TOKENS {
            h.set(UNOWNED | i);
            OWNERS.give_back(i);
        }
    });
}
