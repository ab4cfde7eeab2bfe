//! Prints the OpenMetrics exposition of a tracker whose operation names
//! carry quotes, backslashes, a newline, spaces and non-ASCII text, with a
//! labelled series, a counter and gauges: the input `scripts/export.sh`
//! hands to `promtool check metrics`.
//!
//! ```text
//! cargo run --example openmetrics | promtool check metrics
//! ```

use core::time::Duration;

use perftrack::{Sample, Tracker};

fn main() -> Result<(), perftrack::TrackerError> {
    let t: Tracker<12, 16> = Tracker::new();
    let names = ["parse", "say \"hello\"", "back\\slash", "two\nlines", "with spaces", "größe ✓ 測定"];
    for (i, name) in names.iter().enumerate() {
        for k in 0..20u64 {
            // Allocation counts as a CountingAlloc would give them: the
            // allocations family is written once any operation has some.
            let sample = Sample::new(Duration::from_micros(10 * (i as u64 + 1) + k), 256 * k).with_allocations(k % 3);
            t.record_sample(name, &sample)?;
        }
    }
    t.operation("never_recorded")?; // a registered operation with no records
    // A labelled series of an operation, a labelled counter and two gauges.
    t.operation_with_labels("parse", &[("format", "json"), ("path", "a \"b\"\\c")])?
        .record(Duration::from_micros(7), 64);
    for (status, n) in [("200", 40), ("500", 2)] {
        t.counter_with_labels("http_requests", &[("status", status)])?.increment(n);
    }
    t.gauge("queue_depth")?.set(3.5);
    t.gauge_with_labels("temperature", &[("zone", "größe")])?.set(-1.25);
    // Names that would put a second family under one name (promtool: "second
    // TYPE line") are refused, so the exposition below stays valid.
    let clashing = [
        t.gauge("perftrack_operation_memory_bytes").err(),
        t.gauge("http_requests_total").err(),
        t.gauge("perftrack_operation_duration_seconds_count").err(),
        t.counter("perftrack_operation_duration_seconds").err(),
    ];
    for refused in clashing {
        match refused {
            Some(e @ perftrack::TrackerError::NameClash(_)) => eprintln!("refused: {e}"),
            _ => panic!("a clashing name was not refused: {refused:?}"),
        }
    }
    let mut out = String::new();
    t.write_openmetrics(&mut out).map_err(|_| perftrack::TrackerError::Full)?;
    print!("{out}");
    Ok(())
}
