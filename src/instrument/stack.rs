//! The per-thread stack of open scopes, through which a `ScopeGuard` (and a
//! `Timer` when it records) finds its parent without being handed one.
//!
//! One stack per thread serves every tracker: a frame names its tracker's
//! path table by a number never reused (`PathTable::id`), so a frame left
//! behind by a forgotten guard never parents the scopes of a later tracker
//! at the same address; a scope's parent is the innermost open frame of the
//! same tracker. The stack has room for [`MAX_DEPTH`] frames; scopes opened past
//! that are counted (`overflow`) and record untracked.
//!
//! # Out-of-order drops
//!
//! Each frame carries a token, and its guard remembers the token. A guard
//! that closes while frames of its task above it are still open (it was
//! moved out of its scope) closes them as well: those guards, the *orphans*,
//! find their frame gone when they close, and record untracked. A guard
//! whose frame is gone never touches the stack, so nothing is popped twice
//! and the tree is never wrong, only shorter. `ScopeGuard` is not `Send`, so
//! a guard always closes on the thread whose stack holds its frame. What the
//! stack cannot see by itself is a task boundary (a guard held across
//! `.await` while another task runs on the same thread), so a `Timed` future
//! draws one: each of its polls marks the frames opened in it with the
//! future's own task number ([`enter_task`]), a scope's parent must carry the
//! same number, and closing a frame leaves other tasks' frames above it open
//! (docs/DESIGN.md, "Call paths").

use core::cell::Cell;

use crate::paths::{CallPath, MAX_DEPTH};

#[derive(Clone, Copy)]
struct Frame {
    /// `PathTable::id` of the frame's tracker.
    table: u64,
    /// `None`: an untracked scope (its children are untracked too).
    path: Option<CallPath>,
    token: u64,
    /// Nanoseconds of tracked children closed so far.
    children_ns: u64,
    /// The task the frame was opened in (0: no `Timed` future around it).
    task: u64,
    /// The last scope opened under this frame: its operation's index + 1
    /// (0: none yet) and the path it claimed (see [`Cached`]).
    child: Cached,
}

/// A path claimed before, kept so that the next scope of the same
/// operation in the same place skips the claim's hash and probe. A path's
/// entry never changes once claimed, so a kept path stays right for good:
/// the parent's path (or the root of table `table`) and the operation name
/// the key the claim would find again.
#[derive(Clone, Copy)]
struct Cached {
    /// The operation's index + 1; 0 when nothing is kept.
    op: usize,
    path: Option<CallPath>,
}

const NOTHING: Cached = Cached { op: 0, path: None };

const EMPTY: Frame = Frame { table: 0, path: None, token: 0, children_ns: 0, task: 0, child: NOTHING };

/// One thread's scope stack. Each field is a `Cell`, where a `RefCell`
/// around the whole stack would set and reset its borrow flag on every open
/// and close, a read-modify-write chained from one call to the next, to
/// guard against something that cannot happen here: no reference into the
/// stack outlives a statement, and the only code that runs in the middle of
/// an update, the path claim of `claim_under`, never touches the stack.
struct Stack {
    frames: [Cell<Frame>; MAX_DEPTH],
    len: Cell<usize>,
    /// Scopes open past the top: untracked, closed by count.
    overflow: Cell<usize>,
    next_token: Cell<u64>,
    /// The task being polled on this thread now (0: none).
    task: Cell<u64>,
    /// The last root scope opened on this thread, and its tracker's table.
    root: Cell<Cached>,
    root_table: Cell<u64>,
}

impl Stack {
    /// The frame at position `i` (below `MAX_DEPTH`).
    #[inline]
    fn at(&self, i: usize) -> Frame {
        self.frames[i].get()
    }

    /// Changes the frame at position `i` (below `MAX_DEPTH`).
    #[inline]
    fn update(&self, i: usize, change: impl FnOnce(&mut Frame)) {
        let mut frame = self.frames[i].get();
        change(&mut frame);
        self.frames[i].set(frame);
    }

    /// Adds `ns` to the children's time of the frame at position `i`.
    #[inline]
    fn add_child_time(&self, i: usize, ns: u64) {
        self.update(i, |f| f.children_ns = f.children_ns.saturating_add(ns));
    }

