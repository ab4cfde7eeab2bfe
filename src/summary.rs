//! The plain values a tracker hands out: `Sample` (one record going in),
//! `RecentRecord` (one record coming out of the recent window; the original
//! design called it `PerformanceMetrics`) and `MetricsSummary`.

use core::time::Duration;

use crate::histogram::buckets::DEFAULT_BUCKETS;
use crate::histogram::distribution::Distribution;
use crate::labels::Labels;
use crate::name::Name;
use crate::record::ring::Record;
use crate::record::totals::{Raw, Totals};

/// Converts a `Duration` to whole nanoseconds, saturating at `u64::MAX`
/// (about 584 years), so `Duration::MAX` records as `u64::MAX` ns.
#[inline]
pub(crate) const fn saturating_ns(d: Duration) -> u64 {
    let ns = d.as_nanos();
    if ns > u64::MAX as u128 { u64::MAX } else { ns as u64 }
}

/// One record to be stored: what [`Operation::record_sample`](crate::Operation::record_sample)
/// takes. [`Operation::record`](crate::Operation::record) is the short form for the first two fields.
///
/// ```
/// use perftrack::{Sample, Tracker};
/// use core::time::Duration;
///
/// static T: Tracker<2, 8> = Tracker::new();
/// let op = T.operation("io").unwrap();
/// op.record_sample(&Sample::new(Duration::from_micros(40), 512).at(1_000).with_cpu_time(Duration::from_micros(10)));
/// let r = op.recent();
/// assert_eq!(r[0].timestamp, Some(1_000));
/// assert_eq!(op.summary().total_cpu_time, Duration::from_micros(10));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sample {
    /// How long the operation took. Saturates at `u64::MAX` nanoseconds.
    pub duration: Duration,
    /// Memory the operation used, in bytes (any unit you choose, summed as given).
    pub memory_used: u64,
    /// CPU time, when measured (the std `Timer::with_cpu` and `Timed` futures fill it).
    pub cpu_time: Option<Duration>,
    /// A caller-supplied timestamp in ticks of the caller's clock (a cycle
    /// counter, a millisecond tick, …). Kept in the recent window and used to
    /// order records across shards.
    pub timestamp: Option<u64>,
    /// Heap allocations the operation made: the std layer's guards and
    /// timers fill it when a [`CountingAlloc`](crate::os::CountingAlloc) is
    /// installed; 0 otherwise.
    pub allocations: u64,
}

impl Sample {
    /// A sample with a duration and memory, and no CPU time or timestamp.
    #[must_use]
    pub const fn new(duration: Duration, memory_used: u64) -> Self {
        Self { duration, memory_used, cpu_time: None, timestamp: None, allocations: 0 }
    }

    /// Adds a CPU time.
    #[must_use]
    pub const fn with_cpu_time(mut self, cpu: Duration) -> Self {
        self.cpu_time = Some(cpu);
        self
    }

    /// Adds an allocation count.
    #[must_use]
    pub const fn with_allocations(mut self, allocations: u64) -> Self {
        self.allocations = allocations;
        self
    }

    /// Adds a timestamp in the caller's ticks.
    #[must_use]
    pub const fn at(mut self, ticks: u64) -> Self {
        self.timestamp = Some(ticks);
        self
    }

    #[inline]
    pub(crate) const fn raw(&self) -> Raw {
        Raw {
            ns: saturating_ns(self.duration),
            mem: self.memory_used,
            cpu_ns: match self.cpu_time {
                Some(c) => Some(saturating_ns(c)),
                None => None,
            },
            ticks: self.timestamp,
            allocs: self.allocations,
        }
    }
}

/// Durations in the JSON (serde) form: whole nanoseconds as a plain integer,
/// under a key ending in `_ns`, so that jq, pandas or a spreadsheet read them
/// without knowing Rust's `Duration`. Saturates at `u64::MAX` ns.
#[cfg(feature = "serde")]
mod ns {
    use core::time::Duration;

    pub(super) fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(super::saturating_ns(*d))
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        <u64 as serde::Deserialize>::deserialize(d).map(Duration::from_nanos)
    }
}

