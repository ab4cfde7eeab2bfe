//! JSON-lines history: append snapshots of a tracker to a file, one JSON
//! object per line, and read them back. A process keeps its history across
//! restarts, and a user can plot it.

mod invariants;

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;
use std::string::{String, ToString};
use std::time::{SystemTime, UNIX_EPOCH};
use std::vec::Vec;

use serde_json::{Map, Value};

use crate::export::report::{write_metric_table, write_notes, write_table};
use crate::histogram::buckets::{DEFAULT_BUCKETS, Layout};
use crate::metric::reading::MetricReading;
use crate::metric::valid_metric_name;
use crate::summary::MetricsSummary;
use crate::tracker::Tracker;

/// The history format this build writes, as each line's `version`. Version 1
/// (a line without `version`) came before the allocation count and the
/// saturation flag, so a summary there may leave `total_allocations` and
/// `saturated` out; version 2 came before the count of cancelled calls, so
/// it may leave `cancelled` out; version 3 came before labelled series, so
/// it may leave `labels` out (an empty set); version 4 came before counters
/// and gauges in history, so it may leave `metrics` out (none); version 5
/// came before cancelled calls were counted apart, so it may leave
/// `cancelled_ns` out (read as 0); from version 6 every field is required.
///
/// **How lines of version 5 and before map:** a cancelled call was then
/// also a record, so their `count`, sums, extremes, histogram and quantiles
/// include the cancelled calls, and `cancelled` counts how many of the
/// records they were. From version 6, a summary's figures hold completed
/// calls only, and `cancelled` and `cancelled_ns` are apart from them. An
/// old line is read as it was written; `perftrack diff` across the change
/// compares a base whose figures include cancelled calls.
/// Versions 1 to 3 wrote their histograms on the log-linear grid of before
/// the native one (version 4): each of their buckets is read into the new
/// bucket that holds its upper bound, kept between the buckets of the
/// recorded extremes, so a quantile read from such a line may move by up to
/// one old bucket (1/16 of its value) and one new. A later version is an
/// error that says so, rather than a line read with fields missing.
pub const HISTORY_VERSION: u64 = 6;

/// The last format version whose histograms are on the log-linear grid.
const LAST_LOG_LINEAR: u64 = 3;

/// Every key of a summary, in the order they are written.
const SUMMARY_KEYS: [&str; 20] = [
    "name",
    "labels",
    "count",
    "total_duration_ns",
    "avg_duration_ns",
    "min_duration_ns",
    "max_duration_ns",
    "total_memory",
    "avg_memory",
    "p50_ns",
    "p90_ns",
    "p99_ns",
    "p999_ns",
    "cpu_samples",
    "total_cpu_time_ns",
    "total_allocations",
    "saturated",
    "cancelled",
    "cancelled_ns",
    "distribution",
];

/// The keys that version 1 lines may leave out.
const NEW_IN_2: [&str; 2] = ["total_allocations", "saturated"];

/// The key that version 1 and 2 lines may leave out.
const NEW_IN_3: [&str; 1] = ["cancelled"];

/// The key that lines before version 4 may leave out.
const NEW_IN_4: [&str; 1] = ["labels"];

/// The key (of the snapshot itself) that lines before version 5 may leave
/// out.
const NEW_IN_5: [&str; 1] = ["metrics"];

/// The key that lines before version 6 may leave out: cancelled calls'
/// wall time, from when they were counted apart from the records.
const NEW_IN_6: [&str; 1] = ["cancelled_ns"];

