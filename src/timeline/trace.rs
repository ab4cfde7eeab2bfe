//! The timeline of a tracker as Trace Event Format JSON: `X` (complete)
//! events, one `tid` per track, `thread_name` metadata, durations in µs
//! with the nanoseconds in `args`.

use core::time::Duration;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::string::String;
use std::vec::Vec;

use super::ring::Event;
use super::track::{ASYNC, CANCELLED, FIRST_TASK_TRACK, ROOT};
use crate::clock::Clock;
use crate::metric::MetricValue;
use crate::os::clock::FastClock;
use crate::tracker::Tracker;

/// How [`Tracker::write_trace_with`] writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TraceOptions {
    /// Spans shorter than this are left out (none by default), to keep a
    /// long run's trace small.
    pub min_duration: Duration,
}

impl TraceOptions {
    /// Leaves out spans shorter than `d`.
    #[must_use]
    pub const fn min_duration(mut self, d: Duration) -> Self {
        self.min_duration = d;
        self
    }
}

/// One span, in nanoseconds since the timeline was enabled.
struct Span {
    start: u64,
    end: u64,
    /// The nanoseconds recorded, before any hold to the parent's end.
    ns: u64,
    slot: usize,
    flags: u64,
    busy: Option<u64>,
}

/// The `tid` step between a track and its overlap lanes.
const LANE: u64 = 1 << 40;

/// A track's spans in lanes that each nest strictly: outer spans first; a
/// child that the clock's rounding puts a nanosecond or two past its
/// parent's end is held to it; a span that overlaps another without
/// nesting in it (two `tracing` spans of interleaved tasks closed on one
/// thread, say) goes to the first lane where it nests, a new one if none.
/// The recorders keep scopes and calls nested, so lanes past the first are
/// rare.
fn lanes(spans: &mut [Span]) -> Vec<Vec<&Span>> {
    spans.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    // Each lane's spans, and the ends of its open spans.
    let mut lanes: Vec<(Vec<usize>, Vec<u64>)> = Vec::new();
    for (i, span) in spans.iter_mut().enumerate() {
        let (start, end) = (span.start, span.end);
        let mut placed = false;
        for (members, open) in &mut lanes {
            while open.last().is_some_and(|&e| e <= start) {
                open.pop();
            }
            match open.last() {
                Some(&e) if end > e && end - e > 2 => continue,
                Some(&e) => span.end = end.min(e),
                None => {}
            }
            open.push(span.end);
            members.push(i);
            placed = true;
            break;
        }
        if !placed {
            lanes.push((std::vec![i], std::vec![end]));
        }
    }
    lanes.into_iter().map(|(members, _)| members.into_iter().map(|i| &spans[i]).collect()).collect()
}

/// `µs.nnn`: microseconds with the nanoseconds exact.
struct Micros(u64);

impl core::fmt::Display for Micros {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}.{:03}", self.0 / 1000, self.0 % 1000)
    }
}

