//! Thread-owned shards: the table of owner tokens, and this thread's hint.
//!
//! With `std`, a thread that records takes the lowest free token of a
//! process-wide table, once, with one CAS, and gives it back when it exits
//! (a thread-local's destructor). Holding token `i` makes the thread the
//! *owner* of shard `i` of every operation with more than `i` shards: it
//! records there with no atomic RMW at all (`exclusive.rs`, "The owner's
//! path"). Threads past the shard count, records after the thread's
//! thread-locals are gone, explicit `record_on` shards and every `no_std`
//! record take the CAS claim and hot/cold paths instead.
//!
//! # Why a token carries ownership with no per-shard bookkeeping
//!
//! The holders of token `i` follow one another in time: the give-back is a
//! `Release` store and the take an `Acquire` CAS, so everything one holder
//! wrote happens before everything the next holder does. An owner marks a
//! shard's claim word as owned the first time it records there; the mark is
//! never cleared, and the next holder of the token inherits it, and with it
//! the shard's records. So a thread that exits never has to find the shards
//! it owned (trackers need not be `'static`, so it could not), and a shard is
//! never written by two owners at once.
//!
//! # The hint
//!
//! One `usize` per thread says both where it records and whether it owns the
//! shard there: a token `i` (below [`TOKENS`]) records on shard `i % SHARDS`
//! and owns it when `i < SHARDS`; a hint with [`UNOWNED`] set owns nothing and
//! records on shard `(hint & !UNOWNED) % SHARDS` (see [`shard_of`]).

#[cfg(any(feature = "std", perftrack_loom))]
use crate::sync::{AtomicBool, Ordering, array_of, const_fn};

/// Tokens in the table: threads recording at once that can own a shard.
/// Two under loom, so that a model's third thread finds the table full.
#[cfg(any(feature = "std", perftrack_loom))]
pub(crate) const TOKENS: usize = if cfg!(perftrack_loom) { 2 } else { 256 };

/// Set in a hint that holds no token.
pub(crate) const UNOWNED: usize = 1 << (usize::BITS - 1);

/// A thread's hint before its first record.
#[cfg(any(feature = "std", perftrack_loom))]
const UNSET: usize = usize::MAX;

/// The shard a thread with hint `hint` records on, of `shards`, and whether it
/// owns that shard. `shards` is never 0 (`Tracker::new` rejects it).
#[inline]
pub(crate) const fn shard_of(hint: usize, shards: usize) -> (usize, bool) {
    if hint < shards { (hint, true) } else { ((hint & !UNOWNED) % shards, false) }
}

/// The token table: `taken[i]` is up while a live thread holds token `i`.
#[cfg(any(feature = "std", perftrack_loom))]
pub(crate) struct Owners {
    taken: [AtomicBool; TOKENS],
}

#[cfg(any(feature = "std", perftrack_loom))]
impl Owners {
    const_fn! {
        pub(crate) const fn new() -> Self {
            Self { taken: array_of![AtomicBool::new(false); TOKENS] }
        }
    }

    /// The lowest free token, now this thread's; `None` when all are taken.
    pub(crate) fn take(&self) -> Option<usize> {
        // Acquire: pairs with the Release in `give_back`, so the new holder
        // sees every store of the token's previous holders (its shards'
        // versions, rings, histograms and claim words). A CAS, not a load
        // first: an RMW reads the latest value, so a token given back is
        // found free even by a thread that has no other order with the one
        // that gave it back. Once per thread, so its cost does not matter.
        self.taken.iter().position(|t| t.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed).is_ok())
    }

    /// Gives token `i` back. The caller held it and records no more as its
    /// owner.
    pub(crate) fn give_back(&self, i: usize) {
        if let Some(t) = self.taken.get(i) {
            // Release: see `take`.
            t.store(false, Ordering::Release);
        }
    }
}

/// This thread's hint: its token, taken the first time it records, or an
/// [`UNOWNED`] hint (see the module docs).
#[inline]
pub(crate) fn thread_hint() -> usize {
    imp::hint()
}

#[cfg(all(feature = "std", not(perftrack_loom)))]
mod imp {
    use core::cell::Cell;
    use core::sync::atomic::{AtomicUsize, Ordering};

    use super::{Owners, TOKENS, UNOWNED, UNSET};
    use crate::run;
    use crate::sync::advance_epoch;

    static OWNERS: Owners = Owners::new();
    /// Spreads the hints of threads that find the table full.
    static NEXT: AtomicUsize = AtomicUsize::new(0);

