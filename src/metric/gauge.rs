//! `Gauge`: a value that goes up and down.

use core::fmt;

use crate::metric::Values;
use crate::sync::Ordering;

/// A gauge, resolved once by [`Tracker::gauge`](crate::Tracker::gauge):
/// `Copy`, `Send` and `Sync`. One word holding an `f64`.
///
/// `set` is one store. `increment` and `decrement` add with a
/// compare-and-swap loop, so concurrent additions are each applied exactly
/// once (lock-free; a CAS retries only when another thread changed the gauge
/// in between). The `metrics` crate's vocabulary: `set`, `increment`,
/// `decrement`, `get`.
///
/// ```
/// use perftrack::Tracker;
///
/// static T: Tracker<4, 8> = Tracker::new();
/// let depth = T.gauge("queue_depth")?;
/// depth.set(10.0);
/// std::thread::scope(|s| {
///     s.spawn(|| for _ in 0..1000 { depth.increment(1.0) });
///     s.spawn(|| for _ in 0..1000 { depth.decrement(1.0) });
/// });
/// assert_eq!(depth.get(), 10.0);
/// # Ok::<(), perftrack::TrackerError>(())
/// ```
#[derive(Clone, Copy)]
pub struct Gauge<'t> {
    bits: &'t crate::sync::AtomicU64,
}

impl<'t> Gauge<'t> {
    pub(crate) fn over<const SHARDS: usize>(values: &'t Values<SHARDS>) -> Self {
        Self { bits: &values.word }
    }

    /// Sets the value.
    pub fn set(&self, value: f64) {
        // Relaxed: the gauge is its own only datum.
        self.bits.store(value.to_bits(), Ordering::Relaxed);
    }

    /// Adds `delta`.
    pub fn increment(&self, delta: f64) {
        let mut old = self.bits.load(Ordering::Relaxed);
        loop {
            let new = (f64::from_bits(old) + delta).to_bits();
            // Relaxed: as in `set`; the CAS itself makes each addition land
            // once.
            match self.bits.compare_exchange_weak(old, new, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return,
                Err(now) => old = now,
            }
        }
    }

    /// Subtracts `delta`.
    pub fn decrement(&self, delta: f64) {
        self.increment(-delta);
    }

    /// The value (0 before the first `set` or addition).
    #[must_use]
    pub fn get(&self) -> f64 {
        f64::from_bits(self.bits.load(Ordering::Relaxed))
    }
}

impl fmt::Debug for Gauge<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gauge").field("value", &self.get()).finish()
    }
}
