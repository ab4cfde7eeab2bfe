//! The cost of one scrape of 1,000 series: `write_openmetrics` and
//! `write_protobuf` of a tracker of 1,000 labelled series (every one with
//! records across four decades), and of 1,000 labelled counters. Prints the
//! median of 21 runs and the body sizes.
//!
//! ```text
//! cargo bench -p perftrack-bench --bench exposition
//! ```

mod common;

use core::hint::black_box;
use core::time::Duration;
use std::time::Instant;

use perftrack::Tracker;

const SERIES: usize = 1_000;
const RUNS: usize = 21;

fn time(mut f: impl FnMut() -> usize) -> (f64, usize) {
    let mut ms = Vec::with_capacity(RUNS);
    let mut size = 0;
    for _ in 0..RUNS {
        let t0 = Instant::now();
        size = black_box(f());
        ms.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    (common::median(&mut ms), size)
}

fn main() {
    // One shard: the tracker of 1,000 series stays near 6 MB.
    let t: Box<Tracker<SERIES, 4, 1>> = Tracker::boxed();
    for i in 0..SERIES {
        let (route, status) = (format!("/r{}", i / 4), ["200", "404", "500", "503"][i % 4]);
        let op = t.operation_with_labels("http_request", &[("route", &route), ("status", status)]).unwrap();
        for k in 0..50u64 {
            op.record(Duration::from_nanos(1_000 + (k * 7919 + i as u64) % 10_000_000), 0);
        }
        t.counter_with_labels("http_responses", &[("route", &route), ("status", status)]).unwrap().increment(50);
    }
    let (text_ms, text_len) = time(|| {
        let mut s = String::new();
        t.write_openmetrics(&mut s).unwrap();
        s.len()
    });
    let (proto_ms, proto_len) = time(|| {
        let mut v = Vec::new();
        t.write_protobuf(&mut v).unwrap();
        v.len()
    });
    println!(
        "# {} (1 shard); {SERIES} labelled operation series and {SERIES} labelled counters; median of {RUNS} runs",
        common::cpu_model()
    );
    println!("write_openmetrics: {text_ms:.1} ms, {:.1} MB", text_len as f64 / 1e6);
    println!("write_protobuf:    {proto_ms:.1} ms, {:.1} MB", proto_len as f64 / 1e6);
}