/// Moves the buckets of a line written on the log-linear grid (format 3 and
/// before) onto the native grid: each `[upper_ns, count]` goes to the bucket
/// that holds `upper_ns`, kept between the buckets of the line's `min_ns`
/// and `max_ns` (which the line is then checked against, as any line); the
/// lowest goes to `min_ns`'s bucket, as it held `min_ns`.
/// Buckets that land together are added by the reader. Anything not of the
/// expected shape is left for the reader to name.
fn onto_native_grid(line: &mut Value) {
    let layout = const { Layout::of(DEFAULT_BUCKETS) };
    let Some(summaries) = line.get_mut("summaries").and_then(Value::as_array_mut) else { return };
    for d in summaries.iter_mut().filter_map(|s| s.get_mut("distribution")?.as_object_mut()) {
        let extreme = |key: &str| d.get(key).and_then(Value::as_u64).map(|ns| layout.index(ns));
        let (Some(low), Some(high)) = (extreme("min_ns"), extreme("max_ns")) else { continue };
        let Some(buckets) = d.get_mut("buckets").and_then(Value::as_array_mut) else { continue };
        let upper = |pair: &Value| pair.as_array()?.first()?.as_u64();
        let lowest = buckets.iter().filter_map(upper).min();
        for pair in buckets.iter_mut().filter_map(Value::as_array_mut) {
            if let Some(u) = pair.first_mut().filter(|u| u.is_u64()) {
                let old = u.as_u64().unwrap_or(0);
                let i = if Some(old) == lowest { low } else { layout.index(old).clamp(low.min(high), high.max(low)) };
                *u = Value::from(layout.upper(i));
            }
        }
    }
}

/// Whether a line of format `version` must carry `key`.
fn required(key: &str, version: u64) -> bool {
    (version >= 2 || !NEW_IN_2.contains(&key))
        && (version >= 3 || !NEW_IN_3.contains(&key))
        && (version >= 4 || !NEW_IN_4.contains(&key))
        && (version >= 5 || !NEW_IN_5.contains(&key))
        && (version >= 6 || !NEW_IN_6.contains(&key))
}

/// Every key of a counter's or gauge's reading.
const METRIC_KEYS: [&str; 3] = ["name", "labels", "value"];

/// The keys of a summary's distribution.
const DISTRIBUTION_KEYS: [&str; 3] = ["min_ns", "max_ns", "buckets"];

/// Every operation's summary, and every counter's and gauge's value, at one
/// moment.
///
/// ```
/// use perftrack::{Tracker, history::Snapshot};
/// use core::time::Duration;
///
/// static T: Tracker<4, 8> = Tracker::new();
/// T.record("io", Duration::from_millis(3), 512)?;
/// let line = Snapshot::take(&T).to_json_line();
/// let back = Snapshot::from_json_lines(&line).unwrap();
/// assert_eq!(back[0].summaries[0].total_memory, 512);
/// # Ok::<(), perftrack::TrackerError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Snapshot {
    /// Wall-clock time the snapshot was taken, in milliseconds since the Unix epoch.
    pub unix_ms: u64,
    /// The summaries, in registration order, each with its histogram (the
    /// non-empty buckets only), so that two snapshots give an interval with
    /// [`MetricsSummary::since`].
    pub summaries: Vec<MetricsSummary>,
    /// The counters and gauges, in registration order (empty in a line of
    /// format 4 or before, which kept none).
    #[serde(default)]
    pub metrics: Vec<MetricReading>,
    /// The run it belongs to: every snapshot one process takes carries the
    /// same id ([`run_id`]), so that periodic snapshots of one process count
    /// as one run ([`runs`]). `None` in a line written before format 6 had
    /// it: such a line is a run of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<u64>,
}

/// This process's run id: a number drawn once per process from its id and
/// the time it first asked, the same for every snapshot it takes.
#[must_use]
pub fn run_id() -> u64 {
    static ID: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *ID.get_or_init(|| {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
        // splitmix64 of the two: ids of processes started together differ
        // in every bit.
        let mut z = nanos ^ (u64::from(std::process::id()) << 32) ^ 0x9e37_79b9_7f4a_7c15;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) & ((1 << 53) - 1)
    })
}

