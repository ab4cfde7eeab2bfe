//! Counters and gauges in fixed memory ([`Counter`], [`Gauge`], from
//! `Tracker::counter` and `Tracker::gauge`), and their values read out
//! ([`MetricReading`], [`MetricValue`]).

// How it is built:
// Counters and gauges: the `metrics` crate's vocabulary, in fixed memory.
//
// A tracker keeps `OPS` of them beside its `OPS` operations, in the
// [`Metrics`] table: each entry a kind, a name and a label set, claimed
// without locks exactly as operation slots are (`registry.rs`: in index
// order, one CAS, the key published with a `Release` store), and its
// values:
//
// * a [`Counter`] is `SHARDS` cache-padded cells; a thread adds to the cell
//   of its shard (its hint, as a record picks its shard) with one
//   `fetch_add`, so threads on different shards never share a line, and
//   `get` sums the cells. Wait-free;
// * a [`Gauge`] is one word holding an `f64`: `set` stores it, `increment`
//   and `decrement` add with a compare-and-swap loop, so concurrent
//   additions are each applied once (lock-free).

pub(crate) mod clash;
pub(crate) mod counter;
pub(crate) mod gauge;
pub(crate) mod reading;

pub use counter::Counter;
pub use gauge::Gauge;
pub use reading::{MetricReading, MetricValue};

use crate::backoff::Backoff;
use crate::error::Clash;
use crate::error::TrackerError;
use crate::families::{DEFAULT_PREFIX, Shape};
use crate::hints::{KeyHints, key_of};
use crate::labels::{LabelCell, Labels};
use crate::metric::clash::{Pieces, meet, own_met_by};
use crate::name::{NameBuf, NameCell};
use crate::platform;
use crate::record::padded::CachePadded;
use crate::sync::{AtomicU8, AtomicU64, Ordering, array_of, const_fn};

const FREE: u8 = 0;
const CLAIMED: u8 = 1;
const READY: u8 = 2;

/// What an entry of the table is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Counter = 1,
    Gauge = 2,
}

/// One entry's key: its state, kind, name and labels.
struct Entry {
    state: AtomicU8,
    kind: AtomicU8,
    name: NameCell,
    labels: LabelCell,
}

impl Entry {
    const_fn! {
        const fn new() -> Self {
            Self { state: AtomicU8::new(FREE), kind: AtomicU8::new(0), name: NameCell::new(), labels: LabelCell::new() }
        }
    }

    fn is_ready(&self) -> bool {
        // Acquire: pairs with the Release publish in `resolve`.
        self.state.load(Ordering::Acquire) == READY
    }

    fn matches(&self, name: &NameBuf, labels: &Labels) -> bool {
        self.name.matches(name) && self.labels.matches(labels)
    }
}

/// A counter's or gauge's values: the counter's shard cells, and one more
/// word (a gauge's `f64` bits, or the floor a counter's `absolute` set).
pub(crate) struct Values<const SHARDS: usize> {
    pub(crate) cells: [CachePadded<AtomicU64>; SHARDS],
    pub(crate) word: AtomicU64,
}

impl<const SHARDS: usize> Values<SHARDS> {
    const_fn! {
        const fn new() -> Self {
            Self { cells: array_of![CachePadded::new(AtomicU64::new(0)); SHARDS], word: AtomicU64::new(0) }
        }
    }
}

/// The counters and gauges of a tracker: `N` entries.
pub(crate) struct Metrics<const N: usize, const SHARDS: usize> {
    entries: [Entry; N],
    /// A hash of each published entry's key, read before the entries
    /// (`hints.rs`).
    hints: KeyHints<N>,
    values: [Values<SHARDS>; N],
}

/// One registered counter or gauge, as the exporters read it.
pub(crate) struct Registered<'a, const SHARDS: usize> {
    pub(crate) kind: Kind,
    pub(crate) name: NameBuf,
    pub(crate) labels: Labels,
    pub(crate) values: &'a Values<SHARDS>,
}

impl<const N: usize, const SHARDS: usize> Metrics<N, SHARDS> {
    const_fn! {
        pub(crate) const fn new() -> Self {
            Self {
                entries: array_of![Entry::new(); N],
                hints: KeyHints::new(),
                values: array_of![Values::new(); N],
            }
        }
    }

