//! `Exclusive`: a shard's uncontended record path: no atomic RMW for the
//! shard's owner, one CAS for any other writer.
//!
//! A shard is nearly always written by one thread at a time (with `std` each
//! thread has its own shard). The shard's claim word says who may write:
//!
//! * bit 0, **held**: a non-owner's record (a *hold*) is in flight;
//! * bit 1, **owned**: the shard belongs to a thread (`platform/owner.rs`), and only
//!   that thread takes holds;
//! * bits 2.., the hold count: each finished hold adds [`HOLD`], so
//!   `claim >> 2` numbers the holds (the one in flight, or the next).
//!
//! # The owner's path: no RMW, one store to the claim
//!
//! The owner marks the shard owned with one CAS the first time it records
//! there. From then on nobody else changes the claim word, and the owner
//! only loads it to begin a record: the record is its plain stores (the
//! first of them marks the version it writes, below) and a `Release` store
//! of the next hold count.
//!
//! # Everyone else: one CAS
//!
//! A writer that does not own the shard takes it with a single CAS (free and
//! unowned to held), updates its totals and its ring with plain atomic loads
//! and stores, and frees it with one `Release` store. It never waits: if the
//! shard is held or owned it records through the shard's
//! [`Aggregate`](crate::record::aggregate::Aggregate) instead (the hot/cold path,
//! wait-free under any contention). The claim can be held by another writer
//! on the same shard, or by an interrupt handler's preempted victim.
//!
//! # Technique: two versions of the totals, read as a seqlock
//!
//! The totals live twice. Hold number `k` (the claim's hold count going from
//! `k` to `k + 1` when it ends) reads version `k % 2`, which holds every
//! record before it (`k` of them), and writes version `k % 2 + 1` (mod 2) as
//! that plus its own record. Its first store is that version's count, `k + 1`
//! (then a `Release` fence): the count marks the version as being rewritten
//! before any cell of it changes. So whatever the claim's value, the version
//! it points at holds whole records, its count equals the claim's hold count
//! (mod 2^30) until hold `k + 1` begins to rewrite it, and only hold `k + 1`
//! will.
//!
//! A reader never takes the claim. It loads the claim (`Acquire`), loads the
//! count of the version the claim points at, copies the version, and, after
//! an `Acquire` fence, loads the count again: if the first count is the
//! claim's hold count and the second is the same, no later hold had begun to
//! rewrite the version, and the copy is whole (`version_is_whole`). So a
//! writer that the scheduler stops in the middle of a record (more threads
//! than cores, or an interrupt handler's victim) never holds a reader up: it
//! writes the other version, and the first copy is good. The writer pays a few more
//! loads, to carry over the cells its record does not change (stored only if
//! the version being written differs); scripts/ab.sh measures it.
//!
//! Only a writer that keeps recording can make copies fail. After
//! `READER_TRIES` failures the reader raises `pending`, which sends every
//! later writer, the owner included, to the hot/cold path: its wait is then
//! bounded by the writers already in flight (I6). `pending` is up only while
//! the reader is on a core and spinning: it is lowered before every thread
//! yield, so a reader that the scheduler parks does not leave a writer on the
//! slower path meanwhile.
//!
//! The ring is written only here, by the claim's holder (the owner, or a
//! CAS holder): one writer at a time, in stream order, so entries need no
//! CAS (see `ring.rs`). Records that
//! took the hot/cold path are counted exactly but do not enter the ring.
//!
//! # The histogram: one copy, and the hold in flight
//!
//! The duration histogram is too big to keep twice, so there is one, bumped
//! with a plain load and store by the claim's holder. A reader copies it
//! between the same two count loads as the totals. When the copy is whole by
//! `version_is_whole`, it holds every record of the holds before the one in
//! flight (hold `k`) and perhaps hold `k`'s own: one bucket can be one ahead.
//! Hold `k` writes its record to ring entry `k` before it bumps the bucket
//! (a `Release` store), so a reader whose bucket sum is the version's count
//! plus one reads that entry's duration, after an `Acquire` fence, and takes
//! the record out of its bucket. Only hold `k` can be ahead, so a sum of one
//! more than the count is exactly that case; a later hold's record in the
//! entry means hold `k + 1` began, and the second count load spoils the copy.
//!
//! Only buckets between those of the version's minimum and maximum can hold
//! its records, so a reader copies just that range: a few octaves for most
//! operations, which keeps the copy short and rarely spoiled.
//!
//! # Seldom cells
//!
//! Most records change neither extreme, and carry no CPU time and no
//! allocation count, so a hold copies those five cells into the version it
//! writes only when it must: when its record changes one of them, or the two
//! versions differ there (the hold before changed one). `steady` (see
//! `steady.rs`) keeps the range of durations that needs no copy while the
//! versions agree, and nothing while they differ, so the record path's test
//! reads neither version. It is read and written only by the claim's holder,
//! and stored only by holds that copy.

