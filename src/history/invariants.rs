//! What a summary read back from a history file must keep: the invariants
//! every summary perftrack takes holds, checked so that a corrupt line is an
//! error rather than figures that contradict each other.

use std::format;
use std::string::String;

use crate::summary::{MetricsSummary, saturating_ns};

/// The first of the invariants every summary keeps that `s` breaks, if any.
pub(crate) fn broken_invariant<const B: usize>(s: &MetricsSummary<B>) -> Option<String> {
    let d = &s.distribution;
    if d.count() != s.count {
        return Some(format!("the histogram's buckets sum to {} but count is {}", d.count(), s.count));
    }
    if s.min_duration > s.max_duration {
        return Some(format!("min_duration_ns {:?} > max_duration_ns {:?}", s.min_duration, s.max_duration));
    }
    if s.cpu_samples > s.count {
        return Some(format!("cpu_samples {} > count {}", s.cpu_samples, s.count));
    }
    if s.count == 0 {
        return None;
    }
    if (d.min(), d.max()) != (Some(s.min_duration), Some(s.max_duration)) {
        return Some(format!(
            "the extremes {:?}..={:?} differ from the histogram's {:?}..={:?}",
            s.min_duration,
            s.max_duration,
            d.min(),
            d.max()
        ));
    }
    let ladder = [s.min_duration, s.p50, s.p90, s.p99, s.p999, s.max_duration];
    if ladder.windows(2).any(|w| w[0] > w[1]) {
        return Some(format!("min <= p50 <= p90 <= p99 <= p999 <= max does not hold: {ladder:?}"));
    }
    let avg = |total: u64| total / s.count;
    if !s.saturated
        && (saturating_ns(s.avg_duration) != avg(saturating_ns(s.total_duration))
            || s.avg_memory != avg(s.total_memory))
    {
        return Some(String::from("an average is not its total divided by the count"));
    }
    None
}
