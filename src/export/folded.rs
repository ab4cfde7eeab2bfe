//! Folded stacks: the call-path table in Brendan Gregg's folded format, the
//! input of `flamegraph.pl` and inferno.

use core::fmt::{self, Write};

use crate::tracker::Tracker;

/// The character written for a `;` in an operation name: `;` separates frames.
pub const FOLDED_SEMICOLON: char = ':';

/// The character written for whitespace and control characters in an
/// operation name: the count follows the last space, and a newline ends the line.
pub const FOLDED_BLANK: char = '_';

/// Writes `name` as one frame: `;` becomes [`FOLDED_SEMICOLON`], whitespace
/// and control characters become [`FOLDED_BLANK`]; everything else is kept.
fn write_frame(w: &mut impl Write, name: &str) -> fmt::Result {
    for c in name.chars() {
        let c = match c {
            ';' => FOLDED_SEMICOLON,
            c if c.is_whitespace() || c.is_control() => FOLDED_BLANK,
            c => c,
        };
        w.write_char(c)?;
    }
    Ok(())
}

/// What a frame's width stands for in folded stacks and flamegraphs.
///
/// The two differ only for async calls (a [`Timed`](crate::instrument::Timed) future,
/// an `async fn` under `#[perftrack::measure]`): a scope held by a guard is
/// on its thread from its start to its end, so its busy time is its wall
/// time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Weight {
    /// Wall time: a frame is as wide as its calls took from start to end,
    /// awaits included. Where the time went, as a caller waited for it.
    #[default]
    Wall,
    /// Time on a thread: an async call's time suspended between its polls
    /// (its awaits of timers, sockets, locks) is left out. Where the CPU
    /// went when many calls wait concurrently: 400 requests that each sleep
    /// 1 ms no longer hide the work beside them.
    Busy,
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>
    Tracker<OPS, RING, SHARDS, BUCKETS>
{
    /// Writes the call-path table in the folded format: one line per path
    /// that has closed at least once, `root;child;leaf <self time>`, the self
    /// time in **nanoseconds** (a path's time less its tracked children's).
    /// Parents come before their children; an empty table writes nothing.
    ///
    /// Feed it to inferno's `flamegraph` or to `flamegraph.pl`: the widths
    /// of the frames are then time, each frame as wide as its path's total.
    /// Names are made safe for the format: `;` is written as `:`
    /// ([`FOLDED_SEMICOLON`]), whitespace and control characters as `_`
    /// ([`FOLDED_BLANK`]). No allocation; works without `std`.
    ///
    /// ```
    /// use perftrack::{Tracker, clock::MockClock};
    /// use core::time::Duration;
    ///
    /// static T: Tracker<4, 8> = Tracker::new();
    /// let clock = MockClock::new();
    /// let (a, b) = (T.operation("load config")?, T.operation("parse;toml")?);
    /// let outer = a.span(&clock);
    /// b.record_in(&outer, Duration::from_nanos(700));
    /// clock.advance(Duration::from_nanos(1_000));
    /// drop(outer);
    /// let mut out = String::new();
    /// T.write_folded(&mut out)?;
    /// assert_eq!(out, "load_config 300\nload_config;parse:toml 700\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Only the writer's own errors.
    pub fn write_folded(&self, w: &mut impl Write) -> fmt::Result {
        self.write_folded_with(w, Weight::Wall)
    }

    /// [`write_folded`](Self::write_folded) with each line's count in the
    /// chosen [`Weight`]: with [`Weight::Busy`], a path's self time less the
    /// time its async calls spent suspended (and plus the suspended time of
    /// its async children, which its wall self time had left out as theirs).
    ///
    /// ```
    /// use perftrack::{Tracker, clock::MockClock, export::Weight};
    /// use core::time::Duration;
    ///
    /// static T: Tracker<2, 8> = Tracker::new();
    /// let clock = MockClock::new();
    /// let span = T.operation("step")?.span(&clock);
    /// clock.advance(Duration::from_nanos(500));
    /// drop(span);
    /// let (mut wall, mut busy) = (String::new(), String::new());
    /// T.write_folded_with(&mut wall, Weight::Wall)?;
    /// T.write_folded_with(&mut busy, Weight::Busy)?;
    /// assert_eq!(wall, "step 500\n");
    /// assert_eq!(busy, wall, "a scope is on its thread throughout");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Only the writer's own errors.
    pub fn write_folded_with(&self, w: &mut impl Write, weight: Weight) -> fmt::Result {
        self.paths().walk(|ops, stats| {
            if stats.count == 0 {
                return Ok(());
            }
            for (depth, &op) in ops.iter().enumerate() {
                if depth > 0 {
                    w.write_char(';')?;
                }
                match self.name_at(op) {
                    Some(name) => write_frame(w, name.as_str())?,
                    None => w.write_char('?')?,
                }
            }
            let count = match weight {
                Weight::Wall => stats.self_ns,
                Weight::Busy => stats.busy_self_ns,
            };
            writeln!(w, " {count}")
        })
    }
}
