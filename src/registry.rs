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

use crate::fork;
use crate::labels::{LabelCell, Labels};
use crate::name::{NameBuf, NameCell};
use crate::record::slot::OpSlot;
use crate::sync::{AtomicU8, Backoff, Ordering, array_of, const_fn};

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

/// Names to slots: `OPS` entries, each naming the operation slot beside it.
pub(crate) struct Registry<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize> {
    entries: [Entry; OPS],
    slots: [OpSlot<RING, SHARDS, BUCKETS>; OPS],
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>
    Registry<OPS, RING, SHARDS, BUCKETS>
{
    const_fn! {
        pub(crate) const fn new() -> Self {
            Self { entries: array_of![Entry::new(); OPS], slots: array_of![OpSlot::new(); OPS] }
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
        for (index, (entry, slot)) in self.entries.iter().zip(&self.slots).enumerate() {
            let mut backoff = Backoff::new();
            loop {
                // Acquire: as in `Entry::is_ready`.
                match entry.state.load(Ordering::Acquire) {
                    READY if entry.matches(name, labels) => return Some((index, (slot, &entry.labels))),
                    READY => break,
                    FREE => {
                        // A registrar of the same key waits while this entry
                        // is claimed: no fork may fall between the claim and
                        // the publish (`fork.rs`).
                        let section = fork::enter();
                        if entry.state.compare_exchange(FREE, CLAIMED, Ordering::Acquire, Ordering::Relaxed).is_ok() {
                            entry.name.store(name);
                            entry.labels.store(labels);
                            // Release: pairs with the Acquire loads above and in `is_ready`.
                            entry.state.store(READY, Ordering::Release);
                            fork::leave(section);
                            return Some((index, (slot, &entry.labels)));
                        }
                        fork::leave(section);
                    }
                    _ => backoff.snooze(),
                }
            }
        }
        None
    }

    /// Published entries and their slots, in registration order. Stops at
    /// the first slot not yet published: slots are claimed in order, so
    /// later ones are newer still. Reads no name: callers load or compare
    /// names only where they need them.
    fn published(&self) -> impl Iterator<Item = (usize, &Entry, &OpSlot<RING, SHARDS, BUCKETS>)> {
        self.entries.iter().zip(&self.slots).take_while(|(e, _)| e.is_ready()).enumerate().map(|(i, (e, s))| (i, e, s))
    }

    /// Finds `name` with `labels` without registering them: its index and
    /// slot.
    pub(crate) fn find(&self, name: &NameBuf, labels: &Labels) -> Option<(usize, Series<'_, RING, SHARDS, BUCKETS>)> {
        self.published().find(|(_, e, _)| e.matches(name, labels)).map(|(i, e, slot)| (i, (slot, &e.labels)))
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
    #[cfg(feature = "std")]
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
