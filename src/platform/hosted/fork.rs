//! The fork barrier: no thread of the parent is inside a step that other
//! threads wait for when the process forks.
//!
//! Readers wait in three places (docs/DESIGN.md, "Fork and interrupts"):
//! the slot's reader lock while another reader snapshots, the hot/cold wait
//! for contended writers in flight, and a registrar's wait for another one
//! copying a new name in. In a forked child only the forking thread lives
//! on, so a step another parent thread was in the middle of would never end,
//! and every later reader of that operation would wait for ever. Neither
//! step can be finished or undone by someone else (a contended record has
//! added some of its sums and not others), so the fork must not fall in the
//! middle of one.
//!
//! Each such step is a *critical section*: [`enter`] counts the thread in,
//! on a stripe of its own, and [`leave`] counts it out. A `pthread_atfork`
//! handler, run in the forking thread before the fork, raises `FORKING`
//! and waits until every stripe is zero; a thread that enters while
//! `FORKING` is up counts itself out again and waits until the fork is done.
//! The enter is a Dekker handshake: the thread's count is a `SeqCst` RMW
//! followed by a `SeqCst` load of `FORKING`, and the handler's store of
//! `FORKING` is `SeqCst` followed by `SeqCst` loads of the stripes, so
//! either the thread sees `FORKING` or the handler sees its count.
//!
//! A thread's sections do not nest in the code, but a signal handler may
//! record in one while its thread is in another: a per-thread depth lets the
//! inner one through, so a handler never waits for a fork that waits for
//! its own thread. For the same reason `prepare` does not wait for the
//! forking thread's own count: a handler that forks while its thread is
//! inside a section (glibc's `fork` may be called from a handler, though
//! POSIX 2024 no longer lists it as async-signal-safe) would otherwise wait
//! for itself for ever, holding glibc's fork lock, so that every other
//! thread's fork would wait too. Its child is a copy of that thread, which
//! finishes the interrupted section once the handler returns, as the
//! parent's does.
//!
//! **What a fork waits for.** `prepare` waits until every *other* thread
//! that is inside a section has left it. A running thread leaves within one
//! step: one contended record, one operation's snapshot, or one name's copy
//! into a new slot, each a bounded loop with no I/O and no lock of anyone
//! else's. A thread that is *stopped* inside a section (by a debugger,
//! `SIGSTOP`, or a signal handler of its own that blocks) holds every fork
//! of the process until it runs again and leaves. That is the price of a
//! child that never hangs: the alternative, forking while a step is half
//! done, leaves the child a lock no thread will ever release.
//!
//! Without `std` there is no fork (`bare.rs`), and under loom and miri the
//! barrier is off (neither models `fork`): [`enter`] then costs nothing.

/// A thread inside a critical section, until [`leave`] counts it out. Not
/// a guard that drops: a `Drop` here would put unwinding paths into the
/// record functions around it, and the code between the two calls cannot
/// panic.
#[derive(Clone, Copy)]
pub(crate) struct Section {
    #[cfg(all(unix, not(miri)))]
    stripe: usize,
}

/// Counts the calling thread into a critical section, waiting first while a
/// fork is under way.
#[inline]
pub(super) fn enter() -> Section {
    imp::enter()
}

/// Counts the calling thread out of the section `enter` gave.
#[inline]
pub(super) fn leave(section: Section) {
    imp::leave(section);
}

/// How many sections the calling thread is inside (0 where the barrier is
/// off).
pub(super) fn depth() -> u32 {
    imp::depth()
}

#[cfg(not(all(unix, not(miri))))]
mod imp {
    use super::Section;

    #[inline]
    pub(super) fn enter() -> Section {
        Section {}
    }

    #[inline]
    pub(super) fn leave(_: Section) {}

    pub(super) fn depth() -> u32 {
        0
    }
}

#[cfg(all(unix, not(miri)))]
#[allow(unsafe_code)]
mod imp {
    use core::cell::Cell;
    use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Once;

    use super::Section;

    /// Stripes of the count of threads inside a section: a thread counts on
    /// its own (threads share one only past this many).
    const STRIPES: usize = 32;