use crate::backoff::Backoff;
use crate::histogram::Histogram;
use crate::histogram::buckets::Layout;
use crate::record::ring::{Record, Ring};
use crate::record::steady::Steady;
use crate::record::totals::{Cells, Raw, Totals};
use crate::sync::{AtomicBool, AtomicU32, AtomicU64, Ordering, const_fn, epoch, fence, hot_fn};

/// One version of the totals: a count and its cells.
struct Version {
    count: AtomicU64,
    cells: Cells,
}

impl Version {
    const_fn! {
        const fn new() -> Self {
            Self { count: AtomicU64::new(0), cells: Cells::new() }
        }
    }
}

pub(crate) struct Exclusive<const RING: usize, const BUCKETS: usize> {
    /// [`HELD`], [`OWNED`] and the hold count (see the module docs).
    claim: AtomicU32,
    /// Set by a reader whose copies keep failing because writers keep
    /// recording.
    pending: AtomicBool,
    /// Hold `k` reads `versions[k % 2]` and writes the other one.
    versions: [Version; 2],
    /// The durations whose records leave the seldom cells alone (module
    /// docs, "Seldom cells").
    steady: Steady,
    /// Every record of this path, by duration.
    histogram: Histogram<BUCKETS>,
    ring: Ring<RING>,
}

/// Failed copies before a reader raises `pending`. Small under loom, so that
/// the models (a writer records twice at most) reach the `pending` branch.
const READER_TRIES: u32 = if cfg!(perftrack_loom) { 1 } else { 16 };

/// Claim bit: a hold is in flight.
const HELD: u32 = 1;
/// Claim bit: the shard has an owner, the only writer that takes holds.
const OWNED: u32 = 2;
/// What each hold adds to the claim.
const HOLD: u32 = 4;

/// The version that holds every record finished before hold number
/// `claim >> 2` (the hold in flight, or the next one): the parity of that
/// number.
#[inline]
fn settled(claim: u32) -> usize {
    usize::from(claim & HOLD != 0)
}

impl<const RING: usize, const BUCKETS: usize> Exclusive<RING, BUCKETS> {
    const LAYOUT: Layout = Layout::of(BUCKETS);

    /// `RING` holds, in claim units: how far the claim may move past a
    /// record's hold before the ring has overwritten it. (A ring longer than
    /// 2^27 entries keeps its newest 2^27 readable, so the span fits the
    /// 30-bit hold count with room to tell old from new.)
    const RING_SPAN: u32 = {
        let holds = if RING < 1 << 27 { RING as u32 } else { 1 << 27 };
        holds * HOLD
    };

    const_fn! {
        pub(crate) const fn new() -> Self {
            Self {
                claim: AtomicU32::new(0),
                pending: AtomicBool::new(false),
                versions: [Version::new(), Version::new()],
                steady: Steady::new(),
                histogram: Histogram::new(),
                ring: Ring::new(),
            }
        }
    }

