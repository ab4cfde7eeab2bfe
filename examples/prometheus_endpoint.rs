//! Serves `/metrics` (OpenMetrics 1.0) over HTTP while worker threads record.
//!
//! ```text
//! cargo run --release --example prometheus_endpoint -- 127.0.0.1:9187 60
//! ```
//!
//! Arguments: the address to listen on (default `127.0.0.1:9187`) and how
//! many seconds to serve before exiting (default 60), so that it never
//! outlives a test run. HTTP is tiny_http's: no hand-rolled parser.

use core::sync::atomic::{AtomicBool, Ordering};
use core::time::Duration;
use std::thread;
use std::time::Instant;

use perftrack::{OPENMETRICS_CONTENT_TYPE, PerformanceTracker};

static TRACKER: PerformanceTracker = PerformanceTracker::new();

fn main() {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:9187".into());
    let secs: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(60);
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
                let mut body = String::new();
                // Writing to a String cannot fail.
                let _ = TRACKER.write_openmetrics(&mut body);
                let header = tiny_http::Header::from_bytes("Content-Type", OPENMETRICS_CONTENT_TYPE)
                    .expect("a valid static header");
                tiny_http::Response::from_string(body).with_header(header)
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
