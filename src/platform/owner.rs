//! Thread-owned shards: what a thread's hint means, and the table of owner
//! tokens behind it.
//!
//! With `std` (`hosted/hint.rs`), a thread that records takes the lowest free token of a
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
//! records on shard `(hint & !UNOWNED) % SHARDS` (see [`shard_of`]). Without
//! `std` every hint is [`UNOWNED`] (`bare.rs`).

use crate::sync::{AtomicBool, Ordering, array_of, const_fn};

/// Tokens in the table: threads recording at once that can own a shard.
/// Two under loom, so that a model's third thread finds the table full.
pub(crate) const TOKENS: usize = if cfg!(perftrack_loom) { 2 } else { 256 };

/// Set in a hint that holds no token.
pub(crate) const UNOWNED: usize = 1 << (usize::BITS - 1);

/// A thread's hint before its first record.
pub(crate) const UNSET: usize = usize::MAX;

/// The shard a thread with hint `hint` records on, of `shards`, and whether it
/// owns that shard. `shards` is never 0 (`Tracker::new` rejects it).
#[inline]
pub(crate) const fn shard_of(hint: usize, shards: usize) -> (usize, bool) {
    if hint < shards { (hint, true) } else { ((hint & !UNOWNED) % shards, false) }
}

/// The token table: `taken[i]` is up while a live thread holds token `i`.
pub(crate) struct Owners {
    taken: [AtomicBool; TOKENS],
}

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