/// One record from an operation's recent window: what
/// [`Operation::recent`](crate::Operation::recent) returns. A
/// [`MetricsSummary`] is the whole history's figures; this is one record.
///
/// ```
/// use perftrack::Tracker;
/// use core::time::Duration;
///
/// static T: Tracker<1, 4, 1> = Tracker::new();
/// for i in 0..6u64 {
///     T.record("step", Duration::from_nanos(i), i).unwrap();
/// }
/// let recent = T.recent("step");
/// // The newest 4 of 6, oldest first.
/// assert_eq!(recent.iter().map(|m| m.seq).collect::<Vec<_>>(), [2, 3, 4, 5]);
/// assert_eq!(recent[0].duration, Duration::from_nanos(2));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct RecentRecord {
    /// How long the operation took.
    #[cfg_attr(feature = "serde", serde(rename = "duration_ns", with = "ns"))]
    pub duration: Duration,
    /// Memory the operation used, in bytes.
    pub memory_used: u64,
    /// Position of this record in its shard's stream: 0 for the shard's first
    /// record. With one shard, this is the operation's record number.
    pub seq: u64,
    /// The shard the record was written to.
    pub shard: u32,
    /// The caller's timestamp, if the record was made with one.
    pub timestamp: Option<u64>,
    /// Heap allocations made during the record's span, where they were
    /// counted (a [`CountingAlloc`](crate::os::CountingAlloc) installed, with
    /// `std`); 0 otherwise. The recent window keeps up to 2^31 − 1 per
    /// record (saturating).
    #[cfg_attr(feature = "serde", serde(default))]
    pub allocations: u64,
}

impl RecentRecord {
    /// A record read from shard `shard`'s ring, in the public units.
    pub(crate) fn from_record(shard: usize, r: &Record) -> Self {
        Self {
            duration: Duration::from_nanos(r.ns),
            memory_used: r.mem,
            seq: r.seq,
            // Shard counts are small const parameters; saturate rather than truncate.
            shard: u32::try_from(shard).unwrap_or(u32::MAX),
            timestamp: r.ticks,
            allocations: u64::from(r.allocs),
        }
    }
}