/// A JSON string's contents, escaped.
fn escaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&std::format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>
    Tracker<OPS, RING, SHARDS, BUCKETS>
{
    /// Writes the timeline of this tracker's operations (see
    /// [`timeline`](crate::timeline)) as Trace Event Format JSON, for
    /// Perfetto, `chrome://tracing` or speedscope: a complete (`X`) event
    /// per span, `ts` and `dur` in microseconds with the nanoseconds in
    /// `args`, one `tid` per track with its `thread_name`, an async call's
    /// busy time and whether it was cancelled in its `args`. Events of one
    /// track nest strictly. Then each counter and gauge as a counter (`C`)
    /// event of its value now: each trace written samples them once.
    /// Nothing, but an empty trace, when the timeline was never enabled.
    ///
    /// # Errors
    ///
    /// The writer's.
    pub fn write_trace(&self, w: &mut impl Write) -> io::Result<()> {
        self.write_trace_with(w, &TraceOptions::default())
    }

    /// [`write_trace`](Self::write_trace), leaving out spans shorter than
    /// `options.min_duration`.
    ///
    /// # Errors
    ///
    /// The writer's.
    pub fn write_trace_with(&self, w: &mut impl Write, options: &TraceOptions) -> io::Result<()> {
        let pid = std::process::id();
        let me = self.paths().id() & 0xffff_ffff;
        let min = u64::try_from(options.min_duration.as_nanos()).unwrap_or(u64::MAX);
        // Each track's spans, and the names of the thread tracks.
        let mut tracks: BTreeMap<u64, Vec<Span>> = BTreeMap::new();
        let mut thread_names: BTreeMap<u64, String> = BTreeMap::new();
        if let Some(pool) = super::POOL.get() {
            for (i, ring) in pool.taken() {
                thread_names.insert(i as u64 + 1, ring.name());
                for Event { start, dur, key, track, busy } in ring.events() {
                    if key >> 32 != me || dur < min {
                        continue;
                    }
                    // Started before the timeline was enabled: no place on it.
                    let since = start.wrapping_sub(pool.epoch);
                    if since > u64::MAX / 2 {
                        continue;
                    }
                    let start = u64::try_from(FastClock.to_duration(since).as_nanos()).unwrap_or(u64::MAX);
                    let span = Span {
                        start,
                        end: start.saturating_add(dur),
                        ns: dur,
                        slot: ((key >> 16) & 0xffff) as usize,
                        flags: key & 0xffff,
                        busy,
                    };
                    tracks.entry(track).or_default().push(span);
                }
            }
        }
        let mut names: BTreeMap<usize, String> = BTreeMap::new();
        let mut name = |slot: usize| -> String {
            names
                .entry(slot)
                .or_insert_with(|| escaped(self.name_at(slot).as_ref().map_or("?", |n| n.as_str())))
                .clone()
        };
        let mut w = io::BufWriter::new(w);
        w.write_all(b"{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n")?;
        let mut first = true;
        let mut sep = |w: &mut io::BufWriter<_>| -> io::Result<()> {
            if !first {
                w.write_all(b",\n")?;
            }
            first = false;
            Ok(())
        };
        for (&track, spans) in &mut tracks {
            let track_name = if track < FIRST_TASK_TRACK {
                thread_names.get(&track).cloned().map_or_else(|| std::format!("thread {track}"), |n| escaped(&n))
            } else {
                let root = spans.iter().find(|s| s.flags & ROOT != 0).or(spans.first());
                std::format!(
                    "{} (task {})",
                    root.map_or_else(|| String::from("task"), |s| name(s.slot)),
                    track - FIRST_TASK_TRACK + 1
                )
            };
            for (lane, spans) in lanes(spans).into_iter().enumerate() {
                let tid = track + lane as u64 * LANE;
                sep(&mut w)?;
                let suffix = if lane == 0 { String::new() } else { std::format!(" (overlapping {lane})") };
                write!(
                    w,
                    "{{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":{pid},\"tid\":{tid},\"args\":{{\"name\":\"{track_name}{suffix}\"}}}}"
                )?;
                for s in spans {
                    sep(&mut w)?;
                    let dur = s.end - s.start;
                    write!(
                        w,
                        "{{\"name\":\"{}\",\"ph\":\"X\",\"cat\":\"{}\",\"ts\":{},\"dur\":{},\"pid\":{pid},\"tid\":{tid},\"args\":{{\"start_ns\":{},\"dur_ns\":{}",
                        name(s.slot),
                        if s.flags & ASYNC != 0 { "async" } else { "scope" },
                        Micros(s.start),
                        Micros(dur),
                        s.start,
                        s.ns
                    )?;
                    if let Some(busy) = s.busy {
                        write!(w, ",\"busy_ns\":{busy}")?;
                    }
                    if s.flags & CANCELLED != 0 {
                        w.write_all(b",\"cancelled\":true")?;
                    }
                    w.write_all(b"}}")?;
                }
            }
        }
        // The counters and gauges, as counter (`C`) events sampled now:
        // each trace written is one more sample of them.
        if let Some(pool) = super::POOL.get() {
            let now = u64::try_from(FastClock.to_duration(FastClock.ticks().wrapping_sub(pool.epoch)).as_nanos())
                .unwrap_or(u64::MAX);
            for m in self.metric_readings() {
                let value = match m.value {
                    MetricValue::Counter(n) => std::format!("{n}"),
                    MetricValue::Gauge(g) if g.is_finite() => std::format!("{g}"),
                    _ => continue,
                };
                sep(&mut w)?;
                let series = escaped(&std::format!("{}{}", m.name.as_str(), m.labels));
                write!(
                    w,
                    "{{\"name\":\"{series}\",\"ph\":\"C\",\"ts\":{},\"pid\":{pid},\"tid\":0,\"args\":{{\"value\":{value}}}}}",
                    Micros(now)
                )?;
            }
        }
        w.write_all(b"\n]}\n")?;
        w.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::{Span, lanes};
    use std::vec::Vec;

    fn span(start: u64, end: u64) -> Span {
        Span { start, end, ns: end - start, slot: 0, flags: 0, busy: None }
    }

    #[test]
    fn overlapping_spans_go_to_lanes_where_they_nest_and_rounding_is_held_to_the_parent() {
        // 0..100 holds 10..20 and 30..101 (a nanosecond past: held to 100);
        // 50..150 overlaps 0..100 without nesting: a lane of its own.
        let mut s = [span(0, 100), span(10, 20), span(30, 101), span(50, 150)];
        let l = lanes(&mut s);
        let ends: Vec<Vec<(u64, u64)>> = l.iter().map(|lane| lane.iter().map(|x| (x.start, x.end)).collect()).collect();
        assert_eq!(ends, [std::vec![(0, 100), (10, 20), (30, 100)], std::vec![(50, 150)]]);
        assert_eq!(l[0][2].ns, 71, "the recorded time is kept");
    }
}