/// The runs among `snapshots`, in file order: a run is the snapshots that
/// share a run id, represented by its **last** one (a process's periodic
/// snapshots are cumulative, so the last holds the whole run); a snapshot
/// without an id is a run of its own. The runs come in the order of their
/// last snapshots.
///
/// ```
/// use perftrack::history::{Snapshot, runs};
///
/// let at = |unix_ms, run| Snapshot { unix_ms, run, ..Snapshot::default() };
/// let lines = [at(1, Some(7)), at(2, None), at(3, Some(7)), at(4, Some(9))];
/// let r: Vec<u64> = runs(&lines).iter().map(|s| s.unix_ms).collect();
/// assert_eq!(r, [2, 3, 4]);
/// ```
#[must_use]
pub fn runs(snapshots: &[Snapshot]) -> Vec<&Snapshot> {
    snapshots
        .iter()
        .enumerate()
        .filter(|&(i, s)| s.run.is_none_or(|id| snapshots[i + 1..].iter().all(|later| later.run != Some(id))))
        .map(|(_, s)| s)
        .collect()
}

/// Fails on a key of `object` that `known` does not list: a misspelt key
/// would otherwise be ignored and its figure read as missing.
fn only_known_keys(object: &Map<String, Value>, known: &[&str], what: &str) -> Result<(), String> {
    match object.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(std::format!("{what}: unknown field `{}`", Cut(k))),
        None => Ok(()),
    }
}

/// Item `i` of a line's list of `what`s (summaries, or counters and
/// gauges): the object, with no key that `known` does not list, and how a
/// message names it (`summary 2 ("parse")`).
fn item<'v>(v: &'v Value, what: &str, i: usize, known: &[&str]) -> Result<(&'v Map<String, Value>, String), String> {
    let name = v.get("name").and_then(Value::as_str).unwrap_or("?");
    let which = std::format!("{what} {} ({:?})", i + 1, Cut(name));
    let object = v.as_object().ok_or_else(|| std::format!("{which} is not an object"))?;
    only_known_keys(object, known, &which)?;
    Ok((object, which))
}

/// The longest line [`read_json_lines`] reads: 16 MiB, some thousand times
/// a snapshot of a full default tracker. A longer line is refused with its
/// number before it is parsed, so a file that is not a history (or
/// `/dev/zero`) costs at most this much memory;
/// [`read_json_lines_limited`] takes another limit.
pub const MAX_HISTORY_LINE: usize = 16 << 20;

/// The most bytes of a name or key from the file that a message echoes.
const ECHOED: usize = 64;

/// The most bytes of a parser's message kept (serde_json's can quote the
/// value it could not read).
const MESSAGE: usize = 512;

/// A string from the file as a message echoes it: the first [`ECHOED`]
/// bytes (at a character boundary), then `…` and its length.
struct Cut<'a>(&'a str);

impl Cut<'_> {
    /// The longest prefix of at most `max` bytes that ends on a character.
    fn prefix(s: &str, max: usize) -> &str {
        let mut end = s.len().min(max);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        &s[..end]
    }

    /// The part echoed, and after it, when the string was cut, `… (N
    /// bytes)`; `show` writes the part (plain, or quoted).
    fn write(&self, f: &mut fmt::Formatter<'_>, show: fn(&str, &mut fmt::Formatter<'_>) -> fmt::Result) -> fmt::Result {
        show(Self::prefix(self.0, ECHOED), f)?;
        if self.0.len() > ECHOED { write!(f, "… ({} bytes)", self.0.len()) } else { Ok(()) }
    }
}

impl fmt::Display for Cut<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, |s, f| f.write_str(s))
    }
}

impl fmt::Debug for Cut<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, |s, f| write!(f, "{s:?}"))
    }
}

/// A message cut to [`MESSAGE`] bytes.
fn capped(mut message: String) -> String {
    if message.len() > MESSAGE {
        let keep = Cut::prefix(&message, MESSAGE).len();
        message.truncate(keep);
        message.push_str("… (cut)");
    }
    message
}

