//! `PerftrackLayer`: a `tracing-subscriber` layer that records every closed
//! span into a tracker, nested by tracing's own span tree.

use core::sync::atomic::{AtomicU64, Ordering};
use core::time::Duration;

use tracing_core::span::{Attributes, Id};
use tracing_core::{Subscriber, span};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use crate::clock::Clock;
use crate::histogram::buckets::DEFAULT_BUCKETS;
use crate::instrument::callsite::path_name;
use crate::instrument::warn;
use crate::integrations::tracing::sites::{Resolved, Sites};
use crate::operation::Recorder;
use crate::paths::CallPath;
use crate::summary::{Sample, saturating_ns};
use crate::tracker::{DEFAULT_OPS, DEFAULT_RING, DEFAULT_SHARDS, Tracker};

use crate::os::clock::FastClock;
use crate::timeline;

/// A [`tracing_subscriber::Layer`] that records each span, when it closes,
/// into the operation named after the span: its target and its name,
/// `my_crate::db::query` for `#[tracing::instrument] fn query` in module
/// `my_crate::db` (so same-named spans of two modules stay apart; a path
/// over [`MAX_NAME_LEN`](crate::limits::MAX_NAME_LEN) bytes loses leading segments),
/// and into the
/// tracker's call-path table under its parent span: tracing's span tree is
/// the call tree, so `#[instrument]` functions show up in the report's call
/// tree, the folded stacks and the flamegraph with no other code.
///
/// What each record holds:
/// * **duration**: wall time from the span's creation to its close (for an
///   `#[instrument]`ed function, its call; for a span held across `.await`s,
///   the whole time it was alive, idle time included);
/// * **busy time**, only with [`with_busy_time`](Self::with_busy_time): the
///   time the span was entered (summed between each `enter` and `exit`),
///   recorded as the record's CPU time, so it shows in the report's CPU
///   column and in `cpu_samples`; the rest of its duration is its idle time,
///   which a [`Weight::Busy`](crate::export::Weight::Busy) flamegraph or folded
///   stack leaves out, as it does a [`Timed`](crate::instrument::Timed) future's awaits.
///   It is on-thread time, not CPU time: a blocking call inside an entered
///   span counts as busy. Off by default because it costs two more clock
///   reads and two more span lookups a span (at `enter` and `exit`), nearly
///   half of the layer's own cost.
/// * **path**: the parent is the span's parent in tracing's tree (its
///   explicit `parent:` or the span that was current when it was created);
///   self time is the duration less the durations of its children.
///
/// A span whose name cannot be registered (the tracker is full) is not
/// recorded, and is counted by [`dropped`](Self::dropped) and in the report
/// ([`Tracker::refused`]).
///
/// ```
/// use perftrack::{PerformanceTracker, integrations::PerftrackLayer};
/// use tracing_subscriber::layer::SubscriberExt;
///
/// static TRACKER: PerformanceTracker = PerformanceTracker::new();
///
/// #[tracing::instrument]
/// fn parse() {}
///
/// #[tracing::instrument]
/// fn request() { parse() }
///
/// let subscriber = tracing_subscriber::registry().with(PerftrackLayer::new(&TRACKER));
/// tracing::subscriber::with_default(subscriber, || request());
///
/// // Named `<module>::parse`: the span's target, then its name.
/// let parse = TRACKER.summaries().find(|s| s.name.ends_with("::parse")).unwrap();
/// assert_eq!(parse.count, 1);
/// let mut folded = String::new();
/// TRACKER.write_folded(&mut folded)?;
/// assert!(folded.contains("::request;") && folded.contains("::parse "));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct PerftrackLayer<
    const OPS: usize = DEFAULT_OPS,
    const RING: usize = DEFAULT_RING,
    const SHARDS: usize = DEFAULT_SHARDS,
    const BUCKETS: usize = DEFAULT_BUCKETS,
