//! `Timer`: time a span by hand, optionally with CPU time and memory change.

use core::time::Duration;

use crate::clock::Clock;
use crate::error::TrackerError;
use crate::name::{Name, NameBuf};
use crate::summary::saturating_ns;
use crate::tracker::Tracker;

use crate::os::clock::FastClock;

use crate::instrument::stack;
use crate::instrument::warn;
use crate::os::alloc::Mark;
use crate::os::process as os;
use crate::record::totals::Raw;

/// A stopwatch on the [`FastClock`] (the TSC where the OS vouches for it,
/// `std::time::Instant` elsewhere), carrying the name it will record under.
///
/// Memory and CPU time are opt-in, because reading them costs a syscall:
/// [`Timer::with_memory`] records the change in resident memory over the span,
/// [`Timer::with_cpu`] the calling thread's CPU time over it.
///
/// ```
/// use perftrack::{PerformanceTracker, Timer};
///
/// let tracker = PerformanceTracker::new();
/// let timer = Timer::new("load_config");
/// // ... work ...
/// let took = timer.record(&tracker)?;
/// assert_eq!(tracker.summary("load_config").unwrap().total_duration, took);
/// # Ok::<(), perftrack::TrackerError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Timer {
    /// The name, valid when `bad` is `None` (empty otherwise). Kept apart
    /// from the error rather than as a `Result`, whose tag in front of the
    /// buffer made each move of the timer copy the buffer in unaligned
    /// pieces.
    name: NameBuf,
    /// Why the name given was not valid: [`record`](Self::record) returns it.
    bad: Option<TrackerError>,
    /// A [`FastClock`] reading.
    start: u64,
    cpu_start: Option<Duration>,
    mem_start: Option<Memory>,
}

/// Where [`Timer::with_memory`] reads memory from.
#[derive(Debug, Clone, Copy)]
enum Memory {
    /// Resident memory, in bytes (no `CountingAlloc`).
    Resident(u64),
    /// The thread's allocation counters (a `CountingAlloc` is installed).
    Counted(Mark),
}

impl Timer {
    /// Starts timing `name`. Never fails: a bad name is reported by
    /// [`record`](Self::record).
    #[must_use]
    #[inline]
    pub fn new(name: impl AsRef<str>) -> Self {
        // The name is copied into the timer itself (`NameBuf::fill`), not
        // built apart and moved in; the clock is read after it.
        let mut timer = Self { name: NameBuf::NONE, bad: None, start: 0, cpu_start: None, mem_start: None };
        timer.bad = timer.name.fill(name.as_ref()).err().map(TrackerError::from);
        timer.start = FastClock.ticks();
        timer
    }

    /// Starts timing `name`, and also measures memory over the span.
    ///
    /// * With a [`CountingAlloc`](crate::os::CountingAlloc) installed: the
    ///   **bytes this thread allocates** until the timer stops (recorded as
    ///   the memory used), and the number of allocations. Exact; stop the
    ///   timer on the thread that started it.
    /// * Without: the change in the process's resident memory
    ///   (`/proc/self/statm`), page-granular and process-wide; a shrink
    ///   records 0.
    #[must_use]
    pub fn with_memory(name: impl AsRef<str>) -> Self {
        // The clock first: its first reading calibrates it, and may allocate.
        let mut timer = Self::new(name);
        timer.mem_start = match Mark::now() {
            Some(mark) => Some(Memory::Counted(mark)),
            None => os::try_estimate_memory_usage().ok().map(Memory::Resident),
        };
        timer
    }

    /// Starts timing `name`, and also measures the calling thread's CPU time
    /// over the span. Stop the timer on the thread that started it.
    #[must_use]
    pub fn with_cpu(name: impl AsRef<str>) -> Self {
        // Wall clock first, CPU clock second here, and the reverse when the
        // timer stops: the CPU span nests inside the wall span, so a span on
        // one thread never shows more CPU time than wall time.
        let mut timer = Self::new(name);
        timer.cpu_start = os::try_thread_cpu_time().ok();
        timer
    }

    /// The name this timer records under (empty if it was invalid).
    #[must_use]
    pub fn name(&self) -> Name {
        // An invalid name left the buffer empty (`NameBuf::fill`).
        self.name.to_name()
    }

    /// Wall time since the timer started.
    #[must_use]
    pub fn elapsed(&self) -> Duration {
        FastClock.since(self.start)
    }