/// Why a history could not be read in full.
#[derive(Debug)]
#[non_exhaustive]
pub enum HistoryError {
    /// The file could not be opened or read.
    Io(io::Error),
    /// Line `line` (counted from 1) is not a snapshot: corrupt, cut short,
    /// of an unknown format version, or with figures that contradict each
    /// other.
    /// `read` holds every snapshot on the lines before it.
    Line {
        /// The 1-based line number.
        line: usize,
        /// What the JSON parser said.
        message: String,
        /// The snapshots read before the bad line.
        read: Vec<Snapshot>,
    },
    /// Line `line` (counted from 1) is longer than `limit` bytes: it was
    /// refused before it was parsed. `read` holds every snapshot on the
    /// lines before it.
    LineTooLong {
        /// The 1-based line number.
        line: usize,
        /// The limit it passed ([`MAX_HISTORY_LINE`] unless another was given).
        limit: usize,
        /// The snapshots read before the long line.
        read: Vec<Snapshot>,
    },
}

impl fmt::Display for HistoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "cannot read history: {e}"),
            Self::Line { line, message, read } => {
                write!(
                    f,
                    "history line {line} is not a snapshot ({message}); the {} lines before it are fine",
                    read.len()
                )
            }
            Self::LineTooLong { line, limit, read } => write!(
                f,
                "history line {line} is longer than {limit} bytes, the most a line may take, so it was not parsed; the {} lines before it are fine",
                read.len()
            ),
        }
    }
}

impl core::error::Error for HistoryError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Io(e) => Some(e),
            Self::Line { .. } | Self::LineTooLong { .. } => None,
        }
    }
}

impl From<io::Error> for HistoryError {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

/// Milliseconds since the Unix epoch as a UTC date and time,
/// `2026-12-07 18:34:05.120 UTC`.
struct UtcTime(u64);

impl fmt::Display for UtcTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (days, ms) = (self.0 / 86_400_000, self.0 % 86_400_000);
        // Howard Hinnant's days-to-civil, for days since 1970-01-01.
        let z = days as i64 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        let (h, m, sec, milli) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
        write!(f, "{year:04}-{month:02}-{day:02} {h:02}:{m:02}:{sec:02}.{milli:03} UTC")
    }
}

/// A snapshot printed as the report's table: what [`Snapshot::report`]
/// returns (`Display`).
#[derive(Debug, Clone, Copy)]
pub struct SnapshotReport<'a>(&'a Snapshot);

impl fmt::Display for SnapshotReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "=== Performance Report ===")?;
        if self.0.summaries.is_empty() {
            writeln!(f, "(no operations recorded)")?;
            return write_metric_table(f, || self.0.metrics.iter().cloned());
        }
        let shown = write_table(f, || self.0.summaries.iter().cloned())?;
        write_notes::<DEFAULT_BUCKETS>(f, shown)?;
        writeln!(f, "Snapshot taken {}", UtcTime(self.0.unix_ms))?;
        write_metric_table(f, || self.0.metrics.iter().cloned())
    }
}