    /// The innermost open frame of `table` in task `task`, below position
    /// `below`.
    #[inline]
    fn parent(&self, table: u64, task: u64, below: usize) -> Option<usize> {
        (0..below.min(self.len.get())).rev().find(|&i| self.at(i).table == table && self.at(i).task == task)
    }

    /// Where the open frame holding `token` stands, if it is still open:
    /// where it was pushed (`at`), as a rule, or found by its token: an
    /// orphan's frame is gone (an outer guard of its task closed first), and
    /// frames of other tasks may have taken its old position.
    #[inline]
    fn find(&self, token: u64, at: usize) -> Option<usize> {
        let len = self.len.get();
        if at < len && self.at(at).token == token {
            return Some(at);
        }
        (0..len).rev().find(|&i| self.at(i).token == token)
    }

    /// Pushes a frame of the tracker `table` in task `task` on the path
    /// `path` (`children_ns` already gathered), below `MAX_DEPTH` (the
    /// caller checked). Returns its place.
    #[inline]
    fn push(&self, table: u64, path: Option<CallPath>, children_ns: u64, task: u64) -> Place {
        let token = self.next_token.get();
        self.next_token.set((token + 1) & TOKEN_MASK);
        let at = self.len.get();
        self.frames[at].set(Frame { table, path, token, children_ns, task, child: NOTHING });
        self.len.set(at + 1);
        Place::frame(token, at)
    }

    /// Whether a frame opened now would stand past the top (the stack is
    /// full, or scopes past it are still open); if so, counts one more
    /// scope past it.
    #[inline]
    fn overflows(&self) -> bool {
        let over = self.len.get() == MAX_DEPTH || self.overflow.get() > 0;
        if over {
            self.overflow.set(self.overflow.get() + 1);
        }
        over
    }

    /// Opens a frame of operation `op` of the tracker `table`, in the task
    /// being polled now, on its path under its parent (see
    /// [`claim_under`](Self::claim_under)); past the top, an overflow.
    #[inline]
    fn open(&self, table: u64, op: usize, claim: impl FnOnce(Option<CallPath>) -> Option<CallPath>) -> Place {
        if self.overflows() {
            return Place::OVERFLOW;
        }
        let (_, path) = self.claim_under(table, op, claim);
        self.push(table, path, 0, self.task.get())
    }

    /// Takes back one overflowed scope.
    #[inline]
    fn close_overflow(&self) {
        self.overflow.set(self.overflow.get().saturating_sub(1));
    }

    /// Closes the frame at `pos`, and the frames above it of the same task
    /// (its own inner scopes, orphans from now on); frames of other tasks
    /// that were opened above it while its task was suspended stay open.
    /// Returns the closed frame.
    #[inline]
    fn close_at(&self, pos: usize) -> Frame {
        let frame = self.at(pos);
        let len = self.len.get();
        if pos + 1 == len {
            // The top frame, as a rule: nothing above it to close or keep.
            self.len.set(pos);
            return frame;
        }
        let mut kept = pos;
        for i in pos + 1..len {
            let above = self.at(i);
            if above.task != frame.task {
                self.frames[kept].set(above);
                kept += 1;
            }
        }
        self.len.set(kept);
        frame
    }

    /// The innermost open frame of `table`, and the path of operation `op`
    /// under it (under the root when there is none; `None` when that parent
    /// is itself untracked, or the claim fails): the path kept there for
    /// `op` (see [`Cached`]), or the one `claim` names, then kept.
    #[inline]
    fn claim_under(
        &self,
        table: u64,
        op: usize,
        claim: impl FnOnce(Option<CallPath>) -> Option<CallPath>,
    ) -> (Option<usize>, Option<CallPath>) {
        let key = op.wrapping_add(1);
        match self.parent(table, self.task.get(), self.len.get()) {
            Some(p) => {
                let parent = self.at(p);
                let path = match parent.path {
                    None => None,
                    Some(_) if parent.child.op == key => parent.child.path,
                    Some(parent_path) => {
                        let path = claim(Some(parent_path));
                        if path.is_some() {
                            self.update(p, |f| f.child = Cached { op: key, path });
                        }
                        path
                    }
                };
                (Some(p), path)
            }
            None if self.root_table.get() == table && self.root.get().op == key => (None, self.root.get().path),
            None => {
                let path = claim(None);
                if path.is_some() {
                    self.root.set(Cached { op: key, path });
                    self.root_table.set(table);
                }
                (None, path)
            }
        }
    }
}