    /// One stripe, on a cache line pair of its own (as `CachePadded`, which
    /// lives above this file).
    #[repr(align(128))]
    struct Stripe(AtomicUsize);

    impl core::ops::Deref for Stripe {
        type Target = AtomicUsize;
        fn deref(&self) -> &AtomicUsize {
            &self.0
        }
    }

    static ENTERED: [Stripe; STRIPES] = [const { Stripe(AtomicUsize::new(0)) }; STRIPES];
    static FORKING: AtomicBool = AtomicBool::new(false);
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    static REGISTER: Once = Once::new();

    std::thread_local! {
        /// This thread's stripe, chosen at its first section. No destructor,
        /// so it stays readable in other thread-locals' destructors.
        static STRIPE: Cell<usize> = const { Cell::new(usize::MAX) };
        /// How many sections this thread is inside (a signal handler's
        /// record inside its thread's snapshot is the second).
        static DEPTH: Cell<u32> = const { Cell::new(0) };
    }

    extern "C" fn prepare() {
        FORKING.store(true, Ordering::SeqCst);
        // The forking thread's own stripe, where it may be counted in (a
        // signal handler forking inside its thread's section): that one
        // count is not waited for. `enter` and `leave` change the depth
        // outside the count (before the add, after the subtraction), so a
        // handler that finds a depth may find its own count there or not,
        // and never one it does not hold.
        let own = match (DEPTH.try_with(Cell::get), STRIPE.try_with(Cell::get)) {
            (Ok(depth), Ok(stripe)) if depth > 0 => stripe,
            _ => usize::MAX,
        };
        for (i, stripe) in ENTERED.iter().enumerate() {
            let mine = usize::from(i == own);
            while stripe.load(Ordering::SeqCst) > mine {
                std::thread::yield_now();
            }
        }
    }

    extern "C" fn after() {
        FORKING.store(false, Ordering::Release);
    }

    fn register() {
        REGISTER.call_once(|| {
            // SAFETY: the three handlers are `extern "C"` functions with no
            // arguments, as `pthread_atfork` requires; they only touch
            // statics and the forking thread's own thread-locals, and
            // `prepare` waits only for other threads inside a section,
            // which never wait for a fork while inside one.
            // A failure (ENOMEM) leaves the barrier off: it is only reported.
            let rc = unsafe { libc::pthread_atfork(Some(prepare), Some(after), Some(after)) };
            if rc != 0 {
                std::eprintln!("perftrack: pthread_atfork failed ({rc}); a forked child may wait in a read");
            }
        });
    }

    // Out of line: the contended record path calls it, and inlined there it
    // would weigh on the owner's path beside it (measured: scripts/ab.sh).
    #[inline(never)]
    pub(super) fn enter() -> Section {
        let depth = DEPTH.with(Cell::get);
        let stripe = STRIPE.with(|s| {
            let mut v = s.get();
            if v == usize::MAX {
                v = NEXT.fetch_add(1, Ordering::Relaxed) % STRIPES;
                s.set(v);
            }
            v
        });
        DEPTH.with(|d| d.set(depth + 1));
        if depth > 0 {
            // Already counted in: a handler inside its own thread's section.
            return Section { stripe: usize::MAX };
        }
        if !REGISTER.is_completed() {
            register();
        }
        let count = &ENTERED[stripe];
        loop {
            // SeqCst, with the SeqCst load below: the Dekker handshake with
            // `prepare` (module docs).
            count.fetch_add(1, Ordering::SeqCst);
            if !FORKING.load(Ordering::SeqCst) {
                return Section { stripe };
            }
            count.fetch_sub(1, Ordering::Release);
            while FORKING.load(Ordering::Acquire) {
                std::thread::yield_now();
            }
        }
    }

    #[inline(never)]
    pub(super) fn leave(section: Section) {
        if let Some(count) = ENTERED.get(section.stripe) {
            // Release: the section's writes happen before the fork that
            // waited for this.
            count.fetch_sub(1, Ordering::Release);
        }
        // After the count: a handler that forks in between sees a depth
        // and no count of its own, which `prepare` allows for.
        DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }

    /// How many sections the calling thread is inside.
    pub(super) fn depth() -> u32 {
        DEPTH.try_with(Cell::get).unwrap_or(0)
    }
}
