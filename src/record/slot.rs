//! `OpSlot`: one operation's storage, its shards and its reader lock; and how
//! a reader puts the shards back together (the totals and the recent window).
//!
//! # The recent window across shards
//!
//! Each shard's ring is in its own stream order. The window is a k-way merge
//! that walks every shard from its newest record backwards and repeatedly
//! takes the newest head, until `RING` records are taken. Entries that are
//! being written or were overwritten while the merge ran are skipped (I3).
//!
//! "Newest" across shards (docs/DESIGN.md, "The recent window"), in order of
//! precedence:
//! 1. the **epoch** the record was made in: a process-wide counter that moves
//!    when a reader takes a window and when a thread records for the first
//!    time. Records of a later epoch are newer.
//! 2. within an epoch, the caller's **timestamp**, if the records carry one,
//!    compared as wrapping serial numbers relative to the newest timestamp
//!    among the shards' newest records (so a counter that wraps still sorts
//!    right, as long as the window spans less than half its range).
//! 3. then the position in its own shard's stream.
//!
//! A shard's own records are never reordered: they come back in the order
//! they were recorded, whatever their timestamps.

use heapless::Vec;

use crate::backoff::Backoff;
use crate::histogram::Histogram;
use crate::histogram::buckets::Layout;
use crate::platform::{self, shard_of};
use crate::record::padded::CachePadded;
use crate::record::ring::Record;
use crate::record::shard::{Shard, ShardCore};
use crate::record::totals::{Raw, Totals};
use crate::sync::{AtomicBool, AtomicU64, Ordering, advance_epoch, array_of, const_fn, hot_fn};

/// One operation: its shards, the histogram halves of its contended path,
/// and the lock that serialises its readers.
pub(crate) struct OpSlot<const RING: usize, const SHARDS: usize, const BUCKETS: usize> {
    /// Serialises readers: the hot/cold snapshot swaps halves, and two readers
    /// must not swap the same shard at once. Writers never touch it.
    reading: AtomicBool,
    /// Calls that were cancelled (a timed future dropped before it
    /// completed), counted apart from the records, and their wall time
    /// (saturating nanoseconds): a cancelled call is no record. Off the
    /// record path: only a cancellation touches them. They sit in the
    /// padding before the cache-padded shards, so the footprint does not
    /// grow.
    cancelled: AtomicU64,
    cancelled_ns: AtomicU64,
    shards: [Shard<RING, BUCKETS>; SHARDS],
    /// The hot/cold histogram halves of every shard's contended path. One
    /// pair per operation, not per shard: a histogram is kilobytes, and
    /// records reach here only under contention.
    contended: CachePadded<[Histogram<BUCKETS>; 2]>,
}

impl<const RING: usize, const SHARDS: usize, const BUCKETS: usize> OpSlot<RING, SHARDS, BUCKETS> {
    const_fn! {
        pub(crate) const fn new() -> Self {
            Self {
                reading: AtomicBool::new(false),
                cancelled: AtomicU64::new(0),
                cancelled_ns: AtomicU64::new(0),
                shards: array_of![CachePadded::new(ShardCore::new()); SHARDS],
                contended: CachePadded::new([Histogram::new(), Histogram::new()]),
            }
        }
    }

    const LAYOUT: Layout = Layout::of(BUCKETS);

    hot_fn! {
        /// Records `r` as a thread with hint `hint` (`platform/owner.rs`): on the shard
        /// it owns, with no RMW, or as any other writer on the shard its hint
        /// picks.
        pub(crate) fn record_as(&self, hint: usize, r: &Raw) {
            // Never a division by zero: `Tracker::new` rejects `SHARDS == 0`
            // at compile time.
            let (shard, owned) = shard_of(hint, SHARDS);
            if let Some(s) = self.shards.get(shard) {
                s.record(r, Self::LAYOUT.index(r.ns), owned, &self.contended);
            }
        }
    }

