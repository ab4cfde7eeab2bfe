//! A nested workload, timed with scope guards, drawn as a flamegraph.
//!
//! ```text
//! cargo run --release --example flamegraph --features flamegraph
//! ```
//!
//! `request → parse → {tokenize, validate}` and `request → encode → compress`,
//! each step a fixed amount of real work; then 400 concurrent async `serve`
//! calls on a one-thread executor, each waiting 1 ms on a timer around a
//! little work (`serve → render`). It prints the report with its call tree,
//! writes the folded stacks to `flamegraph.folded` (wall time) and
//! `flamegraph-busy.folded` (time on a thread), and, with the `flamegraph`
//! feature, draws both: `flamegraph.svg`, where the waiting `serve` calls
//! fill most of the width, and `flamegraph-busy.svg`, where they shrink to
//! their work (path arguments override the names: `... -- wall.svg busy.svg`).
//! It also records the run's timeline and writes it as `flamegraph.trace.json`
//! (a third argument overrides the name), Trace Event JSON for Perfetto,
//! `chrome://tracing` or speedscope: each of the 400 concurrent calls on a
//! track of its own.

use core::future::Future;
use core::hint::black_box;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use core::time::Duration;
use std::time::Instant;

use perftrack::{PerformanceTracker, export::Weight, timeline};

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

/// A timer: pending until its deadline (the executor below polls again).
struct Delay(Instant);

impl Future for Delay {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.0 { Poll::Ready(()) } else { Poll::Pending }
    }
}

/// A handler that mostly waits: 1 ms on a timer, 20 µs of its own work and
/// a 30 µs render.
async fn serve() {
    work(Duration::from_micros(20));
    Delay(Instant::now() + Duration::from_millis(1)).await;
    TRACKER.measure("render", || work(Duration::from_micros(30))).expect("a free slot");
}

/// Runs `count` `serve` calls at once on this thread, each timed as an
/// async call: polled round robin, with a short sleep when all are waiting.
fn serve_concurrently(count: usize) {
    let op = TRACKER.operation("serve").expect("a free slot");
    let mut tasks: Vec<Pin<Box<dyn Future<Output = ()>>>> =
        (0..count).map(|_| Box::pin(op.instrument(serve())) as Pin<Box<dyn Future<Output = ()>>>).collect();
    let mut cx = Context::from_waker(Waker::noop());
    while !tasks.is_empty() {
        tasks.retain_mut(|t| t.as_mut().poll(&mut cx).is_pending());
        std::thread::sleep(Duration::from_micros(100));
    }
}

fn main() -> Result<(), Box<dyn core::error::Error>> {
    timeline::enable(timeline::DEFAULT_EVENTS);
    for _ in 0..200 {
        request();
    }
    serve_concurrently(400);
    print!("{}", TRACKER.report());

    for (weight, path) in [(Weight::Wall, "flamegraph.folded"), (Weight::Busy, "flamegraph-busy.folded")] {
        let mut folded = String::new();
        TRACKER.write_folded_with(&mut folded, weight)?;
        std::fs::write(path, &folded)?;
        println!("\nwrote {path} ({} paths, {weight:?} time)", folded.lines().count());
    }

    let trace = std::env::args().nth(3).unwrap_or_else(|| "flamegraph.trace.json".into());
    TRACKER.write_trace(&mut std::io::BufWriter::new(std::fs::File::create(&trace)?))?;
    println!("wrote {trace} (the timeline: open it in Perfetto, chrome://tracing or speedscope)");

    #[cfg(feature = "flamegraph")]
    {
        use perftrack::integrations::FlameOptions;
        let mut args = std::env::args().skip(1);
        let wall = args.next().unwrap_or_else(|| "flamegraph.svg".into());
        let busy = args.next().unwrap_or_else(|| "flamegraph-busy.svg".into());
        for (weight, path, title) in
            [(Weight::Wall, &wall, "wall time"), (Weight::Busy, &busy, "time on a thread (Weight::Busy)")]
        {
            let mut svg = std::io::BufWriter::new(std::fs::File::create(path)?);
            let options = FlameOptions { weight, title: title.into(), ..FlameOptions::default() };
            TRACKER.write_flamegraph_with(&mut svg, &options)?;
            println!("wrote {path}");
        }
    }
    #[cfg(not(feature = "flamegraph"))]
    println!("(build with --features flamegraph to draw flamegraph.svg)");
    Ok(())
}
