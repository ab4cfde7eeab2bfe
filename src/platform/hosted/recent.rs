//! A thread's recently resolved names: the slot index each of
//! the last few unlabelled names this thread resolved by name has in its
//! tracker (`Tracker::record`, `operation`, `time`, `measure`, a
//! [`Timer`](crate::Timer)'s record), so that resolving a name again finds
//! its slot without walking the registry, which compares names slot by slot
//! in registration order. Labelled series are never remembered or looked up
//! here (`Tracker::resolve_slot`).
//!
//! An entry never goes stale: a registry never frees or renames a slot, and
//! a tracker is named by its path table's number (`PathTable::id`), which
//! is never reused, not by its address, which may be. An entry of a tracker
//! that was dropped is simply never asked for again.

use core::cell::RefCell;

use crate::name::NameBuf;

/// How many names a thread remembers: `SETS` sets of `WAYS`. A name's set
/// is picked by a hash of its tracker and itself, so finding it compares at
/// most `WAYS` entries wherever it stands among those remembered. A thread
/// that resolves more distinct names than fit in turn walks the registry for
/// some of them, as it did before there was a cache, and is right either way.
const SETS: usize = 4;
const WAYS: usize = 2;

#[derive(Clone, Copy)]
struct Entry {
    /// The tracker's path-table number; 0 (never a table's number) for an
    /// empty entry.
    tracker: u64,
    name: NameBuf,
    index: usize,
}

const EMPTY: Entry = Entry { tracker: 0, name: NameBuf::NONE, index: 0 };

/// Each set's entries, the one remembered last first.
struct Recent {
    sets: [[Entry; WAYS]; SETS],
}

std::thread_local! {
    // A const initialiser and no destructor: no lazy-init check on access,
    // and still usable while other thread-locals are being destroyed.
    static RECENT: RefCell<Recent> = const { RefCell::new(Recent { sets: [[EMPTY; WAYS]; SETS] }) };
}

/// The set `name` of tracker `tracker` is remembered in: the top bits of
/// the name's hash, made with the name, against the low bits of the
/// table's number, so that a name's entries for two trackers made one after
/// the other fall in different sets (equal names give equal sets).
#[inline]
fn set_of(tracker: u64, name: &NameBuf) -> usize {
    const BITS: u32 = SETS.trailing_zeros();
    // Both operands are below 2^BITS = SETS.
    ((name.hash() >> (u32::BITS - BITS)) as usize) ^ (tracker as usize & (SETS - 1))
}

/// The slot index `name` was last found at in the tracker whose path table
/// is number `tracker`, if this thread remembers it.
#[inline]
pub(crate) fn find(tracker: u64, name: &NameBuf) -> Option<usize> {
    RECENT
        .try_with(|cell| {
            let recent = cell.try_borrow().ok()?;
            let set = recent.sets.get(set_of(tracker, name))?;
            set.iter().find(|e| e.tracker == tracker && e.name == *name).map(|e| e.index)
        })
        .ok()
        .flatten()
}

/// Remembers that `name` is slot `index` of the tracker whose path table is
/// number `tracker`, in place of the older name of its set.
pub(crate) fn remember(tracker: u64, name: &NameBuf, index: usize) {
    // A thread being torn down, or a re-entrant call, just does not remember.
    let _ = RECENT.try_with(|cell| {
        if let Ok(mut recent) = cell.try_borrow_mut()
            && let Some(set) = recent.sets.get_mut(set_of(tracker, name))
        {
            set.rotate_right(1);
            set[0] = Entry { tracker, name: *name, index };
        }
    });
}

#[cfg(test)]
mod tests {
    use super::{WAYS, find, remember, set_of};
    use crate::name::NameBuf;

    fn name(s: &str) -> NameBuf {
        NameBuf::new(s).expect("a valid test name")
    }

    #[test]
    fn a_remembered_name_is_found_only_in_its_own_tracker() {
        remember(7, &name("load"), 3);
        assert_eq!(find(7, &name("load")), Some(3));
        // Another tracker whose entry for the name would be in the same set,
        // so that only the tracker's number tells the two apart.
        let other = (8..).find(|&t| set_of(t, &name("load")) == set_of(7, &name("load"))).expect("a tracker number");
        assert_eq!(find(other, &name("load")), None, "another tracker's slot 3 is not this name's");
        assert_eq!(find(7, &name("loa")), None, "a prefix is another name");
        assert_eq!(find(7, &name("load2")), None);
    }

    #[test]
    fn the_older_name_of_a_full_set_makes_room_for_a_new_one() {
        // WAYS + 1 names of one set, found by trying names in turn.
        let names: std::vec::Vec<NameBuf> =
            (0..).map(|i| name(&std::format!("n{i}"))).filter(|n| set_of(99, n) == 0).take(WAYS + 1).collect();
        for (i, n) in names.iter().enumerate() {
            remember(99, n, i);
        }
        assert_eq!(find(99, &names[0]), None, "the first of WAYS + 1 names of a set was replaced");
        for (i, n) in names.iter().enumerate().skip(1) {
            assert_eq!(find(99, n), Some(i));
        }
    }

    #[test]
    fn a_name_just_remembered_is_found_whatever_its_set() {
        for i in 0..64 {
            let n = name(&std::format!("some_module::some_function_{i}"));
            remember(5, &n, i);
            assert_eq!(find(5, &n), Some(i));
        }
    }
}
