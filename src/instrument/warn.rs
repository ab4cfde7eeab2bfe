//! One line on stderr the first time an instrument of the std layer is
//! refused a slot: a `#[measure]` call site, a `Timer`, the tracing layer.
//! Without it, a function that a full tracker refuses runs untimed and
//! silent; `Tracker::refused` still counts every refusal.

use core::sync::atomic::{AtomicBool, Ordering};

use crate::error::TrackerError;

/// Whether this process has warned.
static WARNED: AtomicBool = AtomicBool::new(false);

/// Warns, once a process, that `name` was refused for want of a slot.
pub(crate) fn refused(name: &str, error: TrackerError) {
    // Relaxed: a flag for one message, ordering nothing else.
    if error == TrackerError::Full && !WARNED.swap(true, Ordering::Relaxed) {
        std::eprintln!(
            "perftrack: the tracker is full: `{name}` is not timed, nor is any other new name (Tracker::refused counts them; give the tracker more operations). Said once."
        );
    }
}