    hot_fn! {
        /// Records `r` on shard `shard % SHARDS`, not as its owner (the CAS
        /// claim and hot/cold paths).
        pub(crate) fn record_on(&self, shard: usize, r: &Raw) {
            // `% SHARDS` is never a division by zero, as above.
            if let Some(s) = self.shards.get(shard % SHARDS) {
                s.record(r, Self::LAYOUT.index(r.ns), false, &self.contended);
            }
        }
    }

    /// Counts one cancelled call of `ns` nanoseconds of wall time.
    pub(crate) fn note_cancelled(&self, ns: u64) {
        // The time first, saturating; then the count with Release, so a
        // reader that sees the count sees at least that many calls' time.
        let _ =
            self.cancelled_ns.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| Some(old.saturating_add(ns)));
        self.cancelled.fetch_add(1, Ordering::Release);
    }

    /// The cancelled calls counted so far and their wall time in
    /// nanoseconds: the time covers at least the calls counted (a call
    /// cancelled between the two loads may be in the time alone).
    pub(crate) fn cancelled(&self) -> (u64, u64) {
        // Acquire: pairs with the Release count in `note_cancelled`.
        let count = self.cancelled.load(Ordering::Acquire);
        (count, self.cancelled_ns.load(Ordering::Relaxed))
    }

    /// A consistent snapshot of the whole operation, its totals and its
    /// histogram's bucket counts: each shard's snapshot is one set of whole
    /// records, and the shards hold disjoint records, so their sum is one set
    /// of whole records too (I2 across shards).
    ///
    /// The contended path's buckets: every shard's hot/cold aggregate flips
    /// with each snapshot, so all of them always have the same parity, and a
    /// contended record's bucket goes to the histogram half of its aggregate
    /// half's parity. Once every shard has flipped and waited for its cold
    /// half's writers, the cold histogram half holds exactly the records of
    /// the shards' cold halves. It is then moved into the hot half, as the
    /// aggregates' cold halves are.
    ///
    /// The bucket counts are added into `hist` (the caller's, zeroed), so
    /// that a histogram is not moved on its way out.
    pub(crate) fn snapshot(&self, hist: &mut [u64; BUCKETS]) -> Totals {
        // Later readers wait for this one's lock and flips: no fork may fall
        // in the middle of it (`platform/hosted/fork.rs`).
        let section = platform::enter();
        let mut backoff = Backoff::new();
        // Acquire: pairs with the Release below from the previous reader, so
        // this reader sees its clearing of the cold halves.
        while self.reading.compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
            backoff.snooze();
        }
        let mut t = Totals::EMPTY;
        let mut contended = Totals::EMPTY;
        let mut cold = 0;
        let mut scratch = [0u64; BUCKETS];
        for shard in &self.shards {
            let (exclusive, shard_contended, parity) = shard.snapshot(hist, &mut scratch);
            t.merge(&exclusive);
            contended.merge(&shard_contended);
            cold = parity;
        }
        t.merge(&contended);
        // Only buckets between the contended records' extremes can be
        // non-zero; with no contended record there is nothing to move.
        if contended.count > 0
            && let (Some(cold_half), Some(hot_half)) = (self.contended.get(cold), self.contended.get(cold ^ 1))
        {
            // Quiescent: the waits above synchronised with every writer of it
            // (the aggregates' Acquire loads of `completed`).
            let range = Self::LAYOUT.span(contended.min_ns, contended.max_ns);
            cold_half.drain_into(range, hist, hot_half);
        }
        self.reading.store(false, Ordering::Release);
        platform::leave(section);
        t
    }

    /// The recent window: the newest `RING` whole records, oldest first (see
    /// the module docs for "newest"), each turned by `f` (given its shard
    /// number) into what the caller keeps: the core's integer units go in,
    /// and are converted once. Starts a new epoch, so that records made after
    /// this call sort after every record it returned.
    pub(crate) fn recent<T>(&self, f: impl Fn(usize, &Record) -> T) -> Vec<T, RING> {
        advance_epoch();
        let mut heads: [Head; SHARDS] = [Head::EMPTY; SHARDS];
        let mut first: [Option<Record>; SHARDS] = [None; SHARDS];
        for ((head, shard), first) in heads.iter_mut().zip(&self.shards).zip(&mut first) {
            (head.lo, head.cursor) = shard.window();
            *first = head.next_whole(shard);
        }
        // The newest epoch and timestamp among the shards' newest records:
        // the points from which the others are measured back.
        let newest_epoch = first.iter().flatten().map(|r| r.epoch).reduce(later_epoch).unwrap_or(0);
        let newest_tick = first.iter().flatten().filter_map(|r| r.ticks).reduce(later);
        let age = |r: &Record| Age::of(r, newest_epoch, newest_tick);
        for (head, r) in heads.iter_mut().zip(first) {
            head.offer(r, age);
        }
        let mut out: Vec<T, RING> = Vec::new();
        while !out.is_full() {
            // The newest head: a plain loop over keys computed when each head
            // was filled (each head is read here once per step, field by field).
            let mut best: Option<(usize, Age)> = None;
            for (i, h) in heads.iter().enumerate() {
                if h.record.is_some() && best.is_none_or(|(_, b)| h.key < b) {
                    best = Some((i, h.key));
                }
            }
            let Some((i, _)) = best else { break };
            let (Some(head), Some(shard)) = (heads.get_mut(i), self.shards.get(i)) else { break };
            let Some(r) = head.record.take() else { break };
            if out.push(f(i, &r)).is_err() {
                break;
            }
            let next = head.next_whole(shard);
            head.offer(next, age);
        }
        out.reverse();
        out
    }
}

