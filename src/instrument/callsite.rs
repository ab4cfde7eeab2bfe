//! `CallSite`: what `#[perftrack::measure]` leaves at each instrumented
//! function, a `static` that resolves the function's operation once and
//! keeps its slot index, so that a call never looks a name up.
//!
//! The macro crate stays thin: it emits a `CallSite`, the tracker expression
//! and a [`SiteName`], and calls [`CallSite::guard`] or
//! [`CallSite::operation`]; naming and resolution live here.

use core::fmt::Write;
use core::sync::atomic::{AtomicUsize, Ordering};

use crate::instrument::guard::ScopeGuard;
use crate::instrument::warn;
use crate::name::{MAX_NAME_LEN, Name};
use crate::operation::{Operation, Recorder};
use crate::tracker::Tracker;

/// How an instrumented function is named (see [`SiteName::resolve`]).
#[derive(Debug, Clone, Copy)]
pub enum SiteName {
    /// `name = "…"` given to the attribute: used as it is.
    Given(&'static str),
    /// A free function: its crate's `module_path!()` and its name.
    Path(&'static str, &'static str),
    /// A function in an `impl` block: `type_name::<Self>()` and its name.
    Method(&'static str, &'static str),
}

impl SiteName {
    /// The operation name: the function's path within its crate, ending
    /// with its name: `parser::parse` for `fn parse` in module `parser`,
    /// `Svc::alpha` for a method of `Svc` at the crate root, with the crate
    /// name and any generic arguments left out. A path longer than
    /// [`MAX_NAME_LEN`] loses its leading segments until it fits (the
    /// function's own name always stays); a function name longer than that
    /// alone keeps its last `MAX_NAME_LEN` bytes.
    #[must_use]
    pub fn resolve(self) -> Name {
        let (prefix, function) = match self {
            Self::Given(name) => return last_bytes(name),
            Self::Path(module, function) => (module, function),
            Self::Method(type_name, function) => (type_name, function),
        };
        // Leave out the crate (the first segment) and generic arguments.
        let prefix = prefix.split_once('<').map_or(prefix, |(p, _)| p);
        let prefix = prefix.split_once("::").map_or("", |(_, rest)| rest);
        path_name(prefix, function)
    }
}

/// `prefix::last` as an operation name: a `::` path that loses whole leading
/// segments until it fits [`MAX_NAME_LEN`], so it always ends with `last`;
/// a `last` longer than that alone keeps its last `MAX_NAME_LEN` bytes. An
/// empty prefix gives `last`.
pub(crate) fn path_name(prefix: &str, last: &str) -> Name {
    let mut path: heapless::String<256> = heapless::String::new();
    for segment in prefix.split("::").filter(|s| !s.is_empty()).chain([last]) {
        if !path.is_empty() && path.push_str("::").is_err() {
            break;
        }
        if path.push_str(segment).is_err() {
            break;
        }
    }
    // Whole segments off the front until it fits.
    let mut rest = path.as_str();
    while rest.len() > MAX_NAME_LEN {
        match rest.split_once("::") {
            Some((_, tail)) => rest = tail,
            None => break,
        }
    }
    last_bytes(rest)
}

/// The last `MAX_NAME_LEN` bytes of `s` (all of it if it fits), cut at a
/// character boundary.
fn last_bytes(s: &str) -> Name {
    let mut start = s.len().saturating_sub(MAX_NAME_LEN);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    let mut name = Name::new();
    // It fits: at most MAX_NAME_LEN bytes.
    let _ = name.write_str(&s[start..]);
    name
}

/// A slot index not yet resolved.
const UNRESOLVED: usize = 0;
/// Resolution failed (a full tracker, or an empty name): not retried, since a
/// registry never frees a slot.
const REFUSED: usize = usize::MAX;

/// One instrumented function's operation, resolved at its first call and
/// kept as a slot index (`index + 1`; 0 before the first call).
///
/// Each call site names one tracker: the `tracker = …` expression of its
/// attribute must give the same tracker at every call (the index is that
/// tracker's).
#[derive(Debug)]
pub struct CallSite {
    slot: AtomicUsize,
}

impl CallSite {
    /// A call site not yet resolved.
    #[must_use]
    pub const fn new() -> Self {
        Self { slot: AtomicUsize::new(UNRESOLVED) }
    }