    /// The values of `kind` `name` `labels`, registering them if new.
    ///
    /// # Errors
    ///
    /// [`TrackerError::KindMismatch`] when the name and labels are another
    /// kind's; [`TrackerError::NameClash`] when a new family's name would
    /// meet perftrack's own (at the default prefix) or another registered
    /// family's in an exposition; [`TrackerError::Full`] when every entry
    /// holds another.
    pub(crate) fn resolve(&self, kind: Kind, name: &NameBuf, labels: &Labels) -> Result<&Values<SHARDS>, TrackerError> {
        let of_kind = |entry: &Entry, values| {
            if entry.kind.load(Ordering::Relaxed) == kind as u8 { Ok(values) } else { Err(TrackerError::KindMismatch) }
        };
        // The hints first, as the registry's lookup does (`hints.rs`): the
        // entries they pass are published with other keys.
        let key = key_of(name, labels);
        let start = match self.hints.find(key, |i| self.entries.get(i).is_some_and(|e| e.matches(name, labels))) {
            Ok(index) => match (self.entries.get(index), self.values.get(index)) {
                (Some(entry), Some(values)) => return of_kind(entry, values),
                // `find` gives an index below N: not taken.
                _ => 0,
            },
            Err(start) => start,
        };
        for (index, (entry, values)) in self.entries.iter().zip(&self.values).enumerate().skip(start) {
            let mut backoff = Backoff::new();
            loop {
                // Acquire: as in `Entry::is_ready`.
                match entry.state.load(Ordering::Acquire) {
                    READY if entry.matches(name, labels) => return of_kind(entry, values),
                    READY => break,
                    FREE => {
                        // New: its family must not meet another's. Two
                        // registrars of clashing names racing here can both
                        // pass; the writers check again (`exported`).
                        if let Some(clash) = self.clash(kind, name) {
                            return Err(TrackerError::NameClash(clash));
                        }
                        // A registrar of the same key waits while this entry
                        // is claimed: no fork may fall between the claim and
                        // the publish (`platform/hosted/fork.rs`).
                        let section = platform::enter();
                        if entry.state.compare_exchange(FREE, CLAIMED, Ordering::Acquire, Ordering::Relaxed).is_ok() {
                            entry.kind.store(kind as u8, Ordering::Relaxed);
                            entry.name.store(name);
                            entry.labels.store(labels);
                            // Release: pairs with the Acquire loads above and in `is_ready`.
                            entry.state.store(READY, Ordering::Release);
                            self.hints.publish(index, key);
                            platform::leave(section);
                            return Ok(values);
                        }
                        platform::leave(section);
                    }
                    _ => backoff.snooze(),
                }
            }
        }
        Err(TrackerError::Full)
    }

    /// What a new series of `kind` `name` would clash with: perftrack's own
    /// families at the default prefix, or another registered family.
    fn clash(&self, kind: Kind, name: &NameBuf) -> Option<Clash> {
        self.clash_among(DEFAULT_PREFIX, kind, name, self.registered().enumerate())
    }

    /// The first family that the family of `kind` `name` would meet under
    /// `prefix` (`clash.rs`): one of perftrack's own, or one of `others`
    /// (registered series, by index) of another name or kind.
    fn clash_among<'s>(
        &self,
        prefix: &str,
        kind: Kind,
        name: &NameBuf,
        mut others: impl Iterator<Item = (usize, Registered<'s, SHARDS>)>,
    ) -> Option<Clash> {
        if let Some(own) = own_met_by(prefix, name.as_str(), kind) {
            return Some(Clash::Perftrack(own));
        }
        let mine = Pieces::plain(name.as_str());
        others.find_map(|(index, m)| {
            let other = (m.kind != kind || m.name != *name)
                && meet(mine, Shape::of(kind), Pieces::plain(m.name.as_str()), Shape::of(m.kind));
            other.then_some(match m.kind {
                Kind::Counter => Clash::Counter { index },
                Kind::Gauge => Clash::Gauge { index },
            })
        })
    }