std::thread_local! {
    static STACK: Stack = const {
        Stack {
            frames: [const { Cell::new(EMPTY) }; MAX_DEPTH],
            len: Cell::new(0),
            overflow: Cell::new(0),
            next_token: Cell::new(0),
            task: Cell::new(0),
            root: Cell::new(NOTHING),
            root_table: Cell::new(0),
        }
    };
}

/// Where an open scope stands on its thread's stack, in one word (a guard
/// carries it, so it is kept small): the frame's token and the position it
/// was pushed at, or one of two marks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Place(u64);

/// The bits of a [`Place`] that hold the position (`MAX_DEPTH` fits).
const AT_BITS: u32 = 8;
const _: () = assert!(MAX_DEPTH < 1 << AT_BITS);
/// Tokens count modulo 2^56, so that a frame's place never reads as one of
/// the two marks (the count does not wrap in practice).
const TOKEN_MASK: u64 = u64::MAX >> AT_BITS;

/// What a [`Place`] says.
enum Spot {
    /// The frame that holds `token`, if it is still open, pushed at
    /// position `at` (where it stays unless frames below it close first).
    Frame { token: u64, at: usize },
    /// Opened past the top of the stack: counted in `overflow`.
    Overflow,
    /// No frame: the stack was out of reach (`try_with` failed), or an
    /// async call's frame is closed between its polls. Nothing on the stack
    /// to undo.
    Detached,
}

impl Place {
    /// Opened past the top of the stack (see [`Spot::Overflow`]).
    pub(crate) const OVERFLOW: Self = Self(u64::MAX);
    /// Nothing on the stack (see [`Spot::Detached`]).
    pub(crate) const DETACHED: Self = Self(u64::MAX - 1);

    /// The frame holding `token` (below 2^56), pushed at `at`.
    #[inline]
    fn frame(token: u64, at: usize) -> Self {
        Self(token << AT_BITS | at as u64)
    }

    #[inline]
    fn spot(self) -> Spot {
        match self {
            Self::OVERFLOW => Spot::Overflow,
            Self::DETACHED => Spot::Detached,
            Self(word) => Spot::Frame { token: word >> AT_BITS, at: (word & ((1 << AT_BITS) - 1)) as usize },
        }
    }
}

/// Opens a scope of operation `op` of the tracker `id` (its
/// `PathTable::id`): finds its parent, takes the path under it that the
/// last scope of `op` there claimed, or lets `claim` name it (under the
/// parent's path, or `None` at the root), and pushes the frame with that
/// path (`None`: untracked), which [`close`] gives back. Returns the frame's
/// place.
#[inline]
pub(crate) fn open(id: u64, op: usize, claim: impl FnOnce(Option<CallPath>) -> Option<CallPath>) -> Place {
    STACK.try_with(|s| s.open(id, op, claim)).unwrap_or(Place::DETACHED)
}

/// Closes the scope at `place`, `ns` long. Returns its path and its tracked
/// children's time if its frame was still there and tracked (the scope
/// records on that path), or `None` (untracked: an orphan, an overflow, or
/// an untracked frame).
#[inline]
pub(crate) fn close(place: Place, ns: u64) -> Option<(CallPath, u64)> {
    STACK
        .try_with(|s| {
            let (token, at) = match place.spot() {
                Spot::Frame { token, at } => (token, at),
                Spot::Overflow => {
                    s.close_overflow();
                    return None;
                }
                Spot::Detached => return None,
            };
            let Some(pos) = s.find(token, at) else {
                return None; // an orphan
            };
            let frame = s.close_at(pos);
            let path = frame.path?;
            // The frame's own task, not the one being polled now: a guard
            // dropped with its future (a cancelled call) closes outside any
            // poll of its task.
            if let Some(p) = s.parent(frame.table, frame.task, pos) {
                s.add_child_time(p, ns);
            }
            Some((path, frame.children_ns))
        })
        .ok()
        .flatten()
}

