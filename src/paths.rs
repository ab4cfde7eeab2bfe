//! The call-path table: one entry per distinct nesting path
//! (`request;parse;tokenize`), each with its count, total time and self time.
//!
//! # Layout
//!
//! A tracker of `OPS` operations holds [`PATHS_PER_OP`]` × OPS` entries, so
//! the capacity grows with the tracker and needs no type parameter of its own.
//! An entry is named by one 64-bit key: its parent's index + 1 (0 for a root)
//! in the high half, its operation's index + 1 in the low half. So a key is
//! never 0, and 0 marks a free entry.
//!
//! # One entry per path
//!
//! A path is looked up by open addressing: probing starts at a hash of the key
//! and walks the table in order, the same order for the same key. An entry's
//! key is set once, by a CAS from 0, and never changes. A claimant passes an
//! entry only after seeing it hold another key, so two threads claiming one
//! path meet at the first free entry of its probe order: one CAS wins, the
//! other fails, sees the same key there and takes that entry. (The registry's
//! one-slot-per-name argument, with the probe order in place of slot order;
//! loom model e checks it.)
//!
//! # Counts
//!
//! A path's count, total and children's time are kept once per shard, in
//! cells that only the shard's owner writes (the thread holding that owner
//! token, `platform/owner.rs`), and once more in shared cells for every other
//! writer. The owner adds with a plain load and store, no RMW, since no
//! other thread writes its cells: a token's holders follow one another in
//! time (a `Release` give-back, an `Acquire` take), so the next holder's
//! load sees the last holder's store, just as the shards' owner path
//! inherits a shard. Threads past the shard count, records made once a
//! thread's thread-locals are gone, and every `no_std` record add to the
//! shared cells with `Relaxed` RMWs. A reader sums both. Each cell, and so
//! each sum, is at every moment a sum of whole records, exact once writers
//! are done (I1), but a reader may see a record's count before its time.
//! The flat records, which the paths sit beside, keep their own guarantees.
//! Like the flat owner's path, the owner's cells are not reentrant on their
//! own thread: a signal handler that records a path while its thread is
//! inside a path record of the same path may lose one of the two. Shared
//! sums saturate as the aggregates' do (`aggregate::add_saturating`); an
//! owner's saturate in place, and a sum that reaches `u64::MAX` reads as
//! saturated.
//!
//! Above it, in the std layer: each thread's stack of open frames
//! (`instrument/stack.rs`), which gives a guard its parent path.

use core::num::NonZeroU64;

use crate::platform::shard_of;
use crate::record::aggregate::add_saturating;
use crate::record::padded::CachePadded;
use crate::sync::{AtomicU8, AtomicU64, Ordering, array_of, const_fn};

/// Call-path entries per operation slot: a tracker of `OPS` operations tracks
/// up to `PATHS_PER_OP * OPS` distinct paths.
pub const PATHS_PER_OP: usize = 4;

/// The deepest path tracked: a path of more operations than this, like a
/// guard opened under this many open guards on its thread, is counted as
/// untracked (its flat record is kept).
pub const MAX_DEPTH: usize = 32;

const SAT_TOTAL: u8 = 1;
const SAT_CHILDREN: u8 = 2;
const SAT_IDLE: u8 = 4;

/// One path's key, and the sums of the writers that own no shard (the
/// owners' are in [`OwnedCells`]).
pub(crate) struct PathEntry {
    /// `(parent + 1) << 32 | (op + 1)`; 0 while free.
    key: AtomicU64,
    count: AtomicU64,
    total_ns: AtomicU64,
    /// The tracked children's share of `total_ns`; self time is the rest.
    /// Kept this way round because most records are leaves, with no
    /// children: they skip this RMW.
    children_ns: AtomicU64,
    /// The share of `total_ns` its records spent suspended, off the thread:
    /// an async call's awaits (a `Timed` future between its polls). Written
    /// only by those; a guard's scope is on its thread throughout.
    idle_ns: AtomicU64,
    saturated: AtomicU8,
}

