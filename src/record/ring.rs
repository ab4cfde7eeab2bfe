//! `Ring`: a shard's last `RING` records, overwrite-oldest, never torn (I3).
//!
//! The ring has no head of its own: a record's index is its `seq`, its
//! position in the shard's exclusive stream (`exclusive.rs`), modulo `RING`.
//! It is written only by the holder of the shard's claim, so one writer at a
//! time and in stream order: no entry is ever written by two writers at once,
//! and the write needs no RMW at all.
//!
//! Entries carry no stamp of their own. The shard's claim word already
//! numbers the holds, and hold `k` writes record `seq = k` (mod 2^30): so a
//! reader knows from the claim which records are finished, and, loading the
//! versions' counts (which every hold marks before it writes anything) after
//! copying an entry, whether the hold that overwrites it had begun
//! (`Exclusive::read`). Besides the record, an entry keeps the
//! epoch it was made in (`sync::epoch`), which orders the window across
//! shards (`slot.rs`).

use crate::record::totals::Raw;
use crate::sync::{AtomicU64, Ordering, array_of, const_fn};

/// Bit of an entry's `word`: the entry's `ticks` holds the record's
/// timestamp. Without it `ticks` is stale and not stored: most records have
/// no timestamp, and a record skips that store.
const HAS_TICKS: u64 = 1 << 63;

/// The largest allocation count an entry keeps (31 bits, beside the flag).
const MAX_ALLOCS: u64 = (1 << 31) - 1;

/// One record, in 32 bytes: a power of two, so an entry's offset is a shift.
struct Entry {
    ns: AtomicU64,
    mem: AtomicU64,
    /// The timestamp, when `word` has [`HAS_TICKS`].
    ticks: AtomicU64,
    /// The epoch (low 32 bits), the record's allocation count saturated to
    /// [`MAX_ALLOCS`] (bits 32 to 62), and [`HAS_TICKS`]: one word, one store.
    word: AtomicU64,
}

impl Entry {
    const_fn! {
        const fn new() -> Self {
            Self {
                ns: AtomicU64::new(0),
                mem: AtomicU64::new(0),
                ticks: AtomicU64::new(0),
                word: AtomicU64::new(0),
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
    /// writer touches the ring meanwhile, and orders these `Relaxed` stores
    /// for readers (`Exclusive::write`).
    #[inline]
    pub(crate) fn write(&self, seq: u64, r: &Raw, epoch: u32) {
        let Some(e) = self.entry(seq) else { return };
        e.ns.store(r.ns, Ordering::Relaxed);
        e.mem.store(r.mem, Ordering::Relaxed);
        let mut word = r.allocs.min(MAX_ALLOCS) << 32 | u64::from(epoch);
        if let Some(t) = r.ticks {
            e.ticks.store(t, Ordering::Relaxed);
            word |= HAS_TICKS;
        }
        // Stored every time, though it seldom changes from one lap of the
        // ring to the next: loading it first to skip the store costs a load
        // and a branch on every record and saves no store the cache keeps.
        e.word.store(word, Ordering::Relaxed);
    }

    /// Copies entry `seq % RING` as record `seq`, with `Relaxed` loads: the
    /// caller checks, against the shard's claim, that it held record `seq`
    /// throughout (`Exclusive::read`).
    #[inline]
    pub(crate) fn copy(&self, seq: u64) -> Option<Record> {
        let e = self.entry(seq)?;
        let ns = e.ns.load(Ordering::Relaxed);
        let mem = e.mem.load(Ordering::Relaxed);
        let word = e.word.load(Ordering::Relaxed);
        let ticks = if word & HAS_TICKS != 0 { Some(e.ticks.load(Ordering::Relaxed)) } else { None };
        // The fields of the word (truncation intended).
        let (epoch, allocs) = (word as u32, ((word >> 32) & MAX_ALLOCS) as u32);
        Some(Record { seq, ns, mem, ticks, epoch, allocs })
    }

    /// The duration of entry `seq % RING`, with a `Relaxed` load; the caller
    /// orders and checks it (`Exclusive::try_read`).
    #[inline]
    pub(crate) fn ns(&self, seq: u64) -> Option<u64> {
        Some(self.entry(seq)?.ns.load(Ordering::Relaxed))
    }
}

impl<const RING: usize> Ring<RING> {
    /// Ring capacity.
    pub(crate) const CAPACITY: usize = RING;
}

#[cfg(all(test, not(perftrack_loom)))]
mod tests {
    use super::*;

    fn raw(ns: u64, ticks: Option<u64>, allocs: u64) -> Raw {
        Raw { ns, mem: 2 * ns, cpu_ns: None, ticks, allocs }
    }

    #[test]
    fn an_entry_keeps_its_timestamp_only_when_the_record_had_one() {
        let ring: Ring<1> = Ring::new();
        ring.write(0, &raw(5, Some(u64::MAX), 3), 7);
        let r = ring.copy(0).unwrap();
        assert_eq!((r.ns, r.mem, r.ticks, r.allocs, r.epoch), (5, 10, Some(u64::MAX), 3, 7));
        // The next lap has no timestamp: the stale one in the entry is not
        // read back as its own.
        ring.write(1, &raw(6, None, 0), 8);
        let r = ring.copy(1).unwrap();
        assert_eq!((r.seq, r.ns, r.ticks, r.allocs, r.epoch), (1, 6, None, 0, 8));
        ring.write(2, &raw(7, Some(0), 0), 8);
        assert_eq!(ring.copy(2).unwrap().ticks, Some(0));
    }

    #[test]
    fn an_allocation_count_past_31_bits_saturates_without_touching_the_flag_or_the_epoch() {
        let ring: Ring<2> = Ring::new();
        ring.write(0, &raw(1, None, u64::MAX), u32::MAX);
        let r = ring.copy(0).unwrap();
        assert_eq!((r.allocs, r.ticks, r.epoch), ((1 << 31) - 1, None, u32::MAX));
        ring.write(1, &raw(1, Some(9), 1 << 31), 0);
        let r = ring.copy(1).unwrap();
        assert_eq!((r.allocs, r.ticks, r.epoch), ((1 << 31) - 1, Some(9), 0));
    }
}