/// A leaf of operation `op` under the innermost open scope of the tracker
/// `id` (a `Timer`'s record): its path there (kept, or named by `claim`),
/// with `ns` added to the parent's children when the path is tracked.
pub(crate) fn leaf(
    id: u64,
    op: usize,
    ns: u64,
    claim: impl FnOnce(Option<CallPath>) -> Option<CallPath>,
) -> Option<CallPath> {
    STACK
        .try_with(|s| {
            if s.overflow.get() > 0 {
                return None;
            }
            let (parent, path) = s.claim_under(id, op, claim);
            if let (Some(p), Some(_)) = (parent, path) {
                s.add_child_time(p, ns);
            }
            path
        })
        .ok()
        .flatten()
}

/// Where an async call (a `Timed` future) stands in the call tree, decided
/// at its first poll and kept in the future between polls: its own path,
/// and the frame it nests under.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct AsyncPlace {
    /// Its path (`None`: untracked).
    pub(crate) path: Option<CallPath>,
    /// The task that polled it first, whose frame is its parent.
    parent_task: u64,
    /// That frame's path (`None` at the root).
    parent: Option<CallPath>,
}

impl AsyncPlace {
    /// Not placed yet, or untracked.
    pub(crate) const NONE: Self = Self { path: None, parent_task: 0, parent: None };
}

/// Places an async call of operation `op` in the tree at its first poll:
/// under the innermost open frame of the tracker `id` in the task being
/// polled now (the caller enters its own task after this), with its path
/// there (kept, or named by `claim`).
pub(crate) fn place_async(id: u64, op: usize, claim: impl FnOnce(Option<CallPath>) -> Option<CallPath>) -> AsyncPlace {
    STACK
        .try_with(|s| {
            if s.overflow.get() > 0 {
                return AsyncPlace::default();
            }
            let (parent, path) = s.claim_under(id, op, claim);
            AsyncPlace { path, parent_task: s.task.get(), parent: parent.and_then(|p| s.at(p).path) }
        })
        .unwrap_or_default()
}

/// Opens an async call's frame for one poll, in its own task `task` (the
/// caller entered it), carrying the children's time gathered in its earlier
/// polls; [`suspend`] closes it when the poll returns. A frame that an
/// earlier poll kept open (`kept`, see [`suspend`]) is used again.
pub(crate) fn resume(id: u64, path: Option<CallPath>, task: u64, children_ns: u64, kept: Place) -> Place {
    STACK
        .try_with(|s| {
            if let Spot::Frame { token, at } = kept.spot()
                && s.find(token, at).is_some()
            {
                return kept;
            }
            if s.overflows() {
                return Place::OVERFLOW;
            }
            s.push(id, path, children_ns, task)
        })
        .unwrap_or(Place::DETACHED)
}

/// When a poll of an async call returns: closes the frame [`resume`] gave
/// it and returns its children's time, adding nothing to a parent (the call
/// has not ended). But while its body holds scopes open across the
/// `.await` (frames of its task above it), the frame stays open under them
/// and is returned as kept, so that they keep their parent and the next
/// poll reuses it. Either way, frames of other tasks are untouched.
pub(crate) fn suspend(place: Place) -> (Place, Option<u64>) {
    STACK
        .try_with(|s| {
            let (token, at) = match place.spot() {
                Spot::Frame { token, at } => (token, at),
                Spot::Overflow => {
                    s.close_overflow();
                    return (Place::DETACHED, None);
                }
                Spot::Detached => return (Place::DETACHED, None),
            };
            let Some(pos) = s.find(token, at) else {
                return (Place::DETACHED, None);
            };
            let task = s.at(pos).task;
            if (pos + 1..s.len.get()).any(|i| s.at(i).task == task) {
                return (place, None);
            }
            // No frame of its task above it: this closes its frame alone.
            (Place::DETACHED, Some(s.close_at(pos).children_ns))
        })
        .unwrap_or((Place::DETACHED, None))
}