> {
    tracker: &'static Tracker<OPS, RING, SHARDS, BUCKETS>,
    dropped: AtomicU64,
    /// Each span call site's slot, once resolved: a span after the first
    /// of its site builds no name and looks nothing up.
    sites: Sites,
    /// Whether the time each span is entered is measured
    /// ([`with_busy_time`](Self::with_busy_time)).
    busy: bool,
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>
    PerftrackLayer<OPS, RING, SHARDS, BUCKETS>
{
    /// A layer recording each span's wall time and call path into
    /// `tracker`.
    #[must_use]
    pub const fn new(tracker: &'static Tracker<OPS, RING, SHARDS, BUCKETS>) -> Self {
        Self { tracker, dropped: AtomicU64::new(0), sites: Sites::new(), busy: false }
    }

    /// Also measures each span's busy time: the time it was entered, in the
    /// report's CPU column, and the rest of its duration as idle time, which
    /// busy-weighted flamegraphs leave out (see the type's docs).
    ///
    /// ```
    /// use perftrack::{Tracker, integrations::PerftrackLayer};
    /// use tracing_subscriber::layer::SubscriberExt;
    ///
    /// static TRACKER: Tracker<4, 8> = Tracker::new();
    /// let layer = PerftrackLayer::new(&TRACKER).with_busy_time();
    /// tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
    ///     let span = tracing::info_span!("request");
    ///     span.in_scope(|| std::thread::sleep(std::time::Duration::from_millis(1)));
    ///     std::thread::sleep(std::time::Duration::from_millis(20)); // alive, not entered
    /// });
    /// let request = TRACKER.summaries().find(|s| s.name.ends_with("::request")).unwrap();
    /// assert_eq!(request.cpu_samples, 1);
    /// assert!(request.total_cpu_time < request.total_duration);
    /// ```
    #[must_use]
    pub const fn with_busy_time(mut self) -> Self {
        self.busy = true;
        self
    }

    /// Spans not recorded because their name could not be registered.
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// What the layer keeps in each span's extensions while it is open.
struct Timing<const RING: usize, const SHARDS: usize, const BUCKETS: usize> {
    op: Recorder<'static, RING, SHARDS, BUCKETS>,
    path: Option<CallPath>,
    /// `FastClock` ticks at creation.
    start: u64,
    /// Nanoseconds of tracked children closed so far (children may close on
    /// other threads).
    children_ns: AtomicU64,
    /// Ticks at the outermost open `enter`, and how many enters are open
    /// (a span may be entered again while entered).
    entered_at: u64,
    entered: u32,
    busy_ns: u64,
}

impl<S, const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize> Layer<S>
    for PerftrackLayer<OPS, RING, SHARDS, BUCKETS>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let meta = attrs.metadata();
        // The metadata is `'static` and one per call site: its address names the site.
        let site = core::ptr::from_ref(meta) as usize;
        let resolved = self.sites.get_or_resolve(site, || {
            let name = path_name(meta.target(), meta.name());
            self.tracker.operation(&name).map_or_else(
                |e| {
                    warn::refused(name.as_str(), e);
                    Resolved::Refused
                },
                |op| Resolved::Slot(op.index()),
            )
        });
        let Some(op) = (match resolved {
            Resolved::Slot(slot) => self.tracker.recorder_at(slot),
            Resolved::Refused => None,
        }) else {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        };
        let path = match span.parent() {
            None => op.path_under(None),
            Some(parent) => {
                let parent_path = parent.extensions().get::<Timing<RING, SHARDS, BUCKETS>>().and_then(|t| t.path);
                parent_path.and_then(|p| op.path_under(Some(p)))
            }
        };
        span.extensions_mut().insert(Timing::<RING, SHARDS, BUCKETS> {
            op,
            path,
            start: FastClock.ticks(),
            children_ns: AtomicU64::new(0),
            entered_at: 0,
            entered: 0,
            busy_ns: 0,
        });
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        if !self.busy {
            return;
        }
        let Some(span) = ctx.span(id) else { return };
        let mut ext = span.extensions_mut();
        if let Some(t) = ext.get_mut::<Timing<RING, SHARDS, BUCKETS>>() {
            if t.entered == 0 {
                t.entered_at = FastClock.ticks();
            }
            t.entered = t.entered.saturating_add(1);
        }
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        if !self.busy {
            return;
        }
        let Some(span) = ctx.span(id) else { return };
        let mut ext = span.extensions_mut();
        if let Some(t) = ext.get_mut::<Timing<RING, SHARDS, BUCKETS>>() {
            t.entered = t.entered.saturating_sub(1);
            if t.entered == 0 {
                t.busy_ns = t.busy_ns.saturating_add(saturating_ns(FastClock.since(t.entered_at)));
            }
        }
    }

    fn on_close(&self, id: span::Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let Some(t) = span.extensions_mut().remove::<Timing<RING, SHARDS, BUCKETS>>() else { return };
        let d = FastClock.since(t.start);
        let mut sample = Sample::new(d, 0);
        if self.busy {
            sample = sample.with_cpu_time(Duration::from_nanos(t.busy_ns));
        }
        t.op.close_scope(&sample, t.path, t.children_ns.load(Ordering::Relaxed));
        // On the timeline, on the track of the thread that closes it.
        if timeline::recording() {
            timeline::scope(t.op.paths().id(), t.op.index(), t.start, saturating_ns(d));
        }
        if self.busy
            && let Some(p) = t.path
        {
            // After the record, as a `Timed` future's: the time it was alive
            // and not entered.
            t.op.paths().record_idle(p, saturating_ns(d).saturating_sub(t.busy_ns));
        }
        if t.path.is_some()
            && let Some(parent) = span.parent()
            && let Some(p) = parent.extensions().get::<Timing<RING, SHARDS, BUCKETS>>()
        {
            p.children_ns.fetch_add(saturating_ns(d), Ordering::Relaxed);
        }
    }
}