    /// A non-owner's claim: one CAS, never a wait. `None` means "take the
    /// hot/cold path": the shard is held or owned, or a reader has raised
    /// `pending`. On success, the claim's value before the hold. The held
    /// bit keeps other writers out; readers go by the versions' counts.
    #[inline]
    fn try_claim(&self) -> Option<u32> {
        // Relaxed: only a hint; the CAS decides.
        if self.pending.load(Ordering::Relaxed) {
            return None;
        }
        let c = self.claim.load(Ordering::Relaxed);
        if c & (HELD | OWNED) != 0 {
            return None;
        }
        // Acquire: pairs with the Release in `write`, so this holder sees the
        // version the previous holder wrote.
        // On success the claim was `c`: returning the value loaded above (not
        // the CAS's output) lets the version index be computed before the
        // locked CAS completes.
        if self.claim.compare_exchange(c, c | HELD, Ordering::Acquire, Ordering::Relaxed).is_err() {
            return None;
        }
        Some(c)
    }

    /// The owner's hold: no RMW and no store once the shard is marked owned
    /// (one CAS the first time). `None` means "take the hot/cold path": a
    /// reader has raised `pending`, or a non-owner's hold (begun before this
    /// owner's first record here) is in flight. On success, the claim's value
    /// before the hold, with the owned bit.
    ///
    /// The caller owns this shard (`platform/owner.rs`): it holds the token that
    /// marks it, so no other thread changes an owned claim word. Not
    /// reentrant: a record made on the owner's thread in the middle of one
    /// of its records (a signal handler's) would write the same version; such
    /// handlers record with `record_on`, never as owners.
    #[inline]
    fn try_own(&self) -> Option<u32> {
        // Relaxed: only a hint, as in `try_claim`.
        if self.pending.load(Ordering::Relaxed) {
            return None;
        }
        // Relaxed: an owned claim was last written by this thread, or by the
        // token's previous holder, whose stores the token's Acquire take made
        // visible (`Owners::take`).
        let c = self.claim.load(Ordering::Relaxed);
        // Owned: then the held bit is clear. Only the owner writes an owned
        // claim, and each of its holds ends by clearing the bit, so it is
        // set only in the middle of one of this thread's own records.
        if c & OWNED != 0 {
            return Some(c);
        }
        // First record here: mark the shard owned, and hold it, in one CAS;
        // Acquire as in `try_claim`. A non-owner's hold in flight, or a
        // racing non-owner's CAS, turns this one away, and the next record
        // tries again.
        if c & HELD != 0
            || self.claim.compare_exchange(c, c | OWNED | HELD, Ordering::Acquire, Ordering::Relaxed).is_err()
        {
            return None;
        }
        Some(c | OWNED)
    }

    hot_fn! {
        /// Records `r` as the shard's owner (`owned`: the caller holds its
        /// token) or as any other writer; returns false (recording nothing)
        /// if the hold cannot be taken: a reader asked writers to stand
        /// aside, or the shard is held (or, for a non-owner, owned).
        pub(crate) fn try_record(&self, r: &Raw, bucket: usize, owned: bool) -> bool {
            // Read before the claim: after a locked CAS a load would wait for
            // the CAS to finish. A hint, so it may be one epoch stale.
            let epoch = epoch();
            let hold = if owned { self.try_own() } else { self.try_claim() };
            let Some(c) = hold else { return false };
            self.write(c, r, bucket, epoch);
            true
        }
    }

    /// A hold's record, the claim held from value `c` (bits other than
    /// [`HELD`]) by the caller alone: the count of the version it writes, a
    /// `Release` fence, plain loads and stores, no RMW, then the `Release`
    /// store that ends the hold (and clears a non-owner's held bit).
    #[inline(always)]
    fn write(&self, c: u32, r: &Raw, bucket: usize, epoch: u32) {
        // One copy of the record's code per parity: each then addresses the
        // versions at constant offsets, where a version picked by index puts
        // address arithmetic on every record.
        let [a, b] = &self.versions;
        if settled(c) == 0 {
            self.write_versions(a, b, c, r, bucket, epoch);
        } else {
            self.write_versions(b, a, c, r, bucket, epoch);
        }
    }

