//! A thread's recently resolved names: the slot index each of the last few
//! names a [`Timer`](crate::Timer) recorded under has in its tracker, so
//! that recording a name again finds its slot without walking the registry
//! and comparing names word by word.
//!
//! An entry never goes stale: a registry never frees or renames a slot, and
//! a tracker is named by its path table's number (`PathTable::id`), which
//! is never reused, not by its address, which may be. An entry of a tracker
//! that was dropped is simply never asked for again.

use core::cell::RefCell;

use crate::name::NameBuf;

/// How many names a thread remembers: a thread that times more distinct
/// names than this in turn walks the registry for some of them, as it did
/// before there was a cache, and is right either way.
const WAYS: usize = 8;

#[derive(Clone, Copy)]
struct Entry {
    /// The tracker's path-table number; 0 (never a table's number) for an
    /// empty entry.
    tracker: u64,
    name: NameBuf,
    index: usize,
}

const EMPTY: Entry = Entry { tracker: 0, name: NameBuf::NONE, index: 0 };

struct Recent {
    entries: [Entry; WAYS],
    /// The entry the next new name replaces (round robin).
    next: usize,
}

std::thread_local! {
    // A const initialiser and no destructor: no lazy-init check on access,
    // and still usable while other thread-locals are being destroyed.
    static RECENT: RefCell<Recent> = const { RefCell::new(Recent { entries: [EMPTY; WAYS], next: 0 }) };
}

/// The slot index `name` was last found at in the tracker whose path table
/// is number `tracker`, if this thread remembers it.
#[inline]
pub(crate) fn find(tracker: u64, name: &NameBuf) -> Option<usize> {
    RECENT
        .try_with(|cell| {
            let recent = cell.try_borrow().ok()?;
            recent.entries.iter().find(|e| e.tracker == tracker && e.name == *name).map(|e| e.index)
        })
        .ok()
        .flatten()
}

/// Remembers that `name` is slot `index` of the tracker whose path table is
/// number `tracker`, in place of the oldest remembered name.
pub(crate) fn remember(tracker: u64, name: &NameBuf, index: usize) {
    // A thread being torn down, or a re-entrant call, just does not remember.
    let _ = RECENT.try_with(|cell| {
        if let Ok(mut recent) = cell.try_borrow_mut() {
            let at = recent.next;
            recent.entries[at] = Entry { tracker, name: *name, index };
            recent.next = (at + 1) % WAYS;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::{WAYS, find, remember};
    use crate::name::NameBuf;

    fn name(s: &str) -> NameBuf {
        NameBuf::new(s).expect("a valid test name")
    }

    #[test]
    fn a_remembered_name_is_found_only_in_its_own_tracker() {
        remember(7, &name("load"), 3);
        assert_eq!(find(7, &name("load")), Some(3));
        assert_eq!(find(8, &name("load")), None, "another tracker's slot 3 is not this name's");
        assert_eq!(find(7, &name("loa")), None, "a prefix is another name");
        assert_eq!(find(7, &name("load2")), None);
    }

    #[test]
    fn the_oldest_name_makes_room_for_a_new_one() {
        let names: std::vec::Vec<NameBuf> = (0..=WAYS).map(|i| name(&std::format!("n{i}"))).collect();
        for (i, n) in names.iter().enumerate() {
            remember(99, n, i);
        }
        assert_eq!(find(99, &names[0]), None, "the first of WAYS + 1 names was replaced");
        for (i, n) in names.iter().enumerate().skip(1) {
            assert_eq!(find(99, n), Some(i));
        }
    }
}
