//! What the custom-harness benches share: the machine's name for their
//! tables, the median they quote, and a future polled to ready.
#![allow(dead_code)] // each bench uses what it needs

/// The CPU's model name from `/proc/cpuinfo`, or `"unknown CPU"`.
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

/// The median of `v` (the upper one of an even count).
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Polls `fut` to ready on this thread with a waker that does nothing: the
/// benches' futures never wait on anything that would wake them, or wake
/// themselves.
pub fn block_on<F: core::future::Future>(fut: F) -> F::Output {
    let mut fut = core::pin::pin!(fut);
    let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
    loop {
        if let core::task::Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
    }
}