    /// [`write`](Self::write), reading version `old` and writing `new`.
    #[inline(always)]
    fn write_versions(&self, old: &Version, new: &Version, c: u32, r: &Raw, bucket: usize, epoch: u32) {
        let seq = old.count.load(Ordering::Relaxed);
        let t = Totals::of(r);
        // The version's count first: it tells readers that this version is
        // being rewritten. One record per hold: the count cannot reach 2^64
        // (585 years at a record per nanosecond), so it needs no saturation.
        new.count.store(seq.wrapping_add(t.count), Ordering::Relaxed);
        // Release fence: a reader that sees any store below (all after the
        // fence) then sees the count above, or a later one, in its second
        // count load (pairs with the Acquire fences in `try_read` and
        // `read`).
        fence(Ordering::Release);
        // Record `seq` is hold `c >> 2` (mod 2^30), so where the ring's
        // length divides 2^30 the claim in hand gives the entry, without
        // waiting for the count's load.
        let pos = if RING.is_power_of_two() && RING <= 1 << 30 { u64::from(c >> 2) } else { seq };
        self.ring.write(pos, r, epoch);
        old.cells.fold_sums(&new.cells, &t);
        if t.adds_seldom_sums() || !self.steady.admits(r.ns) {
            match old.cells.fold_seldom(&new.cells, &t) {
                Some((min, max)) => self.steady.open(min, max),
                None => self.steady.close(),
            }
        }
        // Release (inside): a reader that sees this bump sees ring entry
        // `seq` above (`try_read`).
        self.histogram.bump_owned(bucket);
        // Release: pairs with the Acquire CAS of the next hold that takes the
        // claim with one, and the Acquire claim loads in `try_read` and
        // `read`. Keeps the owned bit, and clears a non-owner's held bit.
        self.claim.store(c.wrapping_add(HOLD), Ordering::Release);
    }

    /// One attempt to copy the totals, and the histogram's buckets into
    /// `hist` (only the range that can hold records, which it overwrites),
    /// without disturbing writers: `None` if a writer overwrote the version
    /// while it was being copied.
    #[inline]
    fn try_read(&self, hist: &mut [u64; BUCKETS]) -> Option<Totals> {
        // Acquire: pairs with the Release store that ended the last finished
        // hold (a value with the held bit comes from a CAS, which continues
        // that store's release sequence), so the version it wrote, and the
        // buckets it and every earlier hold bumped, are visible.
        let c1 = self.claim.load(Ordering::Acquire);
        let v = &self.versions[settled(c1)];
        let count = v.count.load(Ordering::Relaxed);
        let t = v.cells.load(count);
        let range = Self::LAYOUT.span(t.min_ns, t.max_ns);
        let sum = if t.count == 0 { 0 } else { self.histogram.copy(range.clone(), hist) };
        // Acquire fence: if the copy saw the bump of the hold in flight (hold
        // k, which writes record `count`), the load below sees its ring entry
        // (pairs with the Release bump in `write`).
        fence(Ordering::Acquire);
        let in_flight = self.ring.ns(count);
        // Acquire fence: if the copy or the load above saw any store of a
        // later hold, the count load below sees that hold's mark (pairs with
        // the fence in `write`).
        fence(Ordering::Acquire);
        if !version_is_whole(c1, count, v.count.load(Ordering::Relaxed)) {
            return None;
        }
        if sum == t.count {
            return Some(t);
        }
        // One ahead: hold k's record is in its bucket but not in the version.
        // Any other sum counts as a spoiled copy.
        let bucket = Self::LAYOUT.index(in_flight?);
        let extra = hist.get_mut(bucket).filter(|n| range.contains(&bucket) && **n > 0)?;
        if sum != t.count.wrapping_add(1) {
            return None;
        }
        *extra -= 1;
        Some(t)
    }

