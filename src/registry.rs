//! `Registry`: a fixed set of operation slots, claimed by name without locks.
//!
//! # One slot per name (I4)
//!
//! Slots are claimed strictly in index order. A registrar walks the slots
//! from 0: a published slot with its name is the answer; a published slot with
//! another name is passed; a slot being claimed is waited on (it may be the
//! same name); the first free slot is claimed with a CAS. So a thread only
//! claims slot `i` after seeing every slot below `i` published with another
//! name, and two threads racing on one name meet at the same slot: one wins
//! the CAS, the other waits for the name and finds it.
//!
//! That wait is the only one on the registration path, and it happens only
//! while another thread is copying a new name in (a few dozen stores). Names
//! already registered are found without waiting, so a full tracker keeps
//! recording them. Recording on a resolved `Operation` never comes here.
//!
//! A lookup first reads the entries' key hints (`hints.rs`), which let it
//! pass the published entries that hold other keys without reading them;
//! the walk then starts at the first entry without a hint.

use crate::backoff::Backoff;
use crate::hints::{KeyHints, key_of};
use crate::labels::{LabelCell, Labels};
use crate::name::{NameBuf, NameCell};
use crate::platform;
use crate::record::slot::OpSlot;
use crate::sync::{AtomicU8, Ordering, array_of, const_fn};

const FREE: u8 = 0;
const CLAIMED: u8 = 1;
const READY: u8 = 2;

/// One slot's registration: its state, its name and its labels (the two
/// together are the key: one slot per name and label set).
struct Entry {
    state: AtomicU8,
    name: NameCell,
    labels: LabelCell,
}

impl Entry {
    const_fn! {
        const fn new() -> Self {
            Self { state: AtomicU8::new(FREE), name: NameCell::new(), labels: LabelCell::new() }
        }
    }

    fn matches(&self, name: &NameBuf, labels: &Labels) -> bool {
        self.name.matches(name) && self.labels.matches(labels)
    }

    #[inline]
    fn is_ready(&self) -> bool {
        // Acquire: pairs with the Release publish in `resolve`, so the name
        // words are visible once READY is.
        self.state.load(Ordering::Acquire) == READY
    }
}

/// A series' slot and its labels, as a registration finds them.
pub(crate) type Series<'a, const RING: usize, const SHARDS: usize, const BUCKETS: usize> =
    (&'a OpSlot<RING, SHARDS, BUCKETS>, &'a LabelCell);

/// Names to slots: `OPS` entries, each naming the operation slot beside it,
/// and a hash of each published entry's key, which a lookup reads first
/// (`hints.rs`).
pub(crate) struct Registry<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize> {
    entries: [Entry; OPS],
    hints: KeyHints<OPS>,
    slots: [OpSlot<RING, SHARDS, BUCKETS>; OPS],
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>
    Registry<OPS, RING, SHARDS, BUCKETS>
{
    const_fn! {
        pub(crate) const fn new() -> Self {
            Self { entries: array_of![Entry::new(); OPS], hints: KeyHints::new(), slots: array_of![OpSlot::new(); OPS] }
        }
    }

    /// Finds `name` with `labels`, registering them in the next free slot
    /// if they are new: the slot and its index; `None` when every slot holds
    /// another series.
    pub(crate) fn resolve(
        &self,
        name: &NameBuf,
        labels: &Labels,
    ) -> Option<(usize, Series<'_, RING, SHARDS, BUCKETS>)> {
        let key = key_of(name, labels);
        // The hints first: the entries they pass are published with other
        // keys, so the walk starts after them.
        let start = match self.hinted(key, name, labels) {
            Ok(found) => return Some(found),
            Err(start) => start,
        };
        for (index, (entry, slot)) in self.entries.iter().zip(&self.slots).enumerate().skip(start) {
            let mut backoff = Backoff::new();
            loop {
                // Acquire: as in `Entry::is_ready`.
                match entry.state.load(Ordering::Acquire) {
                    READY if entry.matches(name, labels) => return Some((index, (slot, &entry.labels))),
                    READY => break,
                    FREE => {
                        // A registrar of the same key waits while this entry
                        // is claimed: no fork may fall between the claim and
                        // the publish (`platform/hosted/fork.rs`).
                        let section = platform::enter();
                        if entry.state.compare_exchange(FREE, CLAIMED, Ordering::Acquire, Ordering::Relaxed).is_ok() {
                            entry.name.store(name);
                            entry.labels.store(labels);
                            // Release: pairs with the Acquire loads above and in `is_ready`.
                            entry.state.store(READY, Ordering::Release);
                            self.hints.publish(index, key);
                            platform::leave(section);
                            return Some((index, (slot, &entry.labels)));
                        }
                        platform::leave(section);
                    }
                    _ => backoff.snooze(),
                }
            }
        }
        None
    }

    /// `key` (`name` with `labels`) among the entries whose hints are
    /// stored: its index and slot, or `Err` with the first entry the hints
    /// do not cover.
    #[inline]
    fn hinted(
        &self,
        key: u32,
        name: &NameBuf,
        labels: &Labels,
    ) -> Result<(usize, Series<'_, RING, SHARDS, BUCKETS>), usize> {
        let index = self.hints.find(key, |i| self.entries.get(i).is_some_and(|e| e.matches(name, labels)))?;
        match (self.entries.get(index), self.slots.get(index)) {
            (Some(entry), Some(slot)) => Ok((index, (slot, &entry.labels))),
            // `find` gives an index below OPS: not taken.
            _ => Err(0),
        }
    }

    /// Published entries and their slots, in registration order. Stops at
    /// the first slot not yet published: slots are claimed in order, so
    /// later ones are newer still. Reads no name: callers load or compare
    /// names only where they need them.
    fn published(&self) -> impl Iterator<Item = (usize, &Entry, &OpSlot<RING, SHARDS, BUCKETS>)> {
        self.published_from(0)
    }

    /// [`published`](Self::published) from entry `start` on, for a caller
    /// that knows the entries below it are published: their states are not
    /// read.
    fn published_from(&self, start: usize) -> impl Iterator<Item = (usize, &Entry, &OpSlot<RING, SHARDS, BUCKETS>)> {
        self.entries
            .iter()
            .zip(&self.slots)
            .enumerate()
            .skip(start)
            .take_while(|(_, (e, _))| e.is_ready())
            .map(|(i, (e, s))| (i, e, s))
    }

    /// Finds `name` with `labels` without registering them: its index and
    /// slot.
    pub(crate) fn find(&self, name: &NameBuf, labels: &Labels) -> Option<(usize, Series<'_, RING, SHARDS, BUCKETS>)> {
        let start = match self.hinted(key_of(name, labels), name, labels) {
            Ok(found) => return Some(found),
            Err(start) => start,
        };
        // Entries published whose hints are not stored yet.
        self.published_from(start).find(|(_, e, _)| e.matches(name, labels)).map(|(i, e, slot)| (i, (slot, &e.labels)))
    }

    /// The series in slot `index`, if that slot is published: its name and
    /// its slot. One entry's state, not a walk.
    pub(crate) fn series_at(&self, index: usize) -> Option<(NameBuf, Series<'_, RING, SHARDS, BUCKETS>)> {
        let (entry, slot) = (self.entries.get(index)?, self.slots.get(index)?);
        entry.is_ready().then(|| (entry.name.load(), (slot, &entry.labels)))
    }

    /// The name in slot `index`, if that slot is published.
    pub(crate) fn name_at(&self, index: usize) -> Option<NameBuf> {
        self.published().nth(index).map(|(_, e, _)| e.name.load())
    }

    /// The slot at `index`, if it is published: one entry's state, for a
    /// caller that cached the index and does not need the name.
    #[inline]
    pub(crate) fn slot_at(&self, index: usize) -> Option<Series<'_, RING, SHARDS, BUCKETS>> {
        let (entry, slot) = (self.entries.get(index)?, self.slots.get(index)?);
        entry.is_ready().then_some((slot, &entry.labels))
    }

