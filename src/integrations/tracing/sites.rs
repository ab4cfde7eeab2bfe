//! `Sites`: a fixed table from a `'static` call site (a tracing span's
//! metadata) to the slot its name resolved to, so that a span after the
//! first of its call site skips building its name and looking it up.
//!
//! # The protocol
//!
//! Entry `i` is a key (the site's address, 0 while free) and a value (the
//! slot index + 1, [`REFUSED`], or 0 while not yet written). A site's entry
//! is found by linear probing from a hash of its address, over at most
//! [`PROBES`] entries. The thread that claims an entry (its key by a CAS
//! from 0) is the only one to write its value, once, after resolving the
//! name; a reader that finds the key with a value of 0 resolves the name
//! itself, as if the table did not exist. So the table only ever answers
//! with the value the key's claimant stored for that very site, or not at
//! all: a wrong slot is impossible, a lost insertion costs a lookup. The
//! value is stored `Release` and loaded `Acquire`, though it carries no data
//! beyond itself (the slot it names is published by the registry's own
//! protocol, and a name once resolved stays in its slot).
//!
//! When every probed entry holds other sites, the site is simply not
//! cached. Nothing here waits, allocates or panics.

use core::sync::atomic::{AtomicUsize, Ordering};

/// Entries in a table: more distinct span call sites than most programs
/// have; beyond it, sites resolve by name as they did without a table.
const SITES: usize = 256;

/// Entries probed for one site before it counts as not cached.
const PROBES: usize = 8;

/// A value: the site's name was refused (the tracker was full).
const REFUSED: usize = usize::MAX;

/// What a site resolved to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resolved {
    /// The name's slot.
    Slot(usize),
    /// The tracker had no room for the name.
    Refused,
}

/// The table (see the module docs).
pub(crate) struct Sites {
    keys: [AtomicUsize; SITES],
    values: [AtomicUsize; SITES],
}

impl core::fmt::Debug for Sites {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let cached = self.keys.iter().filter(|k| k.load(Ordering::Relaxed) != 0).count();
        f.debug_struct("Sites").field("cached", &cached).finish()
    }
}

impl Sites {
    /// An empty table.
    pub(crate) const fn new() -> Self {
        Self { keys: [const { AtomicUsize::new(0) }; SITES], values: [const { AtomicUsize::new(0) }; SITES] }
    }

    /// Where `site`'s probe starts: a multiplicative hash of its address
    /// (metadata sits at 8-byte-aligned addresses, so the low bits alone
    /// would crowd the table).
    fn home(site: usize) -> usize {
        (site.wrapping_mul(0x9E37_79B9_7F4A_7C15_u64 as usize) >> (usize::BITS - 8)) % SITES
    }

    /// What `site` resolved to, if it is cached; else `resolve` decides,
    /// and the answer is cached when an entry is free for it.
    #[inline]
    pub(crate) fn get_or_resolve(&self, site: usize, resolve: impl FnOnce() -> Resolved) -> Resolved {
        if site == 0 {
            return resolve();
        }
        let mut i = Self::home(site);
        for _ in 0..PROBES {
            match self.keys[i].load(Ordering::Relaxed) {
                k if k == site => {
                    return match self.values[i].load(Ordering::Acquire) {
                        // Claimed, not yet written: resolve as if uncached.
                        0 => resolve(),
                        REFUSED => Resolved::Refused,
                        v => Resolved::Slot(v - 1),
                    };
                }
                0 => {
                    return match self.keys[i].compare_exchange(0, site, Ordering::Relaxed, Ordering::Relaxed) {
                        Ok(_) => {
                            let resolved = resolve();
                            let value = match resolved {
                                Resolved::Slot(slot) => slot.saturating_add(1),
                                Resolved::Refused => REFUSED,
                            };
                            self.values[i].store(value, Ordering::Release);
                            resolved
                        }
                        // Another site took the entry (or this one, whose
                        // value may not be written yet): resolve directly.
                        Err(_) => resolve(),
                    };
                }
                _ => i = (i + 1) % SITES,
            }
        }
        resolve()
    }
}

#[cfg(test)]
mod tests {
    use super::{PROBES, Resolved, SITES, Sites};
    use core::cell::Cell;

    #[test]
    fn a_site_resolves_once_and_is_answered_from_the_table_after() {
        let sites = Sites::new();
        let calls = Cell::new(0);
        let resolve = |slot| {
            calls.set(calls.get() + 1);
            Resolved::Slot(slot)
        };
        assert_eq!(sites.get_or_resolve(0x1000, || resolve(3)), Resolved::Slot(3));
        assert_eq!(
            sites.get_or_resolve(0x1000, || resolve(99)),
            Resolved::Slot(3),
            "the cached slot, not a new lookup"
        );
        assert_eq!(sites.get_or_resolve(0x2000, || resolve(4)), Resolved::Slot(4));
        assert_eq!(calls.get(), 2);
        assert_eq!(sites.get_or_resolve(0x3000, || Resolved::Refused), Resolved::Refused);
        assert_eq!(sites.get_or_resolve(0x3000, || resolve(5)), Resolved::Refused, "a refusal is cached too");
    }

    #[test]
    fn a_full_probe_sequence_resolves_without_caching_and_never_answers_wrongly() {
        let sites = Sites::new();
        // More sites than entries: every answer is still the site's own.
        for site in 1..=(SITES + PROBES) * 3 {
            let addr = site * 8;
            assert_eq!(sites.get_or_resolve(addr, || Resolved::Slot(site)), Resolved::Slot(site));
        }
        for site in 1..=(SITES + PROBES) * 3 {
            let addr = site * 8;
            assert_eq!(sites.get_or_resolve(addr, || Resolved::Slot(site)), Resolved::Slot(site), "site {site}");
        }
    }

    #[test]
    fn a_site_claimed_but_not_yet_written_is_looked_up_not_answered() {
        use core::sync::atomic::Ordering;
        let sites = Sites::new();
        let site = 0x4000;
        // The state a racing claimant leaves between its CAS and its store.
        sites.keys[Sites::home(site)].store(site, Ordering::Relaxed);
        assert_eq!(sites.get_or_resolve(site, || Resolved::Slot(7)), Resolved::Slot(7));
        assert_eq!(sites.get_or_resolve(site, || Resolved::Refused), Resolved::Refused, "nothing was cached for it");
    }

    #[test]
    fn threads_racing_on_new_sites_each_get_their_own_slot() {
        let sites = Sites::new();
        std::thread::scope(|s| {
            for t in 0..4usize {
                let sites = &sites;
                s.spawn(move || {
                    for round in 0..200usize {
                        let site = (round % 50 + 1) * 64;
                        let got = sites.get_or_resolve(site, || Resolved::Slot(site / 64));
                        assert_eq!(got, Resolved::Slot(site / 64), "thread {t}, round {round}");
                    }
                });
            }
        });
    }
}