impl PathEntry {
    const_fn! {
        const fn new() -> Self {
            Self {
                key: AtomicU64::new(0),
                count: AtomicU64::new(0),
                total_ns: AtomicU64::new(0),
                children_ns: AtomicU64::new(0),
                idle_ns: AtomicU64::new(0),
                saturated: AtomicU8::new(0),
            }
        }
    }

    #[inline]
    fn key(&self) -> u64 {
        // Acquire: pairs with the claiming CAS, so a walker that sees a child
        // also sees the parent key it names (claimed earlier).
        self.key.load(Ordering::Acquire)
    }

    /// The path's sums: these shared cells and the owners' `owned` ones.
    fn stats<'a>(&self, owned: impl Iterator<Item = &'a OwnedCells>) -> PathStats {
        let sat = self.saturated.load(Ordering::Relaxed);
        let read = |cell: &AtomicU64, bit: u8| if sat & bit != 0 { u64::MAX } else { cell.load(Ordering::Relaxed) };
        let mut count = self.count.load(Ordering::Relaxed);
        let mut total_ns = read(&self.total_ns, SAT_TOTAL);
        let mut children_ns = read(&self.children_ns, SAT_CHILDREN);
        for cells in owned {
            count = count.saturating_add(cells.count.load(Ordering::Relaxed));
            total_ns = total_ns.saturating_add(cells.total_ns.load(Ordering::Relaxed));
            children_ns = children_ns.saturating_add(cells.children_ns.load(Ordering::Relaxed));
        }
        // A saturated total has lost its exact value, and so has its self time.
        let self_ns = if total_ns == u64::MAX { u64::MAX } else { total_ns.saturating_sub(children_ns) };
        let idle_ns = read(&self.idle_ns, SAT_IDLE);
        // Busy self time before the children's idle time is added back (the walk does that).
        PathStats { count, total_ns, self_ns, busy_self_ns: self_ns.saturating_sub(idle_ns) }
    }

    fn idle(&self) -> u64 {
        if self.saturated.load(Ordering::Relaxed) & SAT_IDLE != 0 {
            u64::MAX
        } else {
            self.idle_ns.load(Ordering::Relaxed)
        }
    }
}

/// One shard owner's sums for one path: written by the holder of that
/// shard's owner token alone, with a plain load and store (see "Counts").
pub(crate) struct OwnedCells {
    count: AtomicU64,
    total_ns: AtomicU64,
    children_ns: AtomicU64,
}

impl OwnedCells {
    const_fn! {
        const fn new() -> Self {
            Self { count: AtomicU64::new(0), total_ns: AtomicU64::new(0), children_ns: AtomicU64::new(0) }
        }
    }

    /// Adds one record: the caller owns these cells, so no other thread
    /// writes them and a load and a store lose nothing. `Relaxed`: the
    /// token's hand-over orders one holder's stores before the next's loads.
    #[inline]
    fn add(&self, total_ns: u64, children_ns: u64) {
        let add =
            |cell: &AtomicU64, v: u64| cell.store(cell.load(Ordering::Relaxed).saturating_add(v), Ordering::Relaxed);
        add(&self.count, 1);
        add(&self.total_ns, total_ns);
        if children_ns > 0 {
            add(&self.children_ns, children_ns);
        }
    }
}

/// [`PATHS_PER_OP`] entries, and each shard owner's cells for them: the
/// table's unit of size, one per operation slot. Each owner's cells are
/// cache-padded, so two owners recording the same path write different
/// lines. Without `std` no thread owns a shard and the owner cells stay 0,
/// but they are there: a tracker's size is the same in every build, so that
/// a feature turned on elsewhere in a build never changes it (features only
/// add). At one shard, they cost a cache line per operation.
pub(crate) struct PathRow<const SHARDS: usize> {
    entries: [PathEntry; PATHS_PER_OP],
    owned: [CachePadded<[OwnedCells; PATHS_PER_OP]>; SHARDS],
}

