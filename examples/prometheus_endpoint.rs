//! Serves `/metrics` over HTTP while worker threads record: the protobuf
//! exposition, with native histograms, when the scraper's `Accept` header
//! prefers it (Prometheus with `--enable-feature=native-histograms`), and
//! OpenMetrics 1.0 text otherwise.
//!
//! ```text
//! cargo run --release --example prometheus_endpoint -- 127.0.0.1:9187 60
//! ```
//!
//! Arguments: the address to listen on (default `127.0.0.1:9187`), how many
//! seconds to serve before exiting (default 60, so that it never outlives a
//! test run), and optionally a fleet workload of `fleet_request` records
//! made at start-up, so that a test can check what Prometheus computes over
//! several processes (see `scripts/export.sh`): `1` or `2`, a fixed set of
//! 10,000 (see `fleet_workload` below), or the path of a file of durations
//! in nanoseconds, one per line, to replay. HTTP is tiny_http's: no
//! hand-rolled parser.

use core::sync::atomic::{AtomicBool, Ordering};
use core::time::Duration;
use std::thread;
use std::time::Instant;

use perftrack::{PerformanceTracker, export::Exposition};

static TRACKER: PerformanceTracker = PerformanceTracker::new();

/// Fleet workload `w`'s durations in nanoseconds: 10,000 values spread
/// evenly (in a scrambled order) over 1 µs to 101 µs for workload 1, and
/// 50 µs to 1.05 ms for workload 2. `scripts/export.sh` computes the same
/// values to find the exact p99 of the two merged.
fn fleet_workload(w: u64) -> impl Iterator<Item = u64> {
    let (base, step, mult) = if w == 1 { (1_000, 10, 7_919) } else { (50_000, 100, 104_729) };
    (0..10_000u64).map(move |i| base + (i * mult % 10_000) * step)
}

/// The durations in a file, in nanoseconds, one per line (blank lines
/// skipped); an error names the first line that is not a whole number.
fn replay(path: &str) -> Result<Vec<u64>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    lines.map(|(i, l)| l.trim().parse().map_err(|e| format!("{path}, line {}: {l:?}: {e}", i + 1))).collect()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:9187".into());
    let secs: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(60);
    if let Some(workload) = args.next() {
        let durations = match workload.as_str() {
            "1" | "2" => fleet_workload(workload.parse().unwrap_or(1)).collect(),
            path => replay(path).unwrap_or_else(|e| {
                eprintln!("the fleet workload must be 1, 2 or a file of durations in ns, one per line: {e}");
                std::process::exit(2);
            }),
        };
        let op = TRACKER.operation("fleet_request").expect("a valid name in an empty tracker");
        for ns in durations {
            op.record(Duration::from_nanos(ns), 0);
        }
    }
    let server = match tiny_http::Server::http(&addr) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot listen on {addr}: {e}");
            std::process::exit(2);
        }
    };
    println!("serving http://{addr}/metrics for {secs} s");

    let stop = AtomicBool::new(false);
    thread::scope(|s| {
        for (i, name) in ["handle_request", "db_query", "render \"page\""].into_iter().enumerate() {
            let stop = &stop;
            s.spawn(move || {
                let op = TRACKER.operation(name).expect("3 names fit");
                let mut k = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let t0 = Instant::now();
                    thread::sleep(Duration::from_micros(200 * (i as u64 + 1) + k % 300));
                    op.record(t0.elapsed(), 1024 * (k % 8));
                    k += 1;
                }
            });
        }

        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            let Ok(Some(req)) = server.recv_timeout(Duration::from_millis(200)) else { continue };
            let response = if req.url() == "/metrics" {
                let accept = req.headers().iter().find(|h| h.field.equiv("Accept")).map(|h| h.value.as_str());
                let format = Exposition::negotiate(accept);
                let mut body = Vec::new();
                format.write(&*TRACKER, &mut body);
                let header = tiny_http::Header::from_bytes("Content-Type", format.content_type())
                    .expect("a valid static header");
                tiny_http::Response::from_data(body).with_header(header)
            } else {
                tiny_http::Response::from_string("not found: try /metrics\n").with_status_code(404)
            };
            if let Err(e) = req.respond(response) {
                eprintln!("response failed: {e}");
            }
        }
        stop.store(true, Ordering::Relaxed);
    });
    TRACKER.print_report();
}