    /// The totals recorded here so far, one set of whole records, and the
    /// same records' buckets added into `hist`. `copy` is scratch space for
    /// the attempts (any contents; the caller reuses one across shards, so
    /// that a snapshot clears one histogram's worth of memory, not one per
    /// shard).
    ///
    /// Never waits for a writer that is stopped mid-record. A writer that keeps
    /// recording is sent to the hot/cold path through `pending` after
    /// [`READER_TRIES`] failed copies. The caller holds the slot's reader
    /// lock, so readers never race each other for `pending`.
    pub(crate) fn snapshot(&self, hist: &mut [u64; BUCKETS], copy: &mut [u64; BUCKETS]) -> Totals {
        let mut backoff = Backoff::new();
        let mut tries = 0u32;
        let t = loop {
            if let Some(t) = self.try_read(copy) {
                break t;
            }
            tries += 1;
            if tries == READER_TRIES {
                self.pending.store(true, Ordering::Relaxed);
            }
            // Never leave writers diverted while this thread is parked.
            backoff.snooze_or(|| {
                if tries >= READER_TRIES {
                    self.pending.store(false, Ordering::Relaxed);
                }
                tries = 0;
            });
        };
        // `tries` is reset only with `pending` lowered, so this is exactly
        // "pending is up".
        if tries >= READER_TRIES {
            self.pending.store(false, Ordering::Relaxed);
        }
        if t.count > 0 {
            let range = Self::LAYOUT.span(t.min_ns, t.max_ns);
            if let (Some(src), Some(dst)) = (copy.get(range.clone()), hist.get_mut(range)) {
                for (d, s) in dst.iter_mut().zip(src) {
                    *d = d.wrapping_add(*s);
                }
            }
        }
        t
    }

    /// The window of stream positions the ring can still hold: `[lo, hi)`.
    pub(crate) fn window(&self) -> (u64, u64) {
        // A stale `count`, or one the next hold has already marked (one
        // ahead of the finished records), only narrows the window by a
        // record; `read` checks each entry.
        let c = self.claim.load(Ordering::Relaxed);
        let hi = self.versions[settled(c)].count.load(Ordering::Relaxed);
        (hi.saturating_sub(Ring::<RING>::CAPACITY as u64), hi)
    }

    /// Record `seq`, if it is finished and the ring still holds it whole.
    ///
    /// Hold `k` writes record `k` (mod 2^30, the hold count's range): each
    /// hold adds one record to the exclusive stream, whose count starts where
    /// the claim does. So the claim says which records are finished, and the
    /// versions' counts, which each hold marks before it writes anything,
    /// say whether the hold that overwrites entry `seq` (hold `seq + RING`,
    /// which marks a count of `seq + RING + 1`) had begun: the entry's copy
    /// is whole if it had not, after the copy.
    pub(crate) fn read(&self, seq: u64) -> Option<Record> {
        // Acquire: pairs with the Release store that ended the hold that
        // wrote record `seq`, so its entry is visible.
        let c1 = self.claim.load(Ordering::Acquire);
        // Holds finished since `seq`, in claim units (truncation intended:
        // hold numbers are 30 bits). Record `seq` is finished, and not
        // overwritten by a finished hold, if this is 1 to `RING` holds.
        let since = (c1 & !(OWNED | HELD)).wrapping_sub((seq as u32).wrapping_mul(HOLD));
        if !(HOLD..=Self::RING_SPAN).contains(&since) {
            return None;
        }
        let r = self.ring.copy(seq)?;
        // Acquire fence: if the copy saw any store of hold `seq + RING`, the
        // loads below see its mark (pairs with the fence in `write`).
        fence(Ordering::Acquire);
        let [a, b] = &self.versions;
        let begun = a.count.load(Ordering::Relaxed).max(b.count.load(Ordering::Relaxed));
        (begun <= seq.saturating_add(RING as u64)).then_some(r)
    }
}