/// Everything known about one operation, copied out of the tracker.
///
/// Every field comes from one consistent snapshot (I2): they describe
/// exactly one set of whole records, over the operation's whole history. The
/// quantiles `p50` to `p999` are read from its duration histogram,
/// [`distribution`](Self::distribution), within its relative error (1/35 at
/// the default resolution; see [`Distribution`]). The newest raw records are
/// [`Operation::recent`](crate::Operation::recent)'s business, not this.
///
/// [`since`](Self::since) turns two summaries into the figures of the
/// interval between them: what a per-second reporter or a dashboard wants,
/// where the lifetime min and max never recover from one spike.
///
/// When a sum saturates at `u64::MAX` (nanoseconds or bytes) it stays there,
/// [`saturated`](Self::saturated) is set, and the average derived from it is
/// a lower bound, kept within `min..=max` so that `min <= avg <= max` always
/// holds.
///
/// ```
/// use perftrack::Tracker;
/// use core::time::Duration;
///
/// static T: Tracker<4, 16> = Tracker::new();
/// for ms in [1u64, 2, 3, 4] {
///     T.record("load", Duration::from_millis(ms), ms * 1024).unwrap();
/// }
/// let s = T.summary("load").unwrap();
/// assert_eq!((&*s.name, s.count), ("load", 4));
/// assert_eq!(s.avg_duration, Duration::from_micros(2500));
/// assert_eq!((s.min_duration, s.max_duration), (Duration::from_millis(1), Duration::from_millis(4)));
/// // 2 ms, read from its bucket: within 1/35.
/// assert!(s.p50.abs_diff(Duration::from_millis(2)) <= Duration::from_millis(2) / 35);
/// assert_eq!(s.p999, Duration::from_millis(4));
/// assert_eq!(s.avg_memory, 2560);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct MetricsSummary<const BUCKETS: usize = DEFAULT_BUCKETS> {
    /// The operation's name: a `heapless::String` of capacity
    /// [`MAX_NAME_LEN`](crate::limits::MAX_NAME_LEN) (64 bytes) that derefs to `str`.
    pub name: Name,
    /// The series' labels: empty for a plain operation, the set given to
    /// [`Tracker::operation_with_labels`](crate::Tracker::operation_with_labels)
    /// otherwise. With the name, they identify the series.
    #[cfg_attr(feature = "serde", serde(default))]
    pub labels: Labels,
    /// Number of records.
    pub count: u64,
    /// Sum of all durations (saturating).
    #[cfg_attr(feature = "serde", serde(rename = "total_duration_ns", with = "ns"))]
    pub total_duration: Duration,
    /// `total_duration / count`, or zero with no records.
    #[cfg_attr(feature = "serde", serde(rename = "avg_duration_ns", with = "ns"))]
    pub avg_duration: Duration,
    /// Shortest duration, or zero with no records.
    #[cfg_attr(feature = "serde", serde(rename = "min_duration_ns", with = "ns"))]
    pub min_duration: Duration,
    /// Longest duration, or zero with no records.
    #[cfg_attr(feature = "serde", serde(rename = "max_duration_ns", with = "ns"))]
    pub max_duration: Duration,
    /// Sum of all `memory_used` (saturating).
    pub total_memory: u64,
    /// `total_memory / count`, or zero with no records.
    pub avg_memory: u64,
    /// Median duration over the whole history (nearest rank, read from the
    /// histogram); zero with no records.
    #[cfg_attr(feature = "serde", serde(rename = "p50_ns", with = "ns"))]
    pub p50: Duration,
    /// 90th percentile over the whole history; zero with no records.
    #[cfg_attr(feature = "serde", serde(rename = "p90_ns", with = "ns"))]
    pub p90: Duration,
    /// 99th percentile over the whole history; zero with no records.
    #[cfg_attr(feature = "serde", serde(rename = "p99_ns", with = "ns"))]
    pub p99: Duration,
    /// 99.9th percentile over the whole history; zero with no records.
    #[cfg_attr(feature = "serde", serde(rename = "p999_ns", with = "ns"))]
    pub p999: Duration,
    /// Number of records that carried a CPU time.
    pub cpu_samples: u64,
    /// Sum of the CPU times carried by records (saturating).
    #[cfg_attr(feature = "serde", serde(rename = "total_cpu_time_ns", with = "ns"))]
    pub total_cpu_time: Duration,
    /// Sum of the heap allocations the records counted (saturating): with a
    /// [`CountingAlloc`](crate::os::CountingAlloc) installed, the allocations
    /// made during each guard, `measure`, `Timer::with_memory` or `Timed`
    /// span; 0 where nothing counted them. See
    /// [`avg_allocations`](Self::avg_allocations).
    #[cfg_attr(feature = "serde", serde(default))]
    pub total_allocations: u64,
    /// Whether a sum (time, memory or CPU time) or the count reached
    /// `u64::MAX` and stayed there: the averages are then lower bounds.
    #[cfg_attr(feature = "serde", serde(default))]
    pub saturated: bool,
    /// Calls that were cancelled, counted **apart from the records**: an
    /// `async fn` under `#[perftrack::measure]`, or a
    /// [`Timed`](crate::instrument::Timed) future, dropped after its first poll and
    /// before it completed (a client that hung up, a `select!` that took
    /// another branch, a timeout). A cancelled call is not in `count`, the
    /// sums, the extremes, the histogram or the quantiles, which hold
    /// completed calls only; its wall time (first poll to drop) is summed in
    /// [`cancelled_duration`](Self::cancelled_duration). In history lines
    /// of format 5 and before, a cancelled call was also a record, and is in
    /// `count` and the figures too.
    #[cfg_attr(feature = "serde", serde(default))]
    pub cancelled: u64,
    /// The wall time of the cancelled calls, from each one's first poll to
    /// its drop (saturating); zero in history lines of format 5 and before.
    #[cfg_attr(feature = "serde", serde(rename = "cancelled_ns", with = "ns", default))]
    pub cancelled_duration: Duration,
    /// The durations of the same records, as a histogram: where the
    /// quantiles come from, and what [`since`](Self::since) subtracts.
    pub distribution: Distribution<BUCKETS>,
}