    /// Wall time since the timer started, in milliseconds.
    ///
    /// ```
    /// let t = perftrack::Timer::new("x");
    /// std::thread::sleep(std::time::Duration::from_millis(2));
    /// // The TSC, where it is the clock, is calibrated to within 1% of the OS clock.
    /// assert!(t.elapsed_ms() >= 1.98);
    /// ```
    #[must_use]
    pub fn elapsed_ms(&self) -> f64 {
        self.elapsed().as_secs_f64() * 1e3
    }

    /// CPU time of the calling thread since the timer started, if it was
    /// started with [`with_cpu`](Self::with_cpu) and the clock is available.
    #[must_use]
    pub fn cpu_elapsed(&self) -> Option<Duration> {
        let start = self.cpu_start?;
        Some(os::try_thread_cpu_time().ok()?.saturating_sub(start))
    }

    /// Memory since the timer started, in bytes, if it was started with
    /// [`with_memory`](Self::with_memory): bytes allocated by this thread
    /// with a [`CountingAlloc`](crate::os::CountingAlloc), else the growth of
    /// resident memory (a shrink reads 0).
    #[must_use]
    pub fn memory_delta(&self) -> Option<u64> {
        self.memory().map(|(bytes, _)| bytes)
    }

    /// Allocations this thread made since the timer started, if it was
    /// started with [`with_memory`](Self::with_memory) while a
    /// [`CountingAlloc`](crate::os::CountingAlloc) is installed.
    #[must_use]
    pub fn allocations(&self) -> Option<u64> {
        self.memory()?.1
    }

    /// Memory since the start and, when counted, allocations: both read at
    /// once, so a record's two figures come from one reading.
    fn memory(&self) -> Option<(u64, Option<u64>)> {
        match self.mem_start? {
            Memory::Counted(mark) => {
                let (bytes, allocations) = mark.since();
                Some((bytes, Some(allocations)))
            }
            Memory::Resident(start) => Some((os::try_estimate_memory_usage().ok()?.saturating_sub(start), None)),
        }
    }

    /// Prints `name: 123.45ms` to stdout.
    pub fn print_elapsed(&self) {
        std::println!("{}: {:.2}ms", self.name().as_str(), self.elapsed_ms());
    }

    /// Stops the timer and returns the wall time.
    #[must_use = "stop returns the elapsed time"]
    pub fn stop(self) -> Duration {
        self.elapsed()
    }

    /// Stops the timer and records it into `tracker` under its name.
    /// Returns the wall time recorded.
    ///
    /// It also lands in the call-path table as a leaf under the innermost
    /// open [`ScopeGuard`](crate::instrument::ScopeGuard) of `tracker` on this thread (a
    /// root path when none is open): a `Timer` is not a scope, so guards
    /// opened while it ran are not its children.
    ///
    /// # Errors
    ///
    /// [`TrackerError::EmptyName`] or [`TrackerError::NameTooLong`] if the
    /// timer's name was invalid; [`TrackerError::Full`] if the name is new and
    /// the tracker has no free slot.
    pub fn record<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>(
        self,
        tracker: &Tracker<OPS, RING, SHARDS, BUCKETS>,
    ) -> Result<Duration, TrackerError> {
        // The name was validated and encoded once, in the constructor.
        if let Some(e) = self.bad {
            return Err(e);
        }
        let name = &self.name;
        let raw = self.raw();
        // A name this thread resolved lately goes straight to its slot
        // (`Tracker::resolve_slot`).
        let op = tracker.resolve_recorder(name).inspect_err(|e| warn::refused(name.as_str(), *e))?;
        let id = tracker.paths().id();
        let path = stack::leaf(id, op.index(), raw.ns, |parent| op.path_under(parent));
        op.close_raw(&raw, path, 0);
        Ok(Duration::from_nanos(raw.ns))
    }

    /// The record this timer would make now, in the record path's own
    /// form: nanoseconds straight from the clock, with no `Duration` on the
    /// way (the CPU clock before the wall clock, see [`with_cpu`](Self::with_cpu)).
    #[inline]
    fn raw(&self) -> Raw {
        // A plain timer (no CPU clock, no memory) reads the wall clock alone,
        // through its own return: one `Raw` for both cases compiles to more.
        if self.cpu_start.is_none() && self.mem_start.is_none() {
            return Raw { ns: FastClock.ns_since(self.start), mem: 0, cpu_ns: None, ticks: None, allocs: 0 };
        }
        let cpu_ns = self.cpu_elapsed().map(saturating_ns);
        let (mem, allocs) = self.memory().map_or((0, 0), |(bytes, n)| (bytes, n.unwrap_or(0)));
        Raw { ns: FastClock.ns_since(self.start), mem, cpu_ns, ticks: None, allocs }
    }
}