/// Whether a version copied after claim load `c1`, between count loads
/// `count` and `again`, is whole.
///
/// With `c1 >> 2` = k, the version read is the one hold k + 1 rewrites next;
/// hold k (the one in flight, if any) writes the other. While hold k + 1 has
/// not begun, the version's count is k (the count hold k − 1 gave it, which
/// the claim's Acquire load made visible); hold k + 1 marks it k + 2 before
/// it writes anything else there. So the copy is whole if the first count
/// load read k (mod 2^30: hold k + 1 had not begun) and the second read it
/// again. (A reader parked across 2^30 holds between its loads could be
/// fooled, as with any seqlock of a 32-bit word.)
#[inline]
fn version_is_whole(c1: u32, count: u64, again: u64) -> bool {
    // Truncation intended: hold numbers are 30 bits.
    (count as u32).wrapping_sub(c1 >> 2) & (u32::MAX >> 2) == 0 && again == count
}

#[cfg(all(test, not(perftrack_loom)))]
mod tests {
    use super::*;
    use crate::histogram::buckets::FINE_BUCKETS;

    fn raw(ns: u64) -> Raw {
        Raw { ns, mem: 3 * ns + 1, cpu_ns: None, ticks: None, allocs: 0 }
    }

    #[test]
    fn snapshot_does_not_wait_for_a_writer_stopped_mid_record() {
        let e: Exclusive<4, FINE_BUCKETS> = Exclusive::new();
        let l = Layout::of(FINE_BUCKETS);
        assert!(e.try_record(&raw(5), l.index(5), false));
        assert!(e.try_record(&raw(7), l.index(7), false));
        // A writer takes the claim and stops halfway through its record (the
        // scheduler parked it, or an interrupt came): part of the next
        // version is written, and the claim stays held.
        let c = e.try_claim().expect("the shard is free");
        let next = &e.versions[settled(c) ^ 1];
        next.count.store(3, Ordering::Relaxed);
        next.cells.total_ns.store(999, Ordering::Relaxed);
        // The reader's first copy is whole: exactly the two finished records.
        let mut hist = [0; FINE_BUCKETS];
        let t = e.try_read(&mut hist).expect("the first copy succeeds while the claim does not move");
        assert_eq!((t.count, t.total_ns, t.total_mem, t.min_ns, t.max_ns), (2, 12, 38, 5, 7));
        let mut again = [0; FINE_BUCKETS];
        assert_eq!(e.snapshot(&mut again, &mut [7; FINE_BUCKETS]), t);
        assert_eq!((hist[5], hist[7], hist.iter().sum::<u64>()), (1, 1, 2));
        assert_eq!(hist, again);
        // The reader left nothing behind that diverts writers.
        assert!(!e.pending.load(Ordering::Relaxed));
        // Another writer arriving meanwhile does not wait either: it is told
        // to take the contended path.
        assert!(!e.try_record(&raw(1), l.index(1), false));
    }

    #[test]
    fn a_copy_that_caught_the_hold_in_flight_takes_its_bucket_back_out() {
        let e: Exclusive<4, FINE_BUCKETS> = Exclusive::new();
        let l = Layout::of(FINE_BUCKETS);
        assert!(e.try_record(&raw(100), l.index(100), false));
        assert!(e.try_record(&raw(300), l.index(300), false));
        // Hold 2 is stopped after its bucket store, before its release: the
        // histogram is one ahead of the version the claim points at, and the
        // hold's ring entry (record 2) names the bucket.
        let c = e.try_claim().expect("the shard is free");
        e.ring.write(2, &raw(200), 0);
        e.histogram.bump_owned(l.index(200));
        let mut hist = [0; FINE_BUCKETS];
        let t = e.try_read(&mut hist).expect("the claim has not moved");
        assert_eq!(t.count, 2);
        assert_eq!(hist.iter().sum::<u64>(), 2, "the in-flight record is taken out");
        assert_eq!((hist[l.index(100)], hist[l.index(200)], hist[l.index(300)]), (1, 0, 1));
        // The hold in flight is not finished: its record is not in the window.
        assert!(e.read(2).is_none(), "an unfinished record is not read back");
        assert_eq!(e.read(1).map(|r| r.ns), Some(300));
        // A ring entry that names another bucket (the hold's record is not
        // visible yet) is not trusted: that copy counts as spoiled.
        e.ring.write(2, &raw(7), 0);
        assert!(e.try_read(&mut [0; FINE_BUCKETS]).is_none());
        e.claim.store(c.wrapping_add(HOLD), Ordering::Release);
    }

