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

use crate::TrackerError;
use crate::name::{Encoded, NameCell};
use crate::shard::{Shard, ShardCore};
use crate::sync::{AtomicBool, AtomicU8, Backoff, Ordering, array_of, const_fn};
use crate::totals::Totals;

const FREE: u8 = 0;
const CLAIMED: u8 = 1;
const READY: u8 = 2;

/// One operation: its name and its shards.
pub(crate) struct Slot<const RING: usize, const SHARDS: usize> {
    state: AtomicU8,
    name: NameCell,
    /// Serialises readers: the hot/cold snapshot swaps halves, and two readers
    /// must not swap the same shard at once. Writers never touch it.
    reading: AtomicBool,
    pub(crate) shards: [Shard<RING>; SHARDS],
}

impl<const RING: usize, const SHARDS: usize> Slot<RING, SHARDS> {
    const_fn! {
        const fn new() -> Self {
            Self {
                state: AtomicU8::new(FREE),
                name: NameCell::new(),
                reading: AtomicBool::new(false),
                shards: array_of![Shard::new(ShardCore::new()); SHARDS],
            }
        }
    }

    pub(crate) fn name(&self) -> Encoded {
        self.name.load()
    }

    /// A consistent snapshot of the whole operation: each shard's snapshot is
    /// one set of whole records, and the shards hold disjoint records, so
    /// their sum is one set of whole records too (I2 across shards).
    pub(crate) fn totals(&self) -> Totals {
        let mut backoff = Backoff::new();
        // Acquire: pairs with the Release below from the previous reader, so
        // this reader sees its clearing of the cold halves.
        while self.reading.compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
            backoff.snooze();
        }
        let mut t = Totals::EMPTY;
        for shard in &self.shards {
            t.merge(&shard.snapshot());
        }
        self.reading.store(false, Ordering::Release);
        t
    }
}

pub(crate) struct Registry<const OPS: usize, const RING: usize, const SHARDS: usize> {
    slots: [Slot<RING, SHARDS>; OPS],
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize> Registry<OPS, RING, SHARDS> {
    const_fn! {
        pub(crate) const fn new() -> Self {
            Self { slots: array_of![Slot::new(); OPS] }
        }
    }

    /// Finds `name`, registering it in the next free slot if it is new.
    pub(crate) fn resolve(&self, name: &Encoded) -> Result<&Slot<RING, SHARDS>, TrackerError> {
        for slot in &self.slots {
            let mut backoff = Backoff::new();
            loop {
                // Acquire: pairs with the Release publish below, so the name
                // words are visible once READY is.
                match slot.state.load(Ordering::Acquire) {
                    READY if slot.name.matches(name) => return Ok(slot),
                    READY => break,
                    FREE => {
                        if slot.state.compare_exchange(FREE, CLAIMED, Ordering::Acquire, Ordering::Relaxed).is_ok() {
                            slot.name.store(name);
                            // Release: pairs with the Acquire loads above.
                            slot.state.store(READY, Ordering::Release);
                            return Ok(slot);
                        }
                    }
                    _ => backoff.snooze(),
                }
            }
        }
        Err(TrackerError::Full)
    }

    /// Finds `name` without registering it.
    pub(crate) fn find(&self, name: &Encoded) -> Option<&Slot<RING, SHARDS>> {
        self.ready().find(|s| s.name.matches(name))
    }

    /// Published slots, in registration order. Stops at the first slot not yet
    /// published: slots are claimed in order, so later ones are newer still.
    pub(crate) fn ready(&self) -> impl Iterator<Item = &Slot<RING, SHARDS>> {
        // Acquire: as in `resolve`.
        self.slots.iter().take_while(|s| s.state.load(Ordering::Acquire) == READY)
    }
}
