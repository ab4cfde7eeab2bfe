//! The owner hint with `std`: a thread-local, a token of the process-wide
//! table taken at the thread's first record and given back by a
//! thread-local's destructor at its exit (`owner.rs` gives the protocol).

use core::cell::Cell;
use core::sync::atomic::{AtomicUsize, Ordering};

use crate::platform::hosted::run;
use crate::platform::owner::{Owners, TOKENS, UNOWNED, UNSET};
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

/// This thread's hint; its first call takes a token.
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