    #[test]
    fn a_copy_is_whole_until_the_hold_after_the_one_in_flight_marks_the_version() {
        // Read at hold count k, held by a non-owner or not, owned or not: the
        // version read has count k until hold k + 1 marks it k + 2, so the
        // copy is whole exactly when both count loads read k.
        for k in [0u32, 1, 7, u32::MAX >> 2] {
            let free = k.wrapping_mul(HOLD);
            // The count is 64 bits; only its low 30 bits follow the claim.
            for count in [u64::from(k), u64::from(k) + (1 << 30), u64::from(k) + (5 << 32)] {
                for c1 in [free, free | HELD, free | OWNED, free | OWNED | HELD] {
                    assert!(version_is_whole(c1, count, count), "k={k} c1={c1:#x} count={count}");
                    let marked = count + 2;
                    assert!(!version_is_whole(c1, count, marked), "hold k+1 marked it during the copy");
                    assert!(!version_is_whole(c1, marked, marked), "hold k+1 marked it before the copy");
                    assert!(!version_is_whole(c1, count + 4, count + 4), "holds k+1 and k+3 wrote it");
                }
            }
        }
    }

    #[test]
    fn an_owner_records_without_rmw_after_marking_and_other_writers_stand_aside() {
        let e: Exclusive<4, FINE_BUCKETS> = Exclusive::new();
        let l = Layout::of(FINE_BUCKETS);
        assert!(e.try_record(&raw(3), l.index(3), false), "a non-owner takes the free shard");
        assert!(e.try_record(&raw(5), l.index(5), true), "the owner's first record marks the shard");
        assert_eq!(e.claim.load(Ordering::Relaxed), (2 * HOLD) | OWNED);
        assert!(e.try_record(&raw(7), l.index(7), true));
        assert_eq!(e.claim.load(Ordering::Relaxed), (3 * HOLD) | OWNED, "a plain hold: one count up, still owned");
        assert!(!e.try_record(&raw(1), l.index(1), false), "a non-owner finds the shard owned");
        assert_eq!(e.claim.load(Ordering::Relaxed), (3 * HOLD) | OWNED, "and leaves the claim alone");
        let t = e.snapshot(&mut [0; FINE_BUCKETS], &mut [0; FINE_BUCKETS]);
        assert_eq!((t.count, t.total_ns, t.min_ns, t.max_ns), (3, 15, 3, 7));
        let r = e.read(2).expect("the owner's records enter the ring");
        assert_eq!(r.ns, 7);
    }