    /// The operation of this call site in `tracker`, registering the name
    /// `name` makes at the first call (a closure, so that later calls do
    /// not build it); `None` when the tracker refused it (full, or an
    /// empty name), which is then not tried again. After the first call
    /// the handle carries no name (`Operation::name` is empty): a call site
    /// only times and records, and skips loading it.
    #[inline]
    pub fn operation<'t, const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>(
        &self,
        tracker: &'t Tracker<OPS, RING, SHARDS, BUCKETS>,
        name: impl FnOnce() -> SiteName,
    ) -> Option<Operation<'t, RING, SHARDS, BUCKETS>> {
        // Relaxed: the index names a slot that `operation_at` checks is
        // published (an Acquire load of its state) before using it.
        match self.slot.load(Ordering::Relaxed) {
            UNRESOLVED => self.resolve(tracker, name()),
            REFUSED => None,
            i => tracker.operation_at(i - 1),
        }
    }

    #[cold]
    fn resolve<'t, const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>(
        &self,
        tracker: &'t Tracker<OPS, RING, SHARDS, BUCKETS>,
        name: SiteName,
    ) -> Option<Operation<'t, RING, SHARDS, BUCKETS>> {
        let name = name.resolve();
        match tracker.operation(&name) {
            Ok(op) => {
                // Two threads resolving at once get the same slot (I4), so
                // either store is right.
                self.slot.store(op.index() + 1, Ordering::Relaxed);
                Some(op)
            }
            Err(e) => {
                warn::refused(name.as_str(), e);
                self.slot.store(REFUSED, Ordering::Relaxed);
                None
            }
        }
    }

    /// A guard over the rest of the calling function: [`Operation::time`]
    /// on this call site's operation, or `None` when the tracker refused it
    /// (the function then runs untimed).
    #[inline]
    pub fn guard<'t, const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>(
        &self,
        tracker: &'t Tracker<OPS, RING, SHARDS, BUCKETS>,
        name: impl FnOnce() -> SiteName,
    ) -> Option<ScopeGuard<'t, RING, SHARDS, BUCKETS>> {
        // From the cached index straight to the slot: no name or labels
        // copied, and the name itself made only on the first call.
        match self.slot.load(Ordering::Relaxed) {
            UNRESOLVED => self.resolve(tracker, name()).map(|op| op.time()),
            REFUSED => None,
            i => tracker.recorder_at(i - 1).map(Recorder::time),
        }
    }
}

impl Default for CallSite {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::{CallSite, SiteName};
    use crate::name::MAX_NAME_LEN;
    use crate::tracker::Tracker;

    #[test]
    fn names_are_the_path_within_the_crate_ending_with_the_function() {
        assert_eq!(SiteName::Path("app", "main").resolve().as_str(), "main");
        assert_eq!(SiteName::Path("app::parser", "parse").resolve().as_str(), "parser::parse");
        assert_eq!(SiteName::Method("app::Svc", "alpha").resolve().as_str(), "Svc::alpha");
        assert_eq!(SiteName::Method("app::svc::Svc<u32, app::X>", "alpha").resolve().as_str(), "svc::Svc::alpha");
        assert_eq!(SiteName::Given("custom name").resolve().as_str(), "custom name");
    }

    #[test]
    fn a_long_path_loses_leading_segments_and_keeps_the_function() {
        let module = "app::a_rather_long_module_name::another_quite_long_module_name::third";
        let name = SiteName::Path(module, "the_function").resolve();
        assert!(name.len() <= MAX_NAME_LEN);
        assert_eq!(name.as_str(), "another_quite_long_module_name::third::the_function");
        // 100 bytes of function name; 40 two-byte characters.
        const LONG_FN: &str = concat!(
            "f123456789",
            "f123456789",
            "f123456789",
            "f123456789",
            "f123456789",
            "f123456789",
            "f123456789",
            "f123456789",
            "f123456789",
            "f123456789"
        );
        const WIDE: &str = "éééééééééééééééééééééééééééééééééééééééé";
        let name = SiteName::Path("app", LONG_FN).resolve();
        assert_eq!(name.as_str(), &LONG_FN[100 - MAX_NAME_LEN..], "the last MAX_NAME_LEN bytes");
        let name = SiteName::Given(WIDE).resolve();
        assert!(name.len() <= MAX_NAME_LEN && name.chars().all(|c| c == 'é'), "cut at a character boundary");
        assert_eq!(name.len(), MAX_NAME_LEN);
    }

    #[test]
    fn a_call_site_resolves_once_and_a_full_tracker_refuses_it_for_good() {
        let t: Tracker<1, 4, 1> = Tracker::new();
        let (a, b) = (CallSite::new(), CallSite::new());
        assert_eq!(a.operation(&t, || SiteName::Given("a")).unwrap().name(), "a");
        let again = a.operation(&t, || SiteName::Given("ignored once resolved")).unwrap();
        again.record(core::time::Duration::from_nanos(3), 0);
        assert_eq!(t.summary("a").unwrap().count, 1, "the cached index names the first slot");
        assert!(b.operation(&t, || SiteName::Given("b")).is_none(), "the tracker is full");
        assert!(b.operation(&t, || SiteName::Given("b")).is_none());
        assert_eq!(t.len(), 1);
    }
}
