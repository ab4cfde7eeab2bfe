//! One attribute per function: `#[perftrack::measure]` times each call into
//! the process-wide tracker, `perftrack::measure_block!` times a block in
//! one line, and `#[perftrack::main]` prints the report to stderr when
//! `main` returns.
//!
//! ```text
//! cargo run --release --example measured
//! PERFTRACK_OUT=json=run.jsonl,folded=run.folded cargo run --example measured --features serde
//! cargo build --release --example measured --features off   # no instrumentation at all
//! ```

use core::hint::black_box;

#[perftrack::measure]
fn tokenize(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

#[perftrack::measure]
fn checksum(words: &[&str]) -> u64 {
    words
        .iter()
        .flat_map(|w| w.bytes())
        .fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

#[perftrack::measure]
fn handle(line: &str) -> u64 {
    let words = tokenize(line);
    checksum(&words)
}

#[perftrack::main]
fn main() {
    let mut total = 0u64;
    for i in 0..20_000u64 {
        let line = perftrack::measure_block!("format_request", {
            format!("request {i} from client {} with payload {}", i % 7, i * 31)
        });
        total = total.wrapping_add(handle(black_box(&line)));
    }
    println!("checksum of all requests: {total:x}");
}