impl Snapshot {
    /// The snapshot as the report's table: the same columns as
    /// [`Tracker::report`], for a snapshot read back from a history file
    /// (what `perftrack report FILE` prints).
    ///
    /// ```
    /// use perftrack::{Tracker, history::Snapshot};
    /// use core::time::Duration;
    ///
    /// static T: Tracker<2, 4> = Tracker::new();
    /// T.record("io", Duration::from_millis(3), 512)?;
    /// let back = Snapshot::from_json_lines(&Snapshot::take(&T).to_json_line()).unwrap();
    /// let text = back[0].report().to_string();
    /// assert!(text.lines().any(|l| l.starts_with("io ") && l.contains("3.00 ms")), "{text}");
    /// # Ok::<(), perftrack::TrackerError>(())
    /// ```
    #[must_use]
    pub fn report(&self) -> SnapshotReport<'_> {
        SnapshotReport(self)
    }

    /// Merges snapshots of many processes into one, exactly: the summaries
    /// of each operation (matched by name and labels) add with
    /// [`MetricsSummary::merge`], histograms bucket for bucket; so do the
    /// counters, and the gauges (a fleet's queue depth or open connections
    /// is their sum), each matched by name, labels and kind
    /// ([`MetricValue::plus`](crate::metric::MetricValue::plus)). Series keep the
    /// order they are first seen in; the time is the latest. The offline
    /// fleet view (`perftrack merge`).
    ///
    /// ```
    /// use perftrack::{Tracker, history::Snapshot};
    /// use core::time::Duration;
    ///
    /// let (a, b): (Tracker<2, 4>, Tracker<2, 4>) = (Tracker::new(), Tracker::new());
    /// a.record("q", Duration::from_micros(10), 0)?;
    /// b.record("q", Duration::from_micros(30), 0)?;
    /// b.record("only_b", Duration::from_micros(5), 0)?;
    /// let fleet = Snapshot::merge([Snapshot::take(&a), Snapshot::take(&b)].iter());
    /// let names: Vec<(&str, u64)> = fleet.summaries.iter().map(|s| (s.name.as_str(), s.count)).collect();
    /// assert_eq!(names, [("q", 2), ("only_b", 1)]);
    /// # Ok::<(), perftrack::TrackerError>(())
    /// ```
    #[must_use]
    pub fn merge<'a>(snapshots: impl IntoIterator<Item = &'a Snapshot>) -> Snapshot {
        let mut out = Snapshot::default();
        for s in snapshots {
            out.unix_ms = out.unix_ms.max(s.unix_ms);
            for summary in &s.summaries {
                match out.summaries.iter_mut().find(|m| m.name == summary.name && m.labels == summary.labels) {
                    Some(m) => m.merge(summary),
                    None => out.summaries.push(summary.clone()),
                }
            }
            for reading in &s.metrics {
                let same = |m: &&mut MetricReading| m.name == reading.name && m.labels == reading.labels;
                // Matched by kind too: `plus` is `None` for a counter and a gauge.
                match out.metrics.iter_mut().filter(same).find_map(|m| Some((m.value.plus(reading.value)?, m))) {
                    Some((sum, m)) => m.value = sum,
                    None => out.metrics.push(reading.clone()),
                }
            }
        }
        out
    }

    /// Takes a snapshot of every operation, counter and gauge now. History
    /// is kept at the default histogram resolution ([`DEFAULT_BUCKETS`]), so
    /// this takes trackers of that resolution.
    #[must_use]
    pub fn take<const OPS: usize, const RING: usize, const SHARDS: usize>(
        tracker: &Tracker<OPS, RING, SHARDS, DEFAULT_BUCKETS>,
    ) -> Self {
        let unix_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        Self {
            unix_ms,
            summaries: tracker.summaries().collect(),
            metrics: tracker.metric_readings().collect(),
            run: Some(run_id()),
        }
    }

    /// This snapshot as one line of JSON, without the newline, tagged with
    /// [`HISTORY_VERSION`].
    #[must_use]
    pub fn to_json_line(&self) -> String {
        #[derive(serde::Serialize)]
        struct Line<'a> {
            version: u64,
            unix_ms: u64,
            #[serde(skip_serializing_if = "Option::is_none")]
            run: Option<u64>,
            summaries: &'a [MetricsSummary],
            metrics: &'a [MetricReading],
        }
        let line = Line {
            version: HISTORY_VERSION,
            unix_ms: self.unix_ms,
            run: self.run,
            summaries: &self.summaries,
            metrics: &self.metrics,
        };
        // Serialising plain numbers and strings into a String cannot fail.
        serde_json::to_string(&line).unwrap_or_default()
    }

    /// One line: JSON, then the shape its version requires (no unknown key,
    /// no missing one), then each summary's invariants.
    fn from_line(line: &str) -> Result<Self, String> {
        let value: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
        let top = value.as_object().ok_or("a line must be a JSON object")?;
        let version = match top.get("version") {
            None => 1,
            Some(v) => v.as_u64().ok_or("`version` must be a whole number")?,
        };
        if !(1..=HISTORY_VERSION).contains(&version) {
            return Err(std::format!(
                "format version {version} is newer than this build reads (1 to {HISTORY_VERSION}): upgrade perftrack"
            ));
        }
        only_known_keys(top, &["version", "unix_ms", "run", "summaries", "metrics"], "the snapshot")?;
        if required("metrics", version) && !top.contains_key("metrics") {
            return Err(std::format!(
                "the snapshot: field `metrics` is missing (required in format version {version})"
            ));
        }
        // A `metrics` that is not a list is left for serde to name.
        let metrics = top.get("metrics").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
        for (i, m) in metrics.iter().enumerate() {
            let (m, which) = item(m, "counter or gauge", i, &METRIC_KEYS)?;
            if let Some(key) = METRIC_KEYS.iter().find(|k| !m.contains_key(**k)) {
                return Err(std::format!("{which}: field `{key}` is missing"));
            }
            if !m.get("name").and_then(Value::as_str).is_some_and(valid_metric_name) {
                return Err(std::format!("{which}: the name must match [a-zA-Z_:][a-zA-Z0-9_:]*"));
            }
        }
        let summaries = top.get("summaries").and_then(Value::as_array).ok_or("`summaries` must be a list")?;
        for (i, s) in summaries.iter().enumerate() {
            let (s, which) = item(s, "summary", i, &SUMMARY_KEYS)?;
            for key in SUMMARY_KEYS.iter().filter(|k| required(k, version)) {
                if !s.contains_key(*key) {
                    return Err(std::format!(
                        "{which}: field `{key}` is missing (required in format version {version})"
                    ));
                }
            }
            if let Some(d) = s.get("distribution").and_then(Value::as_object) {
                only_known_keys(d, &DISTRIBUTION_KEYS, &std::format!("{which}'s distribution"))?;
            }
        }
        let mut value = value;
        if version <= LAST_LOG_LINEAR {
            onto_native_grid(&mut value);
        }
        let snapshot: Self = serde_json::from_value(value).map_err(|e| e.to_string())?;
        for (i, s) in snapshot.summaries.iter().enumerate() {
            if let Some(why) = invariants::broken_invariant(s) {
                return Err(std::format!("summary {} ({:?}): {why}", i + 1, s.name.as_str()));
            }
        }
        Ok(snapshot)
    }

    /// Parses JSON lines (blank lines are skipped).
    ///
    /// # Errors
    ///
    /// [`HistoryError::Line`] at the first line that is not a snapshot, with
    /// every snapshot before it.
    pub fn from_json_lines(text: &str) -> Result<Vec<Self>, HistoryError> {
        Self::from_json_line_bytes(text.as_bytes())
    }

    /// Parses JSON lines from raw bytes, one line at a time, so that a line
    /// that is not valid UTF-8 (a multi-byte name cut by a crash mid-append)
    /// fails only itself: it is named by its number, and every snapshot
    /// before it is kept.
    ///
    /// # Errors
    ///
    /// [`HistoryError::Line`] at the first line that is not a snapshot
    /// (invalid UTF-8, corrupt or cut-short JSON, an unknown or missing
    /// field, a format version newer than [`HISTORY_VERSION`], or a summary
    /// whose figures contradict each other: `min > max`, buckets that do not
    /// sum to the count, quantiles out of order), with every snapshot before
    /// it.
    pub fn from_json_line_bytes(bytes: &[u8]) -> Result<Vec<Self>, HistoryError> {
        let mut read = Vec::new();
        for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
            match Self::from_line_bytes(line) {
                Ok(Some(s)) => read.push(s),
                Ok(None) => {}
                Err(message) => return Err(HistoryError::Line { line: i + 1, message, read }),
            }
        }
        Ok(read)
    }

    /// One line's snapshot, `None` for a blank line, or why it is not one.
    fn from_line_bytes(line: &[u8]) -> Result<Option<Self>, String> {
        let line = core::str::from_utf8(line).map_err(|e| std::format!("not UTF-8: {e}"))?;
        if line.trim().is_empty() {
            return Ok(None);
        }
        Self::from_line(line).map(Some).map_err(capped)
    }
}