    /// Every registered counter and gauge, in registration order.
    pub(crate) fn registered(&self) -> impl Iterator<Item = Registered<'_, SHARDS>> {
        self.entries.iter().zip(&self.values).take_while(|(e, _)| e.is_ready()).map(|(e, values)| Registered {
            kind: if e.kind.load(Ordering::Relaxed) == Kind::Gauge as u8 { Kind::Gauge } else { Kind::Counter },
            name: e.name.load(),
            labels: e.labels.load(),
            values,
        })
    }
}

impl<const N: usize, const SHARDS: usize> Metrics<N, SHARDS> {
    /// One entry per family (a name and a kind), the first of its series
    /// in registration order, with its index: what an exposition writes a
    /// family's `TYPE` and `HELP` from.
    pub(crate) fn families(&self) -> impl Iterator<Item = (usize, Registered<'_, SHARDS>)> {
        self.registered()
            .enumerate()
            .filter(move |(i, first)| !self.registered().take(*i).any(|m| m.same_family(first)))
    }

    /// The families an exposition under `prefix` writes: those of
    /// [`families`](Self::families) that [`fits`](Self::fits).
    pub(crate) fn exported<'s>(
        &'s self,
        prefix: &'s str,
    ) -> impl Iterator<Item = (usize, Registered<'s, SHARDS>)> + 's {
        self.families().filter(move |(i, f)| self.fits(prefix, *i, f))
    }

    /// How many families an exposition under `prefix` leaves out.
    pub(crate) fn left_out(&self, prefix: &str) -> usize {
        self.families().filter(|(i, f)| !self.fits(prefix, *i, f)).count()
    }

    /// Whether the family whose first series is entry `index`, `first`,
    /// can be written under `prefix`: its names meet neither perftrack's own
    /// families' nor those of a series registered before it.
    fn fits(&self, prefix: &str, index: usize, first: &Registered<'_, SHARDS>) -> bool {
        self.clash_among(prefix, first.kind, &first.name, self.registered().enumerate().take(index)).is_none()
    }

    /// The series of the family whose first series is entry `first`.
    pub(crate) fn family(&self, first: usize) -> impl Iterator<Item = Registered<'_, SHARDS>> {
        let lead = self.registered().nth(first);
        self.registered().skip(first).filter(move |m| lead.as_ref().is_some_and(|l| l.same_family(m)))
    }
}

impl<'a, const SHARDS: usize> Registered<'a, SHARDS> {
    /// Whether `other` is of this one's family: its name and its kind.
    fn same_family(&self, other: &Self) -> bool {
        self.kind == other.kind && self.name == other.name
    }

    /// A counter's value.
    pub(crate) fn counter(&self) -> u64 {
        Counter::over(self.values).get()
    }

    /// A gauge's value.
    pub(crate) fn gauge(&self) -> f64 {
        Gauge::over(self.values).get()
    }
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`: a Prometheus metric name.
pub(crate) fn valid_metric_name(s: &str) -> bool {
    let mut cs = s.chars();
    cs.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && cs.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

#[cfg(test)]
mod tests {
    use super::{Kind, Metrics};
    use crate::error::TrackerError;
    use crate::hints::key_of;
    use crate::labels::Labels;
    use crate::metric::counter::Counter;
    use crate::name::NameBuf;

    #[test]
    fn counters_whose_keys_hash_alike_keep_their_own_values_and_kinds() {
        // The name hash covers the length and the first and last words:
        // these differ only in the middle word.
        let a = NameBuf::new("requests_a______bbb").expect("a valid name");
        let b = NameBuf::new("requests_b______bbb").expect("a valid name");
        assert_eq!(key_of(&a, &Labels::EMPTY), key_of(&b, &Labels::EMPTY), "the test needs a collision");
        let table = Metrics::<4, 1>::new();
        Counter::over(table.resolve(Kind::Counter, &a, &Labels::EMPTY).expect("room")).increment(2);
        Counter::over(table.resolve(Kind::Counter, &b, &Labels::EMPTY).expect("room")).increment(5);
        assert_eq!(Counter::over(table.resolve(Kind::Counter, &a, &Labels::EMPTY).expect("found")).get(), 2);
        assert_eq!(Counter::over(table.resolve(Kind::Counter, &b, &Labels::EMPTY).expect("found")).get(), 5);
        assert_eq!(table.registered().count(), 2);
        assert_eq!(table.resolve(Kind::Gauge, &b, &Labels::EMPTY).err(), Some(TrackerError::KindMismatch));
    }
}