    std::thread_local! {
        /// The hint. No destructor, so it can be read on every record with no
        /// "is it alive" check, and still during other thread-locals'
        /// destructors.
        static HINT: Cell<usize> = const { Cell::new(UNSET) };
        /// The token held, given back by its destructor at thread exit.
        static HELD: Held = const { Held(Cell::new(UNSET)) };
    }

    struct Held(Cell<usize>);

    impl Drop for Held {
        fn drop(&mut self) {
            let i = self.0.get();
            if i < TOKENS {
                // Records made after this (from later thread-local
                // destructors) no longer own anything.
                let _ = HINT.try_with(|h| h.set(UNOWNED | i));
                OWNERS.give_back(i);
            }
        }
    }

    #[inline]
    pub(super) fn hint() -> usize {
        HINT.try_with(|h| {
            let v = h.get();
            if v != UNSET { v } else { first(h) }
        })
        .unwrap_or(UNOWNED)
    }

    /// A thread's first record: take a token (or an unowned hint if the
    /// table is full, or if the thread is already exiting).
    #[cold]
    fn first(h: &Cell<usize>) -> usize {
        let token = OWNERS.take().and_then(|i| {
            if HELD.try_with(|held| held.0.set(i)).is_ok() {
                Some(i)
            } else {
                OWNERS.give_back(i);
                None
            }
        });
        // Relaxed: a spreading hint; no data hangs on it.
        let v = token.unwrap_or_else(|| UNOWNED | (NEXT.fetch_add(1, Ordering::Relaxed) & (UNSET >> 2)));
        h.set(v);
        // A thread that starts recording starts a new epoch, so that its
        // records sort after those of threads that came before it.
        advance_epoch();
        run::thread_started();
        v
    }
}

/// Under loom: the same protocol on loom's thread-locals and a table that
/// is new in every execution, so that the models run the real owner path,
/// hand-overs included. loom drops its statics when the model's closure
/// returns, before it runs the other threads' thread-local destructors, so
/// here a thread gives its token back by calling [`thread_exit`] as its last
/// step (the models do), not from a destructor.
#[cfg(perftrack_loom)]
mod imp {
    // loom's macros name `std`, which this `no_std` crate does not link by
    // default; loom itself needs it anyway.
    extern crate std;

    use core::cell::Cell;

    use super::{Owners, TOKENS, UNOWNED, UNSET};
    use crate::sync::{loom_lazy_static, loom_thread_local};

    loom_lazy_static! {
        static ref OWNERS: Owners = Owners::new();
    }

    loom_thread_local! {
        static HINT: Cell<usize> = Cell::new(UNSET);
    }

    pub(super) fn hint() -> usize {
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

    pub(super) fn exit() {
        HINT.with(|h| {
            let i = h.get();
            if i < TOKENS {
                h.set(UNOWNED | i);
                OWNERS.give_back(i);
            }
        });
    }
}

/// Under loom, what a thread's exit does with `std`: gives its token back
/// (see the loom `imp`).
#[cfg(perftrack_loom)]
pub(crate) fn thread_exit() {
    imp::exit();
}

/// Without `std` there are no threads to tell apart: every record takes the
/// claim path on shard 0 (or the caller's `record_on` shard), which is right
/// for interrupt handlers that preempt `main`.
#[cfg(all(not(feature = "std"), not(perftrack_loom)))]
mod imp {
    use super::UNOWNED;

    #[inline]
    pub(super) const fn hint() -> usize {
        UNOWNED
    }
}

#[cfg(all(test, not(perftrack_loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_hint_below_the_shard_count_owns_its_shard_and_others_spread_without_owning() {
        assert_eq!(shard_of(0, 8), (0, true));
        assert_eq!(shard_of(7, 8), (7, true));
        assert_eq!(shard_of(9, 8), (1, false));
        assert_eq!(shard_of(UNOWNED | 3, 8), (3, false));
        assert_eq!(shard_of(UNOWNED | 5, 3), (2, false));
        assert_eq!(shard_of(UNOWNED, 1), (0, false));
    }

    #[test]
    #[cfg(feature = "std")]
    #[cfg_attr(
        miri,
        ignore = "256 scans of a 256-entry table, one thread, no unsafe: minutes under miri for nothing it checks"
    )]
    fn tokens_are_taken_lowest_first_and_reused_once_given_back() {
        let owners = Owners::new();
        assert_eq!(owners.take(), Some(0));
        assert_eq!(owners.take(), Some(1));
        owners.give_back(0);
        assert_eq!(owners.take(), Some(0));
        for _ in 2..TOKENS {
            assert!(owners.take().is_some());
        }
        assert_eq!(owners.take(), None, "a full table hands out no token");
        owners.give_back(TOKENS + 7);
        assert_eq!(owners.take(), None, "an out-of-range give-back frees nothing");
    }
}