    #[test]
    fn holds_skip_the_seldom_cells_only_while_both_versions_agree_there() {
        let e: Exclusive<4, FINE_BUCKETS> = Exclusive::new();
        let l = Layout::of(FINE_BUCKETS);
        let cpu = |ns: u64, cpu_ns: u64| Raw { cpu_ns: Some(cpu_ns), ..raw(ns) };
        // (record, changes a seldom cell?, expected count, min, max, CPU samples)
        let steps = [
            (raw(5), true, 1, 5, 5, 0),
            (raw(5), false, 2, 5, 5, 0),
            (raw(5), false, 3, 5, 5, 0),
            (raw(9), true, 4, 5, 9, 0),
            (raw(7), false, 5, 5, 9, 0),
            (raw(6), false, 6, 5, 9, 0),
            (cpu(6, 2), true, 7, 5, 9, 1),
            // Inside the extremes, but the versions differ in the CPU cells:
            // this hold must copy them.
            (raw(7), false, 8, 5, 9, 1),
            (raw(3), true, 9, 3, 9, 1),
            (raw(4), false, 10, 3, 9, 1),
            (raw(4), false, 11, 3, 9, 1),
        ];
        for (i, (r, changes, count, min, max, cpu_count)) in steps.into_iter().enumerate() {
            assert!(e.try_record(&r, l.index(r.ns), true));
            // A change closes the steady range; a copy that changed nothing
            // opens it to the extremes.
            assert_eq!(!e.steady.admits(r.ns), changes, "step {i}");
            assert_eq!(e.steady.admits(min) && e.steady.admits(max), !changes, "step {i}");
            let t = e.snapshot(&mut [0; FINE_BUCKETS], &mut [0; FINE_BUCKETS]);
            assert_eq!((t.count, t.min_ns, t.max_ns, t.cpu_count), (count, min, max, cpu_count), "step {i}");
        }
    }

    #[test]
    fn an_owner_stopped_mid_record_holds_no_reader_up_and_turns_other_writers_away() {
        let e: Exclusive<4, FINE_BUCKETS> = Exclusive::new();
        let l = Layout::of(FINE_BUCKETS);
        assert!(e.try_record(&raw(5), l.index(5), true));
        let c = e.try_own().expect("the owner takes its next hold");
        e.versions[settled(c) ^ 1].count.store(9, Ordering::Relaxed);
        e.ring.write(1, &raw(40), 0);
        e.histogram.bump_owned(l.index(40));
        let mut hist = [0; FINE_BUCKETS];
        let t = e.try_read(&mut hist).expect("the first copy is whole while the owner is parked");
        assert_eq!((t.count, t.total_ns, hist.iter().sum::<u64>()), (1, 5, 1));
        // Another writer arriving meanwhile finds the shard owned and takes
        // the contended path.
        assert!(!e.try_record(&raw(1), l.index(1), false));
    }

    fn ring_keeps_its_newest_records<const RING: usize>(owned: bool) {
        let e: Exclusive<RING, FINE_BUCKETS> = Exclusive::new();
        let l = Layout::of(FINE_BUCKETS);
        for ns in 0..10 {
            assert!(e.try_record(&raw(ns), l.index(ns), owned));
        }
        assert_eq!(e.window(), (10 - RING as u64, 10));
        for seq in 0..12 {
            let kept = (10 - RING as u64..10).contains(&seq);
            assert_eq!(e.read(seq).map(|r| (r.seq, r.ns, r.mem)), kept.then(|| (seq, seq, 3 * seq + 1)), "seq {seq}");
        }
    }

    #[test]
    fn the_ring_holds_the_newest_records_whether_its_length_is_a_power_of_two_or_not() {
        ring_keeps_its_newest_records::<3>(true);
        ring_keeps_its_newest_records::<3>(false);
        ring_keeps_its_newest_records::<4>(true);
        ring_keeps_its_newest_records::<4>(false);
        ring_keeps_its_newest_records::<1>(true);
    }

    #[test]
    fn a_raised_pending_sends_the_owner_to_the_contended_path_too() {
        let e: Exclusive<4, FINE_BUCKETS> = Exclusive::new();
        let l = Layout::of(FINE_BUCKETS);
        assert!(e.try_record(&raw(5), l.index(5), true));
        e.pending.store(true, Ordering::Relaxed);
        assert!(!e.try_record(&raw(6), l.index(6), true));
        e.pending.store(false, Ordering::Relaxed);
        assert!(e.try_record(&raw(6), l.index(6), true));
    }
}