impl<const SHARDS: usize> PathRow<SHARDS> {
    const_fn! {
        pub(crate) const fn new() -> Self {
            Self {
                entries: array_of![PathEntry::new(); PATHS_PER_OP],
                owned: array_of![CachePadded::new(array_of![OwnedCells::new(); PATHS_PER_OP]); SHARDS],
            }
        }
    }
}

/// A claimed path: its entry's index and its depth (1 for a root), in one
/// non-zero word (the index in the high half, the depth in the low byte),
/// so that an `Option<CallPath>` moves through the guard and the thread's
/// scope stack as one register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CallPath(NonZeroU64);

impl CallPath {
    /// The path at entry `index`, `depth` deep (at least 1).
    #[inline]
    fn new(index: u32, depth: u8) -> Option<Self> {
        NonZeroU64::new(u64::from(index) << 32 | u64::from(depth)).map(Self)
    }

    /// Its entry's index in the table.
    #[inline]
    fn index(self) -> usize {
        (self.0.get() >> 32) as usize
    }

    /// Its depth: 1 for a root.
    #[inline]
    fn depth(self) -> usize {
        (self.0.get() & 0xff) as usize
    }
}

/// What one path has gathered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct PathStats {
    /// Records that closed on this path.
    pub(crate) count: u64,
    /// Their summed durations, in nanoseconds.
    pub(crate) total_ns: u64,
    /// Their durations less the durations of their tracked children.
    pub(crate) self_ns: u64,
    /// Their time on a thread less their tracked children's: the self time
    /// less the time the path's records spent suspended (an async call's
    /// awaits), plus the time its children spent suspended (which the self
    /// time had taken out as the children's).
    pub(crate) busy_self_ns: u64,
}

/// The table, sized by the tracker (`T = [PathRow<SHARDS>; OPS]`) and
/// handed out unsized (`T = [PathRow<SHARDS>]`), so that the handles that
/// carry it need no capacity parameter.
pub(crate) struct PathTable<const SHARDS: usize, T: ?Sized = [PathRow<SHARDS>]> {
    /// Records that closed without a tracked path: the table was full, the
    /// path was too deep, or its guard was dropped out of order.
    untracked: AtomicU64,
    /// This table's identity in the std layer's per-thread stacks, given
    /// out at first use (0 until then); see [`PathTable::id`].
    id: AtomicU64,
    rows: T,
}

impl<const SHARDS: usize, const OPS: usize> PathTable<SHARDS, [PathRow<SHARDS>; OPS]> {
    const_fn! {
        pub(crate) const fn new() -> Self {
            Self { untracked: AtomicU64::new(0), id: AtomicU64::new(0), rows: array_of![PathRow::new(); OPS] }
        }
    }
}

/// A process-wide number, never 0 and never given out twice: what the std
/// layer's per-thread stacks tell path tables ([`PathTable::id`]) and tasks
/// (`instrument/stack.rs`, `enter_task`) apart by.
pub(crate) fn fresh_number() -> u64 {
    // The last number given out: a plain static, or loom's (whose atomics
    // cannot be built in a const).
    #[cfg(not(perftrack_loom))]
    static LAST: AtomicU64 = AtomicU64::new(0);
    #[cfg(perftrack_loom)]
    crate::sync::loom_lazy_static! {
        static ref LAST: AtomicU64 = AtomicU64::new(0);
    }
    // Relaxed: a name, not a message; the RMW alone makes it unique.
    LAST.fetch_add(1, Ordering::Relaxed) + 1
}

/// Where a key's probe starts: a multiplicative hash, so that a parent's
/// children spread over the table, scaled to `len` by a multiply and a shift
/// rather than a division (a division costs more than the rest of a claim).
fn home(key: u64, len: usize) -> usize {
    let h = key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
    // h < 2^32 and len ≤ 2^32 in any table that fits in memory, so the
    // product fits in a u64 and the result is below len.
    ((h * len as u64) >> 32) as usize
}

