//! A nested workload, timed with scope guards, drawn as a flamegraph.
//!
//! ```text
//! cargo run --release --example flamegraph --features flamegraph
//! ```
//!
//! `request → parse → {tokenize, validate}` and `request → encode → compress`,
//! each step a fixed amount of real work. It prints the report with its call
//! tree, writes the folded stacks to `flamegraph.folded`, and, with the
//! `flamegraph` feature, draws `flamegraph.svg` (a path argument overrides
//! the SVG's name: `... --example flamegraph -- out.svg`).

use core::hint::black_box;
use core::time::Duration;
use std::time::Instant;

use perftrack::PerformanceTracker;

static TRACKER: PerformanceTracker = PerformanceTracker::new();

/// Spins for `d`: real work the clock sees, with no sleep's scheduling noise.
fn work(d: Duration) {
    let end = Instant::now() + d;
    let mut x = 0u64;
    while Instant::now() < end {
        x = black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
    }
}

fn tokenize() {
    TRACKER.measure("tokenize", || work(Duration::from_micros(300))).expect("a free slot");
}

fn validate() {
    TRACKER.measure("validate", || work(Duration::from_micros(100))).expect("a free slot");
}

fn parse() {
    let _g = TRACKER.time("parse").expect("a free slot");
    work(Duration::from_micros(50));
    tokenize();
    validate();
}

fn compress() {
    TRACKER.measure("compress", || work(Duration::from_micros(200))).expect("a free slot");
}

fn encode() {
    let _g = TRACKER.time("encode").expect("a free slot");
    work(Duration::from_micros(50));
    compress();
}

fn request() {
    let _g = TRACKER.time("request").expect("a free slot");
    work(Duration::from_micros(100));
    parse();
    encode();
}

fn main() -> Result<(), Box<dyn core::error::Error>> {
    for _ in 0..200 {
        request();
    }
    print!("{}", TRACKER.report());

    let mut folded = String::new();
    TRACKER.write_folded(&mut folded)?;
    std::fs::write("flamegraph.folded", &folded)?;
    println!("\nwrote flamegraph.folded ({} paths)", folded.lines().count());

    #[cfg(feature = "flamegraph")]
    {
        let path = std::env::args().nth(1).unwrap_or_else(|| "flamegraph.svg".into());
        let mut svg = std::io::BufWriter::new(std::fs::File::create(&path)?);
        TRACKER.write_flamegraph(&mut svg)?;
        println!("wrote {path}");
    }
    #[cfg(not(feature = "flamegraph"))]
    println!("(build with --features flamegraph to draw flamegraph.svg)");
    Ok(())
}
