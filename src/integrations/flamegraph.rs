//! The call tree as an SVG flamegraph, drawn by inferno from the folded
//! stacks (`folded.rs`), with its tooltips in readable units.

use std::io;
use std::string::{String, ToString};
use std::vec::Vec;

use crate::export::folded::Weight;
use crate::export::units::Nanos;
use crate::tracker::Tracker;

/// How [`Tracker::write_flamegraph_with`] draws: what a frame's width
/// stands for, and the title. The default is what
/// [`Tracker::write_flamegraph`] draws: wall time, titled "perftrack call
/// tree".
///
/// ```
/// use perftrack::{export::Weight, integrations::FlameOptions};
///
/// let options = FlameOptions { weight: Weight::Busy, title: "where the CPU went".into(), ..FlameOptions::default() };
/// assert_eq!(options.min_width, FlameOptions::default().min_width);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct FlameOptions {
    /// What a frame's width stands for: wall time, or time on a thread
    /// (see [`Weight`]).
    pub weight: Weight,
    /// The title drawn above the graph.
    pub title: String,
    /// Frames narrower than this, in pixels of the 1200-pixel-wide graph,
    /// are left out (inferno's `min_width`; 0.1 by default).
    pub min_width: f64,
}

impl Default for FlameOptions {
    fn default() -> Self {
        Self { weight: Weight::Wall, title: "perftrack call tree".to_string(), min_width: 0.1 }
    }
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>
    Tracker<OPS, RING, SHARDS, BUCKETS>
{
    /// Draws the call-path table as an SVG flamegraph through inferno: each
    /// frame is as wide as its path's total wall time (the folded self times
    /// of [`write_folded`](Self::write_folded), summed up the tree); hovering
    /// shows the time in a readable unit and its share ("35.0 s, 61.20%").
    /// [`write_flamegraph_with`](Self::write_flamegraph_with) chooses the
    /// weight and the title.
    ///
    /// ```
    /// use perftrack::PerformanceTracker;
    ///
    /// let tracker = PerformanceTracker::new();
    /// {
    ///     let _request = tracker.time("request")?;
    ///     let _parse = tracker.time("parse")?;
    /// }
    /// let mut svg = Vec::new();
    /// tracker.write_flamegraph(&mut svg)?;
    /// let svg = String::from_utf8(svg)?;
    /// assert!(svg.contains("<svg") && svg.contains("parse"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// An [`io::ErrorKind::InvalidInput`] error when no call path has closed
    /// yet (there is nothing to draw), or the writer's own errors.
    pub fn write_flamegraph(&self, w: &mut impl io::Write) -> io::Result<()> {
        self.write_flamegraph_with(w, &FlameOptions::default())
    }

    /// [`write_flamegraph`](Self::write_flamegraph) as `options` say: with
    /// [`Weight::Busy`], frames are as wide as their time on a thread, so
    /// that async calls waiting on timers or sockets shrink to the work they
    /// did.
    ///
    /// ```
    /// use perftrack::{PerformanceTracker, export::Weight, integrations::FlameOptions};
    ///
    /// let tracker = PerformanceTracker::new();
    /// drop(tracker.time("request")?);
    /// let mut svg = Vec::new();
    /// let options = FlameOptions { weight: Weight::Busy, title: "busy".into(), ..FlameOptions::default() };
    /// tracker.write_flamegraph_with(&mut svg, &options)?;
    /// assert!(String::from_utf8(svg)?.contains(">busy<"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`write_flamegraph`](Self::write_flamegraph).
    pub fn write_flamegraph_with(&self, w: &mut impl io::Write, options: &FlameOptions) -> io::Result<()> {
        let mut folded = String::new();
        self.write_folded_with(&mut folded, options.weight).map_err(io::Error::other)?;
        if folded.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "no call path has closed yet: time nested work with guards, spans or the tracing layer first",
            ));
        }
        let mut inferno_options = inferno::flamegraph::Options::default();
        inferno_options.title.clone_from(&options.title);
        inferno_options.count_name = COUNT_NAME.into();
        inferno_options.min_width = options.min_width;
        let mut svg = Vec::new();
        inferno::flamegraph::from_lines(&mut inferno_options, folded.lines(), &mut svg)?;
        w.write_all(&readable_times(&String::from_utf8_lossy(&svg)).into_bytes())
    }
}

/// The unit the folded counts are in, as inferno writes it after a count.
const COUNT_NAME: &str = "ns";

/// `svg` with every count inferno wrote as `(1,234,567 ns, ` written in the
/// unit that fits it: `(1.23 ms, `.
fn readable_times(svg: &str) -> String {
    let marker = [" ", COUNT_NAME, ", "].concat();
    let mut out = String::with_capacity(svg.len());
    let mut rest = svg;
    while let Some(at) = rest.find(&marker) {
        let (before, after) = rest.split_at(at);
        // The count: digits and thousands separators back to the `(`.
        let digits = before.len() - before.bytes().rev().take_while(|b| b.is_ascii_digit() || *b == b',').count();
        let count: String = before[digits..].chars().filter(char::is_ascii_digit).collect();
        match (before[..digits].ends_with('('), count.parse::<u64>()) {
            (true, Ok(ns)) => {
                out.push_str(&before[..digits]);
                out.push_str(&std::format!("{}, ", Nanos(ns)));
            }
            _ => {
                out.push_str(before);
                out.push_str(&marker);
            }
        }
        rest = &after[marker.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::readable_times;

    #[test]
    fn counts_in_tooltips_are_written_in_the_unit_that_fits() {
        let svg = "<title>all (35,030,412,375 ns, 100%)</title><title>a;b (1,500 ns, 4.28%)</title>";
        assert_eq!(readable_times(svg), "<title>all (35.0 s, 100%)</title><title>a;b (1.50 µs, 4.28%)</title>");
        let other = "<text>just 12 ns, not a tooltip</text>";
        assert_eq!(readable_times(other), other);
    }
}