impl<const SHARDS: usize> PathTable<SHARDS> {
    /// Entries in the table.
    #[inline]
    fn len(&self) -> usize {
        self.rows.len() * PATHS_PER_OP
    }

    /// Entry `i`, in row `i / PATHS_PER_OP`.
    #[inline]
    fn entry(&self, i: usize) -> Option<&PathEntry> {
        self.rows.get(i / PATHS_PER_OP).map(|row| &row.entries[i % PATHS_PER_OP])
    }

    /// Every entry, in index order.
    fn entries(&self) -> impl Iterator<Item = &PathEntry> {
        self.rows.iter().flat_map(|row| row.entries.iter())
    }

    /// Entry `i`'s sums: its shared cells and every owner's.
    fn entry_stats(&self, i: usize) -> PathStats {
        let Some(row) = self.rows.get(i / PATHS_PER_OP) else { return PathStats::default() };
        let col = i % PATHS_PER_OP;
        row.entries[col].stats(row.owned.iter().map(|cells| &cells[col]))
    }

    /// The table's identity: trackers are told apart by it (the std layer's
    /// per-thread stack holds frames of several trackers). Not the table's
    /// address: a guard that was forgotten (`mem::forget`) leaves its frame
    /// on its thread's stack for good, and a new tracker at the old address
    /// would find that dead frame as its scopes' parent. So each table takes
    /// a [`fresh_number`] the first time it is asked.
    pub(crate) fn id(&self) -> u64 {
        // Relaxed: the number carries no data, and the CAS makes every
        // caller agree on one number per table.
        let id = self.id.load(Ordering::Relaxed);
        if id != 0 {
            return id;
        }
        let mine = fresh_number();
        match self.id.compare_exchange(0, mine, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => mine,
            Err(theirs) => theirs,
        }
    }

    /// Finds the path `parent;op`, claiming an entry if it is new. `None`
    /// when the table has no free entry left for it or the path would be
    /// deeper than [`MAX_DEPTH`]: the caller's record is then untracked.
    #[inline]
    pub(crate) fn claim(&self, parent: Option<CallPath>, op: usize) -> Option<CallPath> {
        let depth = parent.map_or(1, |p| p.depth() + 1);
        let len = self.len();
        if depth > MAX_DEPTH || len == 0 {
            return None;
        }
        let op = u32::try_from(op).ok()?.checked_add(1)?;
        let up = parent.map_or(0, |p| p.index() as u64 + 1);
        let key = up << 32 | u64::from(op);
        let found = |i: usize| {
            // i < len ≤ u32::MAX entries in any table that fits in memory.
            u32::try_from(i).ok().and_then(|index| CallPath::new(index, depth as u8))
        };
        let mut i = home(key, len);
        for _ in 0..len {
            let e = self.entry(i)?;
            match e.key() {
                k if k == key => return found(i),
                0 => match e.key.compare_exchange(0, key, Ordering::AcqRel, Ordering::Acquire) {
                    Ok(_) => return found(i),
                    Err(k) if k == key => return found(i),
                    Err(_) => {}
                },
                _ => {}
            }
            i += 1;
            if i == len {
                i = 0;
            }
        }
        None
    }

    /// Adds one closed record to `path`: `total_ns` long, `children_ns` of
    /// it in its tracked children (at most `total_ns`), by a thread whose
    /// hint (`platform/owner.rs`) is `hint`. On the thread's owned cells when
    /// it owns a shard (no RMW), on the shared ones otherwise (see "Counts").
    #[inline]
    pub(crate) fn record(&self, hint: usize, path: CallPath, total_ns: u64, children_ns: u64) {
        let index = path.index();
        let Some(row) = self.rows.get(index / PATHS_PER_OP) else { return };
        let col = index % PATHS_PER_OP;
        let children_ns = children_ns.min(total_ns);
        if let (shard, true) = shard_of(hint, SHARDS)
            && let Some(cells) = row.owned.get(shard)
        {
            cells[col].add(total_ns, children_ns);
            return;
        }
        let e = &row.entries[col];
        e.count.fetch_add(1, Ordering::Relaxed);
        add_saturating(&e.total_ns, total_ns, &e.saturated, SAT_TOTAL);
        if children_ns > 0 {
            add_saturating(&e.children_ns, children_ns, &e.saturated, SAT_CHILDREN);
        }
    }