    /// How many slots are published.
    pub(crate) fn ready_count(&self) -> usize {
        self.published().count()
    }

    /// Published names and their slots, in registration order.
    pub(crate) fn ready(&self) -> impl Iterator<Item = (usize, NameBuf, Series<'_, RING, SHARDS, BUCKETS>)> {
        self.published().map(|(i, e, slot)| (i, e.name.load(), (slot, &e.labels)))
    }
}

#[cfg(test)]
mod tests {
    use super::{CLAIMED, READY, Registry};
    use crate::hints::key_of;
    use crate::labels::Labels;
    use crate::name::NameBuf;
    use crate::sync::Ordering;

    fn name(s: &str) -> NameBuf {
        NameBuf::new(s).expect("a valid name")
    }

    #[test]
    fn an_entry_published_before_its_hint_is_stored_is_still_found_and_never_claimed_twice() {
        let registry = std::boxed::Box::new(Registry::<4, 1, 1, 8>::new());
        registry.resolve(&name("first"), &Labels::EMPTY).expect("room");
        // A registrar between its publish and its hint's store: the entry is
        // READY, its hint still 0.
        let entry = &registry.entries[1];
        entry.state.store(CLAIMED, Ordering::Relaxed);
        entry.name.store(&name("second"));
        entry.labels.store(&Labels::EMPTY);
        entry.state.store(READY, Ordering::Release);
        let (index, _) = registry.resolve(&name("second"), &Labels::EMPTY).expect("room");
        assert_eq!(index, 1, "found where it was published, not claimed again");
        assert_eq!(registry.find(&name("second"), &Labels::EMPTY).map(|(i, _)| i), Some(1));
        assert_eq!(registry.ready_count(), 2);
        // A new name walks past it and takes the next free slot.
        assert_eq!(registry.resolve(&name("third"), &Labels::EMPTY).map(|(i, _)| i), Some(2));
        assert_eq!(registry.find(&name("third"), &Labels::EMPTY).map(|(i, _)| i), Some(2));
    }

    #[test]
    fn keys_whose_hashes_collide_keep_their_own_slots() {
        // A name's hash covers its length and its first and last words:
        // these two differ only in their middle word.
        let (a, b) = (name("aaaaaaaa_x______bbb"), name("aaaaaaaa_y______bbb"));
        assert_eq!(key_of(&a, &Labels::EMPTY), key_of(&b, &Labels::EMPTY), "the test needs a collision");
        let registry = std::boxed::Box::new(Registry::<4, 1, 1, 8>::new());
        let (ia, _) = registry.resolve(&a, &Labels::EMPTY).expect("room");
        let (ib, _) = registry.resolve(&b, &Labels::EMPTY).expect("room");
        assert_ne!(ia, ib);
        assert_eq!(registry.resolve(&b, &Labels::EMPTY).map(|(i, _)| i), Some(ib));
        assert_eq!(registry.find(&b, &Labels::EMPTY).map(|(i, _)| i), Some(ib));
        assert_eq!(registry.find(&a, &Labels::EMPTY).map(|(i, _)| i), Some(ia));
        assert_eq!(registry.ready_count(), 2);
    }
}