/// Closes a frame that [`suspend`] kept, when its call ends (dropped while
/// its body's scopes were open): returns its children's time, and leaves
/// those scopes' frames closed too (they record untracked, as orphans do).
/// `None` when there is no such frame on this thread.
pub(crate) fn close_kept(place: Place) -> Option<u64> {
    let Spot::Frame { token, at } = place.spot() else { return None };
    STACK
        .try_with(|s| {
            let pos = s.find(token, at)?;
            Some(s.close_at(pos).children_ns)
        })
        .ok()
        .flatten()
}

/// An async call placed at `at` has ended, `ns` long: adds its time to its
/// parent's frame when that frame is open on this thread now (an awaited
/// call ends inside its parent's poll). Returns whether it did; when it did
/// not (the parent ended first, or the call moved to another thread), the
/// caller records the call untracked, so no parent's self time is wrong.
pub(crate) fn end_async(id: u64, at: &AsyncPlace, ns: u64) -> bool {
    let Some(parent) = at.parent else { return true };
    STACK
        .try_with(|s| match s.parent(id, at.parent_task, s.len.get()) {
            Some(p) if s.at(p).path == Some(parent) => {
                s.add_child_time(p, ns);
                true
            }
            _ => false,
        })
        .unwrap_or(false)
}

/// While it lives, this thread polls task `task`: scopes opened now carry
/// it, and find parents only among its frames. Dropping it (also while a
/// panic unwinds out of the poll) restores the task that was being polled
/// before, so polls can nest (a `Timed` future inside another).
pub(crate) struct TaskScope {
    previous: u64,
}

/// Enters task `task` on this thread; see [`TaskScope`].
pub(crate) fn enter_task(task: u64) -> TaskScope {
    let previous = STACK.try_with(|s| s.task.replace(task)).unwrap_or(task);
    TaskScope { previous }
}

impl Drop for TaskScope {
    fn drop(&mut self) {
        let _ = STACK.try_with(|s| s.task.set(self.previous));
    }
}

/// Open frames and overflowed scopes on this thread (tests: a balanced
/// stack is back at `(0, 0)`).
#[cfg(test)]
pub(crate) fn depth() -> (usize, usize) {
    STACK.with(|s| (s.len.get(), s.overflow.get()))
}

#[cfg(test)]
mod tests {
    use super::{MAX_DEPTH, depth};
    use crate::histogram::buckets::COARSE_BUCKETS;
    use crate::tracker::Tracker;

    /// A small boxed tracker: the stack does not depend on the tracker's
    /// size, and miri checks every byte of a boxed one.
    type Small = Tracker<4, 4, 1, COARSE_BUCKETS>;

    #[test]
    fn the_stack_is_empty_after_a_panic_unwinds_through_open_guards() {
        let t = Small::boxed();
        let r = std::panic::catch_unwind(core::panic::AssertUnwindSafe(|| {
            let _a = t.time("a").unwrap();
            let _b = t.time("b").unwrap();
            assert_eq!(depth(), (2, 0));
            panic!("unwind");
        }));
        assert!(r.is_err());
        assert_eq!(depth(), (0, 0));
    }

    #[test]
    fn overflowed_guards_close_by_count_and_leave_the_stack_empty() {
        let t = Small::boxed();
        let guards: std::vec::Vec<_> = (0..MAX_DEPTH + 3).map(|_| t.time("x").unwrap()).collect();
        assert_eq!(depth(), (MAX_DEPTH, 3));
        drop(guards); // front to back: out of order, the outermost first
        assert_eq!(depth(), (0, 0));
    }

    #[test]
    fn an_outer_guard_closing_first_pops_the_inner_frames_once() {
        let t = Small::boxed();
        let outer = t.time("outer").unwrap();
        let inner = t.time("inner").unwrap();
        drop(outer);
        assert_eq!(depth(), (0, 0));
        let next = t.time("next").unwrap();
        drop(inner); // its frame is gone: it must not pop `next`'s
        assert_eq!(depth(), (1, 0));
        drop(next);
        assert_eq!(depth(), (0, 0));
    }
}