    /// Adds `idle_ns` of `path`'s time spent suspended (an async call's
    /// awaits), after [`record`](Self::record) of the same call.
    pub(crate) fn record_idle(&self, path: CallPath, idle_ns: u64) {
        if idle_ns > 0
            && let Some(e) = self.entry(path.index())
        {
            add_saturating(&e.idle_ns, idle_ns, &e.saturated, SAT_IDLE);
        }
    }

    /// `stats` of entry `node` with its children's idle time given back to
    /// its busy self time.
    fn stats_at(&self, node: usize) -> PathStats {
        let Some(e) = self.entry(node) else { return PathStats::default() };
        let mut stats = self.entry_stats(node);
        let up = node as u64 + 1;
        let children_idle =
            self.entries().filter(|c| c.key() >> 32 == up).fold(0u64, |sum, c| sum.saturating_add(c.idle()));
        // Added before the own idle time is taken away: a parent that awaits
        // its child is suspended while the child is, so its idle time holds
        // the child's.
        stats.busy_self_ns = stats.self_ns.saturating_add(children_idle).saturating_sub(e.idle());
        stats
    }

    /// Counts one record that closed without a tracked path.
    pub(crate) fn note_untracked(&self) {
        self.untracked.fetch_add(1, Ordering::Relaxed);
    }

    /// Records that closed without a tracked path.
    pub(crate) fn untracked(&self) -> u64 {
        self.untracked.load(Ordering::Relaxed)
    }

    /// Whether any claimed path has a parent: a scope closed inside another.
    pub(crate) fn is_nested(&self) -> bool {
        self.entries().any(|e| e.key() >> 32 != 0)
    }

    /// Visits every path depth-first, each parent before its children, roots
    /// and siblings in table order. `visit` gets the operation indices from
    /// the root down to the path, and the path's sums. Allocation-free: the
    /// walk keeps its own stack of at most [`MAX_DEPTH`] entries.
    pub(crate) fn walk<E>(&self, mut visit: impl FnMut(&[usize], PathStats) -> Result<(), E>) -> Result<(), E> {
        let len = self.len();
        let key = |i: usize| self.entry(i).map_or(0, PathEntry::key);
        // (entry index, where its child scan resumes)
        let mut stack: heapless::Vec<(usize, usize), MAX_DEPTH> = heapless::Vec::new();
        let mut ops = [0usize; MAX_DEPTH];
        for root in 0..len {
            let root_key = key(root);
            if root_key == 0 || root_key >> 32 != 0 {
                continue;
            }
            ops[0] = op_of(root_key);
            visit(&ops[..1], self.stats_at(root))?;
            let _ = stack.push((root, 0));
            while let Some(top) = stack.last_mut() {
                let node = top.0;
                let child = (top.1..len).find(|&j| key(j) >> 32 == node as u64 + 1);
                let Some(j) = child else {
                    stack.pop();
                    continue;
                };
                top.1 = j + 1;
                let depth = stack.len();
                // A claim never goes deeper than MAX_DEPTH, so the push fits.
                if depth < MAX_DEPTH && stack.push((j, 0)).is_ok() {
                    ops[depth] = op_of(key(j));
                    visit(&ops[..=depth], self.stats_at(j))?;
                }
            }
        }
        Ok(())
    }
}

/// The operation index in a key.
fn op_of(key: u64) -> usize {
    // The low half is op + 1 ≥ 1, written from a usize.
    ((key & u64::from(u32::MAX)) as usize).saturating_sub(1)
}