impl<const BUCKETS: usize> MetricsSummary<BUCKETS> {
    /// Average CPU time over the records that carried one, if any did.
    ///
    /// ```
    /// use perftrack::{Sample, Tracker};
    /// use core::time::Duration;
    ///
    /// static T: Tracker<1, 4> = Tracker::new();
    /// let op = T.operation("x").unwrap();
    /// op.record(Duration::from_millis(2), 0);
    /// assert_eq!(op.summary().avg_cpu_time(), None);
    /// op.record_sample(&Sample::new(Duration::from_millis(2), 0).with_cpu_time(Duration::from_millis(1)));
    /// assert_eq!(op.summary().avg_cpu_time(), Some(Duration::from_millis(1)));
    /// ```
    #[must_use]
    pub fn avg_cpu_time(&self) -> Option<Duration> {
        let ns = saturating_ns(self.total_cpu_time);
        ns.checked_div(self.cpu_samples).map(Duration::from_nanos)
    }

    /// Allocations per record: [`total_allocations`](Self::total_allocations)
    /// over [`count`](Self::count), 0 with no records.
    ///
    /// ```
    /// use perftrack::{Sample, Tracker};
    /// use core::time::Duration;
    ///
    /// static T: Tracker<1, 4> = Tracker::new();
    /// let op = T.operation("parse").unwrap();
    /// op.record_sample(&Sample::new(Duration::from_micros(5), 1000).with_allocations(3));
    /// op.record_sample(&Sample::new(Duration::from_micros(5), 0));
    /// let s = op.summary();
    /// assert_eq!((s.total_allocations, s.avg_allocations()), (3, 1.5));
    /// ```
    #[must_use]
    pub fn avg_allocations(&self) -> f64 {
        if self.count == 0 { 0.0 } else { self.total_allocations as f64 / self.count as f64 }
    }

    /// The figures of the records in `self` that are not in `earlier`: the
    /// interval between two summaries of one operation, `earlier` taken
    /// first. Count, sums, averages and quantiles are exact as in a summary
    /// (the quantiles within the histogram's relative error).
    ///
    /// The interval's `min_duration` and `max_duration` are not known
    /// exactly: they come from the interval's histogram, read from its lowest
    /// and highest non-empty buckets as quantiles are (within the relative
    /// error of the true ones; the maximum kept at or below the lifetime
    /// one). A sum that saturated makes the interval's sums read
    /// as saturated too. Summaries of other operations, or in the other
    /// order, give empty or partial figures, never a panic.
    ///
    /// ```
    /// use perftrack::Tracker;
    /// use core::time::Duration;
    ///
    /// static T: Tracker<1, 8> = Tracker::new();
    /// let op = T.operation("frame")?;
    /// op.record(Duration::from_millis(50), 100); // a spike at start-up
    /// let before = op.summary();
    /// for _ in 0..10 { op.record(Duration::from_millis(2), 10); }
    /// let last_second = op.summary().since(&before);
    /// assert_eq!((last_second.count, last_second.total_memory), (10, 100));
    /// assert_eq!(last_second.avg_duration, Duration::from_millis(2));
    /// assert!(last_second.max_duration < Duration::from_millis(3), "the spike is not in it");
    /// # Ok::<(), perftrack::TrackerError>(())
    /// ```
    #[must_use]
    pub fn since(&self, earlier: &Self) -> Self {
        let delta = |now: Duration, then: Duration| {
            if saturating_ns(now) == u64::MAX { now } else { now.saturating_sub(then) }
        };
        let distribution = self.distribution.since(&earlier.distribution);
        let d_ns = |d: Option<Duration>| d.map_or(0, saturating_ns);
        let count = self.count.saturating_sub(earlier.count);
        let totals = Totals {
            count,
            total_ns: saturating_ns(delta(self.total_duration, earlier.total_duration)),
            total_mem: if self.total_memory == u64::MAX {
                u64::MAX
            } else {
                self.total_memory.saturating_sub(earlier.total_memory)
            },
            min_ns: if count == 0 { u64::MAX } else { d_ns(distribution.min()) },
            max_ns: d_ns(distribution.max()),
            cpu_ns: saturating_ns(delta(self.total_cpu_time, earlier.total_cpu_time)),
            cpu_count: self.cpu_samples.saturating_sub(earlier.cpu_samples),
            allocs: if self.total_allocations == u64::MAX {
                u64::MAX
            } else {
                self.total_allocations.saturating_sub(earlier.total_allocations)
            },
        };
        let mut interval = Self::from_parts(self.name.clone(), &totals, distribution);
        interval.labels = self.labels;
        interval.cancelled = self.cancelled.saturating_sub(earlier.cancelled);
        interval.cancelled_duration = delta(self.cancelled_duration, earlier.cancelled_duration);
        interval
    }

