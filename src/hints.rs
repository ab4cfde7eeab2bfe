//! `KeyHints`: a hash of each published key (a name and its labels), in slot
//! order, in one dense array beside a table's entries.
//!
//! Finding a key by walking the entries reads each entry's state and name,
//! and an entry is some 200 bytes: past a few dozen entries, every step is a
//! cache miss. The hints put a 4-byte word per entry side by side, so a
//! lookup reads a few cache lines and compares a name and labels only where
//! the hash is equal.
//!
//! The hints only speed the lookup up; the claim protocol (`registry.rs`)
//! stays as it is. An entry's hint is 0 until its registrar stores it, after
//! the entry is published: a lookup stops at the first hint still 0, and the
//! registry's walk goes on from there. Every entry before it was seen
//! published with another key (the hash of equal keys is equal), which is
//! what the walk would have seen, so one slot per key (I4) holds as before.

use crate::labels::Labels;
use crate::name::NameBuf;
use crate::sync::{AtomicU32, Ordering, array_of, const_fn};

/// The hash of a key: its name's hash, mixed with a hash of its labels when
/// it has any; never 0, which marks a hint not yet stored.
#[inline]
pub(crate) fn key_of(name: &NameBuf, labels: &Labels) -> u32 {
    let hash = if labels.is_empty() { name.hash() } else { name.hash() ^ labels.hash() };
    hash.max(1)
}

/// `N` hints, one per entry of a table, each 0 until its entry is published.
pub(crate) struct KeyHints<const N: usize> {
    keys: [AtomicU32; N],
}

impl<const N: usize> KeyHints<N> {
    const_fn! {
        pub(crate) const fn new() -> Self {
            Self { keys: array_of![AtomicU32::new(0); N] }
        }
    }

    /// The first entry whose hint is `key` and that `is_it` confirms:
    /// `Ok(index)`. Otherwise `Err(start)`: the entries below `start` are
    /// all published, and none is the key; `start` is the first entry whose
    /// hint is not stored yet (`N` when every hint is).
    ///
    /// Out of line: inlined into a registrar, the scan carried the entries'
    /// and slots' addresses along as it went, more instructions a step.
    #[inline(never)]
    pub(crate) fn find(&self, key: u32, mut is_it: impl FnMut(usize) -> bool) -> Result<usize, usize> {
        for (index, hint) in self.keys.iter().enumerate() {
            // Acquire: pairs with the Release in `publish`, so the entry's
            // key, written before its hint, is visible to `is_it`.
            match hint.load(Ordering::Acquire) {
                0 => return Err(index),
                stored if stored == key && is_it(index) => return Ok(index),
                _ => {}
            }
        }
        Err(N)
    }

    /// Stores entry `index`'s hint, once the entry is published.
    #[inline]
    pub(crate) fn publish(&self, index: usize, key: u32) {
        if let Some(hint) = self.keys.get(index) {
            // Release: pairs with the Acquire in `find`.
            hint.store(key, Ordering::Release);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{KeyHints, key_of};
    use crate::labels::Labels;
    use crate::name::NameBuf;
    use std::{format, vec::Vec};

    fn name(s: &str) -> NameBuf {
        NameBuf::new(s).expect("a valid name")
    }

    #[test]
    fn a_lookup_stops_at_the_first_hint_not_stored_and_says_where() {
        let hints = KeyHints::<4>::new();
        assert_eq!(hints.find(7, |_| true), Err(0), "nothing published");
        hints.publish(0, 7);
        hints.publish(1, 9);
        assert_eq!(hints.find(9, |_| true), Ok(1));
        assert_eq!(hints.find(5, |_| true), Err(2), "entries 0 and 1 are published and not the key");
        // An equal hash that the entry does not confirm is passed.
        assert_eq!(hints.find(7, |i| i != 0), Err(2));
        // A hint past one not yet stored is not reached.
        hints.publish(3, 5);
        assert_eq!(hints.find(5, |_| true), Err(2));
        hints.publish(2, 1);
        assert_eq!(hints.find(5, |_| true), Ok(3));
        assert_eq!(hints.find(6, |_| true), Err(4), "every hint stored");
        hints.publish(4, 6); // past the end: ignored, no panic
    }

    #[test]
    fn keys_that_differ_only_in_a_label_value_hash_apart_and_equal_keys_alike() {
        let route = |r: &str| Labels::new(&[("route", r), ("method", "GET")]).expect("valid labels");
        let n = name("http_request");
        assert_eq!(key_of(&n, &route("/a")), key_of(&n, &route("/a")));
        assert_ne!(key_of(&n, &route("/a")), key_of(&n, &route("/b")));
        assert_ne!(key_of(&n, &route("/a")), key_of(&n, &Labels::EMPTY));
        // Labels given in another order are the same set, and the same key.
        let swapped = Labels::new(&[("method", "GET"), ("route", "/a")]).expect("valid labels");
        assert_eq!(key_of(&n, &route("/a")), key_of(&n, &swapped));
        // 200 routes that differ in their middle: few collisions, none of
        // them 0.
        let keys: Vec<u32> = (0..200).map(|k| key_of(&n, &route(&format!("/api/v1/resource_{k}/items")))).collect();
        let mut distinct = keys.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert!(distinct.len() >= 198, "{} distinct hashes of 200", distinct.len());
        assert!(keys.iter().all(|&k| k != 0));
    }
}