/// A shard's cursor in the merge: the record it offers next with its age,
/// and where its ring's window starts.
#[derive(Clone, Copy)]
struct Head {
    record: Option<Record>,
    key: Age,
    cursor: u64,
    lo: u64,
}

impl Head {
    const EMPTY: Self = Self { record: None, key: Age::NEWEST, cursor: 0, lo: 0 };

    /// Walks the ring backwards to the next whole record.
    fn next_whole<const RING: usize, const BUCKETS: usize>(&mut self, shard: &Shard<RING, BUCKETS>) -> Option<Record> {
        while self.cursor > self.lo {
            self.cursor -= 1;
            if let Some(r) = shard.read(self.cursor) {
                return Some(r);
            }
        }
        None
    }

    /// Offers `r`, with its age computed now, from the value in hand.
    fn offer(&mut self, r: Option<Record>, age: impl Fn(&Record) -> Age) {
        if let Some(r) = &r {
            self.key = age(r);
        }
        self.record = r;
    }
}

/// The later of two timestamps, as wrapping serial numbers: `b` is later if
/// it lies less than half the range after `a`.
fn later(a: u64, b: u64) -> u64 {
    if b.wrapping_sub(a) < 1 << 63 { b } else { a }
}

/// [`later`] for epochs.
fn later_epoch(a: u32, b: u32) -> u32 {
    if b.wrapping_sub(a) < 1 << 31 { b } else { a }
}

/// How far back a record lies; the smallest is the newest.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Age {
    /// Epochs since the record's (wrapping).
    epochs: u32,
    /// Ticks back from the newest timestamp; records without one come last.
    ticks: u64,
    /// Position in its shard's stream, counted back.
    seq_back: u64,
}

impl Age {
    const NEWEST: Self = Self { epochs: 0, ticks: 0, seq_back: 0 };

    fn of(r: &Record, newest_epoch: u32, newest_tick: Option<u64>) -> Self {
        let ticks = match (r.ticks, newest_tick) {
            (Some(t), Some(n)) => n.wrapping_sub(t),
            _ => u64::MAX,
        };
        Self { epochs: newest_epoch.wrapping_sub(r.epoch), ticks, seq_back: u64::MAX - r.seq }
    }
}

#[cfg(test)]
mod tests {
    use super::later;

    #[test]
    fn later_compares_timestamps_as_wrapping_serial_numbers() {
        assert_eq!(later(5, 9), 9);
        assert_eq!(later(9, 5), 9);
        // A 32-bit counter in the high bits, just before and after its wrap.
        let before = 0xFFFF_FFF0u64 << 32;
        let after = 0x0000_0010u64 << 32;
        assert_eq!(later(before, after), after);
        assert_eq!(later(after, before), after);
    }
}
