//! What the integration tests share: a bound for timed sleeps, a future
//! polled to ready on the test's thread, and a future that suspends.

use core::future::Future;
use core::pin::{Pin, pin};
use core::task::{Context, Poll, Waker};
use core::time::Duration;

/// Whether `measured`, read from perftrack's fast clock, covers `slept`, a
/// sleep by the OS clock. The fast clock is calibrated against the OS clock
/// to within 1% (`the_fast_clock_agrees_with_the_os_clock_over_20_ms`), and a
/// sleep may end within a microsecond of its time, so a correct reading of
/// it can fall a little short: 1% of slack, which no test's other bound
/// comes near.
#[allow(dead_code, reason = "each test file that includes this module uses what it needs")]
pub fn covers(measured: Duration, slept: Duration) -> bool {
    measured + slept / 100 >= slept
}

/// [`covers`] for a reading in nanoseconds, such as a folded stack's weight.
#[allow(dead_code, reason = "each test file that includes this module uses what it needs")]
pub fn covers_ns(measured_ns: u64, slept: Duration) -> bool {
    covers(Duration::from_nanos(measured_ns), slept)
}

/// Polls `fut` to ready on this thread with a waker that does nothing: for
/// futures that never wait on anything that would wake them, or that wake
/// themselves.
#[allow(dead_code, reason = "each test file that includes this module uses what it needs")]
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

/// Pending `n` times, waking itself each time, then ready: an `.await`
/// where an executor may switch to another task (and where a future dropped
/// while pending is a cancelled call).
#[allow(dead_code, reason = "each test file that includes this module uses what it needs")]
pub struct Pending(pub u32);

impl Future for Pending {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 == 0 {
            return Poll::Ready(());
        }
        self.0 -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