/// Appends `snapshot` as one JSON line to the file at `path`, creating it if
/// needed.
///
/// # Errors
///
/// The I/O error from opening or writing the file.
pub fn append_json_lines(path: impl AsRef<Path>, snapshot: &Snapshot) -> io::Result<()> {
    let mut line = snapshot.to_json_line();
    line.push('\n');
    // One write of a whole line, in append mode: concurrent appenders do not
    // interleave within a line on local filesystems.
    OpenOptions::new().create(true).append(true).open(path)?.write_all(line.as_bytes())
}

/// A history file read back: its snapshots, and the line a crash cut
/// short at its end, if one was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    /// Every snapshot of the file, in file order (see [`runs`]).
    pub snapshots: Vec<Snapshot>,
    /// The last line, when it has no newline and is not a snapshot: an
    /// append cut short by a crash. Its snapshot is left out, the lines
    /// before it kept; the caller should say so.
    pub truncated: Option<Truncated>,
}

/// A last line cut short: its number and why it is not a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truncated {
    /// The 1-based line number.
    pub line: usize,
    /// What the parser said of it.
    pub message: String,
}

impl fmt::Display for Truncated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {} has no newline and is not a snapshot ({}): a write cut short, left out; the lines before it are read",
            self.line, self.message
        )
    }
}

