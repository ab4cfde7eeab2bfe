//! One `/metrics` body from three sources, as an application that already
//! uses prometheus-client would serve it: its own counter, a tracker joined
//! through `PerftrackCollector`, and a second tracker written with a prefix
//! and constant labels of its own and appended (`write_openmetrics_with`).
//! `scripts/export.sh` hands the output to `promtool check metrics`.
//!
//! ```text
//! cargo run --example combined_exposition --features prometheus-client | promtool check metrics
//! ```

use core::time::Duration;

use perftrack::{Tracker, export::ExportOptions, integrations::PerftrackCollector};
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

static REQUESTS: Tracker<4, 16> = Tracker::new();
static WORKER: Tracker<4, 16> = Tracker::new();

fn main() -> Result<(), Box<dyn core::error::Error>> {
    for i in 0..50u64 {
        // With allocation counts, as a CountingAlloc would give them.
        let sample = perftrack::Sample::new(Duration::from_micros(100 + i), 512).with_allocations(2);
        REQUESTS.record_sample("handle \"GET /\"", &sample)?;
        WORKER.record("compress", Duration::from_micros(40 + i), 4096)?;
    }
    let mut registry = Registry::default();
    // A gauge rather than a counter: promtool lints with the older text
    // parser, which reads any counter's `_total` sample as a family without
    // help text (prometheus-client's own counters included).
    let in_flight: Gauge = Gauge::default();
    in_flight.set(3);
    registry.register("app_requests_in_flight", "Requests being served now.", in_flight);
    registry.register_collector(Box::new(PerftrackCollector::new(&REQUESTS)));

    let mut body = String::new();
    prometheus_client::encoding::text::encode_registry(&mut body, &registry)?;
    let opts = ExportOptions::new().prefix("worker").labels(&[("instance", "w1"), ("service", "media")]);
    WORKER.write_openmetrics_with(&mut body, &opts)?; // ends with the one `# EOF`
    print!("{body}");
    Ok(())
}