    /// Adds another summary of the same operation, from a disjoint set of
    /// records (another process's, or another shard of a fleet's history):
    /// counts and sums add (saturating), the extremes combine, the
    /// histograms add bucket for bucket, and the quantiles are read again
    /// from the sum. Exact: merging the summaries of two processes gives
    /// the summary one process would have made of all their records. The
    /// name stays `self`'s.
    ///
    /// ```
    /// use perftrack::Tracker;
    /// use core::time::Duration;
    ///
    /// let (a, b, both): (Tracker<1, 4>, Tracker<1, 4>, Tracker<1, 4>) = (Tracker::new(), Tracker::new(), Tracker::new());
    /// for (t, us) in [(&a, 10), (&b, 30), (&b, 50)] {
    ///     t.record("q", Duration::from_micros(us), us)?;
    ///     both.record("q", Duration::from_micros(us), us)?;
    /// }
    /// let mut merged = a.summary("q").unwrap();
    /// merged.merge(&b.summary("q").unwrap());
    /// assert_eq!(merged, both.summary("q").unwrap());
    /// # Ok::<(), perftrack::TrackerError>(())
    /// ```
    pub fn merge(&mut self, other: &Self) {
        let totals_of = |s: &Self| Totals {
            count: s.count,
            total_ns: saturating_ns(s.total_duration),
            total_mem: s.total_memory,
            min_ns: if s.count == 0 { u64::MAX } else { saturating_ns(s.min_duration) },
            max_ns: saturating_ns(s.max_duration),
            cpu_ns: saturating_ns(s.total_cpu_time),
            cpu_count: s.cpu_samples,
            allocs: s.total_allocations,
        };
        let mut totals = totals_of(self);
        totals.merge(&totals_of(other));
        let mut distribution = self.distribution.clone();
        distribution.merge(&other.distribution);
        let saturated = self.saturated || other.saturated;
        let cancelled = self.cancelled.saturating_add(other.cancelled);
        let cancelled_duration = self.cancelled_duration.saturating_add(other.cancelled_duration);
        let labels = self.labels;
        *self = Self::from_parts(self.name.clone(), &totals, distribution);
        self.labels = labels;
        self.saturated |= saturated;
        self.cancelled = cancelled;
        self.cancelled_duration = cancelled_duration;
    }

    /// Builds a summary from a snapshot's totals and the same records'
    /// distribution.
    pub(crate) fn from_parts(name: Name, t: &Totals, distribution: Distribution<BUCKETS>) -> Self {
        let [p50, p90, p99, p999] =
            distribution.quantiles([0.5, 0.9, 0.99, 0.999]).map(|d| d.unwrap_or(Duration::ZERO));
        let avg = |sum: u64| sum.checked_div(t.count).unwrap_or(0);
        let empty = t.count == 0;
        let min_ns = if empty { 0 } else { t.min_ns };
        // A saturated total gives an average below the true one, even below
        // the minimum; an average is never outside min..=max.
        // (Only then: an interval's min and max are read from buckets, and an
        // exact average may lie just outside them.)
        let avg_ns = if t.saturated() { avg(t.total_ns).clamp(min_ns, t.max_ns.max(min_ns)) } else { avg(t.total_ns) };
        Self {
            name,
            labels: Labels::EMPTY,
            count: t.count,
            total_duration: Duration::from_nanos(t.total_ns),
            avg_duration: Duration::from_nanos(avg_ns),
            min_duration: Duration::from_nanos(min_ns),
            max_duration: Duration::from_nanos(t.max_ns),
            total_memory: t.total_mem,
            avg_memory: avg(t.total_mem),
            p50,
            p90,
            p99,
            p999,
            cpu_samples: t.cpu_count,
            total_cpu_time: Duration::from_nanos(t.cpu_ns),
            total_allocations: t.allocs,
            saturated: t.saturated(),
            cancelled: 0,
            cancelled_duration: Duration::ZERO,
            distribution,
        }
    }
}
