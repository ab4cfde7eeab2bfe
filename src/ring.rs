//! `Ring`: a shard's last `RING` records, overwrite-oldest, never torn (I3).
//!
//! The ring has no head of its own: a record's index is its `seq`, its
//! position in the shard's exclusive stream (`exclusive.rs`), modulo `RING`.
//! It is written only by the holder of the shard's claim, so one writer at a
//! time and in stream order: no entry is ever written by two writers at once,
//! and the write needs no RMW at all.
//!
//! Each entry carries a seqlock-style `stamp`, for readers, who never take
//! the claim:
//! * `0`: never written;
//! * `2·seq + 1`: being written by the record `seq`;
//! * `2·seq + 2`: holds the whole record `seq`.
//!
//! A reader accepts an entry only if its stamp is "holds `seq`" both before
//! and after copying the data words. Besides the record, an entry keeps the
//! epoch it was made in (`sync::epoch`), which orders the window across
//! shards (`slot.rs`).

use crate::sync::{AtomicU64, Ordering, array_of, const_fn};
use crate::totals::Raw;

#[inline]
const fn stamp(seq: u64, done: bool) -> u64 {
    seq.wrapping_mul(2).wrapping_add(if done { 2 } else { 1 })
}

/// `Option<u64>` in one word: `0` is `None`, `t + 1` is `Some(t)`
/// (`u64::MAX` is kept as `u64::MAX - 1`).
#[inline]
const fn encode_ticks(t: Option<u64>) -> u64 {
    match t {
        Some(t) => t.saturating_add(1),
        None => 0,
    }
}

#[inline]
const fn decode_ticks(v: u64) -> Option<u64> {
    v.checked_sub(1)
}

struct Entry {
    stamp: AtomicU64,
    ns: AtomicU64,
    mem: AtomicU64,
    ticks: AtomicU64,
    /// The epoch (low half) and the record's allocation count, saturated to
    /// 32 bits (high half): one word, one store.
    epoch_allocs: AtomicU64,
}

impl Entry {
    const_fn! {
        const fn new() -> Self {
            Self {
                stamp: AtomicU64::new(0),
                ns: AtomicU64::new(0),
                mem: AtomicU64::new(0),
                ticks: AtomicU64::new(0),
                epoch_allocs: AtomicU64::new(0),
            }
        }
    }
}

/// One whole record read back from a ring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Record {
    pub(crate) seq: u64,
    pub(crate) ns: u64,
    pub(crate) mem: u64,
    pub(crate) ticks: Option<u64>,
    pub(crate) epoch: u32,
    pub(crate) allocs: u32,
}

pub(crate) struct Ring<const RING: usize> {
    entries: [Entry; RING],
}

impl<const RING: usize> Ring<RING> {
    const_fn! {
        pub(crate) const fn new() -> Self {
            Self { entries: array_of![Entry::new(); RING] }
        }
    }

    #[inline]
    fn entry(&self, seq: u64) -> Option<&Entry> {
        // `RING as u64` cannot truncate on any supported target; `checked_rem`
        // keeps a zero-capacity ring from dividing by zero.
        let i = seq.checked_rem(RING as u64)?;
        self.entries.get(i as usize)
    }

    /// Stores record `seq`. The caller holds the shard's claim, so no other
    /// writer touches the ring meanwhile.
    #[inline]
    pub(crate) fn write(&self, seq: u64, r: &Raw, epoch: u32) {
        let Some(e) = self.entry(seq) else { return };
        // Relaxed: the data stores below are Release, so any reader that sees
        // new data also sees this stamp (pairs with the Acquire data loads in
        // `read`).
        e.stamp.store(stamp(seq, false), Ordering::Relaxed);
        e.ns.store(r.ns, Ordering::Release);
        e.mem.store(r.mem, Ordering::Release);
        e.ticks.store(encode_ticks(r.ticks), Ordering::Release);
        // Stored every time, though it seldom changes from one lap of the
        // ring to the next: loading it first to skip the store was slower on
        // the owner's path, where no locked instruction drains the stores
        // before it (README, "The record path").
        let allocs = u32::try_from(r.allocs).unwrap_or(u32::MAX);
        let word = u64::from(allocs) << 32 | u64::from(epoch);
        e.epoch_allocs.store(word, Ordering::Release);
        // Release: pairs with the Acquire stamp load in `read`.
        e.stamp.store(stamp(seq, true), Ordering::Release);
    }

    /// Copies record `seq` if the ring still holds it whole.
    #[inline]
    pub(crate) fn read(&self, seq: u64) -> Option<Record> {
        let e = self.entry(seq)?;
        // Acquire: pairs with the final Release store in `write`, so the data
        // loads see that record's words (or a later writer's).
        let want = e.stamp.load(Ordering::Acquire);
        if want != stamp(seq, true) {
            return None;
        }
        // Acquire: pairs with the Release data stores of any later writer;
        // if we saw its data, the stamp check below sees its claim.
        let ns = e.ns.load(Ordering::Acquire);
        let mem = e.mem.load(Ordering::Acquire);
        let ticks = e.ticks.load(Ordering::Acquire);
        let word = e.epoch_allocs.load(Ordering::Acquire);
        // The two halves of the word (truncation intended).
        let (epoch, allocs) = (word as u32, (word >> 32) as u32);
        if e.stamp.load(Ordering::Relaxed) != want {
            return None;
        }
        Some(Record { seq, ns, mem, ticks: decode_ticks(ticks), epoch, allocs })
    }
}

impl<const RING: usize> Ring<RING> {
    /// Ring capacity.
    pub(crate) const CAPACITY: usize = RING;
}
