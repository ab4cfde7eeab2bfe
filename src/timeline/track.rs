//! Which ring a thread writes, and which track an event goes on.
//!
//! A thread's events go on its own track (its ring's number, from 1),
//! unless they happen inside the poll of a timed async call: then on that
//! call's track. A timed async call takes its track at its first poll:
//! its parent's (the timed call being polled around it) when no other child
//! of that parent is open, a new one otherwise, and a new one when it has no
//! parent. Each poll pushes the call's frame on the thread's frame stack,
//! so that the scopes and calls inside it know whose track they are on.

use core::cell::Cell;
use core::sync::atomic::{AtomicU64, Ordering};

use super::ring::Pool;

/// Flags in an event's key.
pub(crate) const ASYNC: u64 = 1;
pub(crate) const CANCELLED: u64 = 2;
/// The call that opened its own track: the track is named after it.
pub(crate) const ROOT: u64 = 4;

/// The first number of an async call's own track; a thread's track is its
/// ring's number, from 1.
pub(crate) const FIRST_TASK_TRACK: u64 = 1 << 20;

static NEXT_TRACK: AtomicU64 = AtomicU64::new(FIRST_TASK_TRACK);
static NEXT_CALL: AtomicU64 = AtomicU64::new(1);

const NO_RING: usize = usize::MAX;
const NO_ROOM: usize = usize::MAX - 1;

/// A timed call being polled: its number, its track, and how many of its
/// children share its track and are open.
#[derive(Clone, Copy)]
struct Frame {
    call: u64,
    track: u64,
    open: u32,
}

impl Frame {
    const NONE: Self = Self { call: 0, track: 0, open: 0 };
}

/// Polls nested deeper than this are not tracked as frames: their scopes go
/// on the innermost tracked call's track.
const FRAMES: usize = 32;

struct Local {
    ring: Cell<usize>,
    frames: [Cell<Frame>; FRAMES],
    depth: Cell<usize>,
}

std::thread_local! {
    static LOCAL: Local = const {
        Local { ring: Cell::new(NO_RING), frames: [const { Cell::new(Frame::NONE) }; FRAMES], depth: Cell::new(0) }
    };
}

/// This thread's ring in `pool`, taken at its first event; `None` when the
/// pool has no ring left for it (the event is counted as dropped).
fn ring_of(local: &Local, pool: &Pool) -> Option<usize> {
    match local.ring.get() {
        NO_ROOM => {
            pool.count_dropped();
            None
        }
        NO_RING => {
            let r = pool.claim();
            local.ring.set(r.unwrap_or(NO_ROOM));
            if r.is_none() {
                pool.count_dropped();
            }
            r
        }
        r => Some(r),
    }
}

/// The innermost frame being polled on this thread.
fn top(local: &Local) -> Option<Frame> {
    let d = local.depth.get();
    (d > 0).then(|| local.frames[(d - 1).min(FRAMES - 1)].get())
}

/// Writes a scope's span (`start` a `FastClock` reading, `dur` in ns) on
/// the current track: the innermost polled call's, or the thread's.
#[inline]
pub(crate) fn scope(pool: &Pool, start: u64, dur: u64, key: u64) {
    let _ = LOCAL.try_with(|local| {
        let Some(ring) = ring_of(local, pool) else { return };
        let track = top(local).map_or(ring as u64 + 1, |f| f.track);
        pool.ring(ring).push(start, dur, key, track, None);
    });
}

/// An async call's place on the timeline, kept in its future.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CallTrack {
    /// Its number (0: not yet polled with the timeline on).
    call: u64,
    track: u64,
    /// The call whose track it shares (0: its own track).
    parent: u64,
    /// Its children open on its track, between polls.
    open: u32,
}

impl CallTrack {
    /// Not on the timeline.
    pub(crate) const NEW: Self = Self { call: 0, track: 0, parent: 0, open: 0 };

    /// At the first poll: the parent's track when the parent is being
    /// polled around it and has no other child open on it, a new track
    /// otherwise.
    pub(crate) fn start(&mut self) {
        self.call = NEXT_CALL.fetch_add(1, Ordering::Relaxed);
        let _ = LOCAL.try_with(|local| {
            let d = local.depth.get();
            match top(local) {
                Some(mut parent) if parent.open == 0 && d <= FRAMES => {
                    parent.open = 1;
                    local.frames[d - 1].set(parent);
                    self.track = parent.track;
                    self.parent = parent.call;
                }
                _ => {
                    self.track = NEXT_TRACK.fetch_add(1, Ordering::Relaxed);
                    self.parent = 0;
                }
            }
        });
    }

    /// Whether it has its place (its first poll ran with the timeline on).
    pub(crate) fn started(&self) -> bool {
        self.call != 0
    }

    /// Around each poll: its frame on the thread's stack.
    pub(crate) fn enter(&self) {
        let _ = LOCAL.try_with(|local| {
            let d = local.depth.get();
            if d < FRAMES {
                local.frames[d].set(Frame { call: self.call, track: self.track, open: self.open });
            }
            local.depth.set(d + 1);
        });
    }

    /// After each poll: its frame off the stack, its open children kept.
    pub(crate) fn leave(&mut self) {
        let _ = LOCAL.try_with(|local| {
            let d = local.depth.get();
            if d == 0 {
                return;
            }
            if d <= FRAMES {
                let f = local.frames[d - 1].get();
                if f.call == self.call {
                    self.open = f.open;
                }
            }
            local.depth.set(d - 1);
        });
    }

    /// At its end (completed or dropped): writes its span on its track and
    /// frees its parent's track for the next child.
    pub(crate) fn end(&self, pool: &Pool, start: u64, dur: u64, key: u64, busy: u64, cancelled: bool) {
        let _ = LOCAL.try_with(|local| {
            if self.parent != 0 {
                let d = local.depth.get();
                if (1..=FRAMES).contains(&d) {
                    let mut f = local.frames[d - 1].get();
                    if f.call == self.parent {
                        f.open = f.open.saturating_sub(1);
                        local.frames[d - 1].set(f);
                    }
                }
            }
            let Some(ring) = ring_of(local, pool) else { return };
            let mut flags = ASYNC;
            if cancelled {
                flags |= CANCELLED;
            }
            if self.parent == 0 {
                flags |= ROOT;
            }
            pool.ring(ring).push(start, dur, key | flags, self.track, Some(busy));
        });
    }
}

/// An event's key: the tracker's path-table number, the operation's slot.
#[inline]
pub(crate) fn key(paths_id: u64, slot: usize) -> u64 {
    (paths_id & 0xffff_ffff) << 32 | ((slot as u64) & 0xffff) << 16
}