/// Reads every snapshot from a JSON-lines file, a line at a time (never
/// the whole file at once), refusing a line longer than
/// [`MAX_HISTORY_LINE`]. A **last** line with no newline that is not a
/// snapshot (an append cut short by a crash) is left out and named in
/// [`History::truncated`]; every other bad line is an error.
///
/// # Errors
///
/// [`HistoryError::Io`] if the file cannot be read; [`HistoryError::Line`]
/// naming the first bad line (corrupt, not UTF-8, of a newer format), or
/// [`HistoryError::LineTooLong`], with the snapshots before it. Names
/// echoed in a message are cut to 64 bytes.
pub fn read_history(path: impl AsRef<Path>) -> Result<History, HistoryError> {
    read_history_limited(path, MAX_HISTORY_LINE)
}

/// [`read_history`] with a line limit of your own, in bytes (the line's
/// end not counted): the most memory one line may take before it is parsed.
///
/// # Errors
///
/// As [`read_history`]'s, with `max_line` as the limit.
pub fn read_history_limited(path: impl AsRef<Path>, max_line: usize) -> Result<History, HistoryError> {
    let mut reader = BufReader::new(File::open(path)?);
    let mut read = Vec::new();
    let mut buf = Vec::new();
    let budget = u64::try_from(max_line).unwrap_or(u64::MAX).saturating_add(1);
    for line in 1.. {
        buf.clear();
        // At most one byte past the limit is read: enough to tell a line
        // that is too long, never more of it.
        if (&mut reader).take(budget).read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        let ended = buf.last() == Some(&b'\n');
        if ended {
            buf.pop();
        }
        if buf.len() > max_line {
            return Err(HistoryError::LineTooLong { line, limit: max_line, read });
        }
        match Snapshot::from_line_bytes(&buf) {
            Ok(Some(s)) => read.push(s),
            Ok(None) => {}
            // No newline, so nothing follows it: the file's last line.
            Err(message) if !ended => {
                return Ok(History { snapshots: read, truncated: Some(Truncated { line, message }) });
            }
            Err(message) => return Err(HistoryError::Line { line, message, read }),
        }
    }
    Ok(History { snapshots: read, truncated: None })
}

/// Every snapshot of a JSON-lines file: [`read_history`]'s, without word
/// of a cut-short last line (which is left out).
///
/// # Errors
///
/// As [`read_history`]'s.
pub fn read_json_lines(path: impl AsRef<Path>) -> Result<Vec<Snapshot>, HistoryError> {
    read_history(path).map(|h| h.snapshots)
}

/// [`read_json_lines`] with a line limit of your own, in bytes.
///
/// # Errors
///
/// As [`read_history`]'s, with `max_line` as the limit.
pub fn read_json_lines_limited(path: impl AsRef<Path>, max_line: usize) -> Result<Vec<Snapshot>, HistoryError> {
    read_history_limited(path, max_line).map(|h| h.snapshots)
}
