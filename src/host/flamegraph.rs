//! The call tree as an SVG flamegraph, drawn by inferno from the folded
//! stacks (`folded.rs`).

use std::io;
use std::string::String;

use crate::tracker::Tracker;

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>
    Tracker<OPS, RING, SHARDS, BUCKETS>
{
    /// Draws the call-path table as an SVG flamegraph through inferno: each
    /// frame is as wide as its path's total time (the folded self times of
    /// [`write_folded`](Self::write_folded), summed up the tree); hovering
    /// shows the time in nanoseconds and its share.
    ///
    /// ```
    /// use perftrack::PerformanceTracker;
    ///
    /// let tracker = PerformanceTracker::boxed();
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
        let mut folded = String::new();
        self.write_folded(&mut folded).map_err(io::Error::other)?;
        if folded.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "no call path has closed yet: time nested work with guards, spans or the tracing layer first",
            ));
        }
        let mut options = inferno::flamegraph::Options::default();
        options.title = "perftrack call tree".into();
        options.count_name = "ns".into();
        inferno::flamegraph::from_lines(&mut options, folded.lines(), w)
    }
}
