//! The run: how long ago this process first recorded, and how many threads
//! have recorded, for the report's header line.
//!
//! With `std`, a thread's first record ([`thread_started`], from the owner
//! hint's cold path) counts the thread and, the first time, stamps the
//! start. Both are lock-free atomics, never a `OnceLock`: a child forked
//! while another thread was stamping must not wait for it. The start is
//! wall-clock time (`SystemTime`), since a monotonic `Instant` cannot live in
//! an atomic; a clock step between the first record and the report shows as
//! a wrong span, never as a panic. Without `std` there is no clock to read
//! (`bare.rs`), and the report leaves the line out; so does a miri run,
//! whose isolation has no wall clock.

use core::time::Duration;

#[cfg(not(miri))]
mod imp {
    use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
    use core::time::Duration;
    use std::time::{SystemTime, UNIX_EPOCH};

    /// Nanoseconds since the Unix epoch at the first record; 0 before it.
    static START_NS: AtomicU64 = AtomicU64::new(0);
    /// Threads that have recorded through the owner hint.
    static THREADS: AtomicUsize = AtomicUsize::new(0);

    fn now_ns() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX).max(1))
    }

    pub(crate) fn thread_started() {
        // Relaxed: two independent figures for a report; nothing is
        // published through them.
        THREADS.fetch_add(1, Ordering::Relaxed);
        if START_NS.load(Ordering::Relaxed) == 0 {
            let _ = START_NS.compare_exchange(0, now_ns(), Ordering::Relaxed, Ordering::Relaxed);
        }
    }

    pub(crate) fn so_far() -> Option<(Duration, usize)> {
        let start = START_NS.load(Ordering::Relaxed);
        (start != 0).then(|| (Duration::from_nanos(now_ns().saturating_sub(start)), THREADS.load(Ordering::Relaxed)))
    }
}

#[cfg(miri)]
mod imp {
    use core::time::Duration;

    pub(crate) fn thread_started() {}

    pub(crate) fn so_far() -> Option<(Duration, usize)> {
        None
    }
}

/// Counts a thread's first record, and stamps the run's start at the first.
#[inline]
pub(crate) fn thread_started() {
    imp::thread_started();
}

/// The wall time since this process first recorded and the number of
/// threads that have recorded; `None` before any record.
#[must_use]
pub(crate) fn so_far() -> Option<(Duration, usize)> {
    imp::so_far()
}

#[cfg(all(test, not(miri)))]
mod tests {
    use super::{so_far, thread_started};

    #[test]
    fn a_thread_start_is_counted_and_the_run_has_begun() {
        let before = so_far().map_or(0, |(_, n)| n);
        std::thread::spawn(thread_started).join().unwrap();
        let (wall, after) = so_far().expect("a run has begun after a thread started");
        assert!(after > before, "{after} threads counted, {before} before");
        assert!(wall < core::time::Duration::from_secs(3600), "{wall:?}");
    }
}
