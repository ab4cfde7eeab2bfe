//! The pool of rings: one per recording thread, each written by its thread
//! alone and read by `write_trace` while it writes, through a sequence
//! number per event (a seqlock: odd while the event is written).

use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering, fence};
use std::boxed::Box;

/// One event's words: the sequence number, then the fields.
struct Slot {
    /// `2·n + 1` while event `n` of the ring is written, `2·n + 2` once it
    /// is whole.
    seq: AtomicU64,
    /// The `FastClock` reading at its start.
    start: AtomicU64,
    /// Its length in nanoseconds.
    dur: AtomicU64,
    /// `paths id << 32 | slot << 16 | flags`.
    key: AtomicU64,
    /// Its track.
    track: AtomicU64,
    /// An async call's busy time in nanoseconds (`u64::MAX`: none).
    busy: AtomicU64,
}

impl Slot {
    fn new() -> Self {
        let z = || AtomicU64::new(0);
        Self { seq: z(), start: z(), dur: z(), key: z(), track: z(), busy: z() }
    }
}

/// An event as read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Event {
    pub(crate) start: u64,
    pub(crate) dur: u64,
    pub(crate) key: u64,
    pub(crate) track: u64,
    pub(crate) busy: Option<u64>,
}

/// The bytes of a thread's name the ring keeps.
const NAME: usize = 32;

/// One thread's ring.
pub(crate) struct Ring {
    slots: Box<[Slot]>,
    /// Events written so far (the next one's number).
    head: AtomicU64,
    /// The thread's name, up to 32 bytes, and its length.
    name: [AtomicU64; NAME / 8],
    name_len: AtomicUsize,
}

impl Ring {
    fn new(events: usize) -> Self {
        Self {
            slots: (0..events).map(|_| Slot::new()).collect(),
            head: AtomicU64::new(0),
            name: [const { AtomicU64::new(0) }; NAME / 8],
            name_len: AtomicUsize::new(0),
        }
    }

    /// Appends an event: only the ring's own thread calls this.
    #[inline]
    pub(crate) fn push(&self, start: u64, dur: u64, key: u64, track: u64, busy: Option<u64>) {
        let n = self.head.load(Ordering::Relaxed);
        // The capacity is a power of two: a mask, not a division.
        let Some(slot) = self.slots.get((n & (self.slots.len() as u64 - 1)) as usize) else { return };
        slot.seq.store(2 * n + 1, Ordering::Relaxed);
        // Release: a reader that sees any field below sees the odd number
        // first, and retries or skips.
        fence(Ordering::Release);
        slot.start.store(start, Ordering::Relaxed);
        slot.dur.store(dur, Ordering::Relaxed);
        slot.key.store(key, Ordering::Relaxed);
        slot.track.store(track, Ordering::Relaxed);
        slot.busy.store(busy.unwrap_or(u64::MAX), Ordering::Relaxed);
        // Release: the fields before the even number, and the event before
        // the head that counts it.
        slot.seq.store(2 * n + 2, Ordering::Release);
        self.head.store(n + 1, Ordering::Release);
    }

    /// Every whole event still in the ring, oldest first; one overwritten
    /// while it was read is left out.
    pub(crate) fn events(&self) -> impl Iterator<Item = Event> + '_ {
        let head = self.head.load(Ordering::Acquire);
        let cap = self.slots.len() as u64;
        (head.saturating_sub(cap)..head).filter_map(move |n| {
            let slot = self.slots.get((n & (cap - 1)) as usize)?;
            let before = slot.seq.load(Ordering::Acquire);
            let event = Event {
                start: slot.start.load(Ordering::Relaxed),
                dur: slot.dur.load(Ordering::Relaxed),
                key: slot.key.load(Ordering::Relaxed),
                track: slot.track.load(Ordering::Relaxed),
                busy: Some(slot.busy.load(Ordering::Relaxed)).filter(|&b| b != u64::MAX),
            };
            // Acquire: the fields read above before the second reading.
            fence(Ordering::Acquire);
            (before == 2 * n + 2 && slot.seq.load(Ordering::Relaxed) == before).then_some(event)
        })
    }

    /// Keeps the thread's name (cut to 32 bytes at a character boundary).
    fn set_name(&self, name: &str) {
        let mut end = name.len().min(NAME);
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        let mut bytes = [0u8; NAME];
        bytes[..end].copy_from_slice(&name.as_bytes()[..end]);
        for (word, chunk) in self.name.iter().zip(bytes.chunks_exact(8)) {
            let mut w = [0u8; 8];
            w.copy_from_slice(chunk);
            word.store(u64::from_le_bytes(w), Ordering::Relaxed);
        }
        self.name_len.store(end, Ordering::Release);
    }

    /// The thread's name, as kept.
    pub(crate) fn name(&self) -> std::string::String {
        let len = self.name_len.load(Ordering::Acquire).min(NAME);
        let bytes: std::vec::Vec<u8> = self.name.iter().flat_map(|w| w.load(Ordering::Relaxed).to_le_bytes()).collect();
        std::string::String::from_utf8_lossy(&bytes[..len]).into_owned()
    }
}

/// The rings, the next free one, and what was lost.
pub(crate) struct Pool {
    rings: Box<[Ring]>,
    next: AtomicUsize,
    dropped: AtomicU64,
    /// The `FastClock` reading when it was enabled: the trace's time zero.
    pub(crate) epoch: u64,
}

impl Pool {
    /// `threads` rings of `events` events, rounded up to a power of two.
    pub(crate) fn new(threads: usize, events: usize, epoch: u64) -> Self {
        let events = events.max(1).checked_next_power_of_two().unwrap_or(1 << 30).min(1 << 30);
        Self {
            rings: (0..threads).map(|_| Ring::new(events)).collect(),
            next: AtomicUsize::new(0),
            dropped: AtomicU64::new(0),
            epoch,
        }
    }

    /// Takes the next ring for the calling thread, named after it; `None`
    /// once every ring is taken.
    pub(crate) fn claim(&self) -> Option<usize> {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        let ring = self.rings.get(i)?;
        let thread = std::thread::current();
        match thread.name() {
            Some(name) => ring.set_name(name),
            None => ring.set_name(&std::format!("thread {}", i + 1)),
        }
        Some(i)
    }

    pub(crate) fn ring(&self, i: usize) -> &Ring {
        &self.rings[i.min(self.rings.len() - 1)]
    }

    /// The rings taken so far, with their indices.
    pub(crate) fn taken(&self) -> impl Iterator<Item = (usize, &Ring)> {
        let n = self.next.load(Ordering::Acquire).min(self.rings.len());
        self.rings[..n].iter().enumerate()
    }

    /// One event of a thread that has no ring.
    pub(crate) fn count_dropped(&self) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn stats(&self) -> super::TimelineStats {
        let (mut written, mut overwritten) = (0, 0);
        for (_, r) in self.taken() {
            let head = r.head.load(Ordering::Acquire);
            written += head;
            overwritten += head.saturating_sub(r.slots.len() as u64);
        }
        super::TimelineStats {
            written,
            overwritten,
            dropped: self.dropped.load(Ordering::Relaxed),
            threads: self.taken().count(),
            bytes: self.rings.len() * self.rings.first().map_or(0, |r| r.slots.len()) * core::mem::size_of::<Slot>(),
        }
    }
}
