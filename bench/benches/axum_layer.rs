//! One request through an axum router, timed by `perftrack::axum::layer`
//! against the same router timed by a hand-written middleware on the
//! `metrics` facade with metrics-exporter-prometheus as its recorder (what a
//! service writes today). Both record the same metrics: the duration by
//! method, matched route and status, the in-flight gauge, and the response
//! bytes by route. Both are driven in-process with
//! `tower::ServiceExt::oneshot`, in one process, the two in turn each
//! round; the table gives each side's median ns per request and the median
//! over rounds of the per-round ratio.
//!
//! ```text
//! cargo bench -p perftrack-bench --bench axum_layer
//! PERFTRACK_ROUNDS=31 PERFTRACK_CALLS=50000 cargo bench -p perftrack-bench --bench axum_layer
//! ```

use core::hint::black_box;
use std::time::Instant;

use axum::Router;
use axum::body::{Body, HttpBody};
use axum::extract::{MatchedPath, Request};
use axum::middleware::{Next, from_fn};
use axum::response::Response;
use axum::routing::get;
use perftrack::instrument::HeapTracker;
use tower::ServiceExt;

mod common;
use common::{block_on as ready, median};

static TRACKER: HeapTracker<16, 8, 8> = HeapTracker::new();

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn routes() -> Router {
    Router::new().route("/users/{id}", get(|| async { "a user" })).route("/health", get(|| async { "ok" }))
}

/// The peer: the middleware a service writes on the `metrics` facade.
async fn metrics_middleware(route: MatchedPath, request: Request, next: Next) -> Response {
    let t0 = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = route.as_str().to_owned();
    metrics::gauge!("http_requests_in_flight").increment(1.0);
    let response = next.run(request).await;
    metrics::gauge!("http_requests_in_flight").decrement(1.0);
    let status = response.status().as_str().to_owned();
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route.clone(), "status" => status)
        .record(t0.elapsed().as_secs_f64());
    if let Some(n) = response.body().size_hint().exact() {
        metrics::counter!("http_response_bytes", "route" => route).increment(n);
    }
    response
}

/// `calls` requests through `app`, alternating two paths; ns per request.
fn per_request(app: &Router, calls: usize) -> f64 {
    let paths = ["/users/7", "/health"];
    let t0 = Instant::now();
    for i in 0..calls {
        let request = axum::http::Request::get(paths[i % 2]).body(Body::empty()).unwrap();
        let response = ready(app.clone().oneshot(request)).unwrap();
        black_box(response.status());
    }
    t0.elapsed().as_nanos() as f64 / calls as f64
}

fn main() {
    let rounds = env("PERFTRACK_ROUNDS", 15).max(1);
    let calls = env("PERFTRACK_CALLS", 20_000).max(1);
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).expect("the only recorder of this process");

    let bare = routes();
    let ours = routes().layer(perftrack::axum::layer(&TRACKER));
    let peer = routes().route_layer(from_fn(metrics_middleware));
    type Side<'a> = (&'static str, &'a Router);
    let sides: [Side<'_>; 3] = [
        ("the router alone (no instrument)", &bare),
        ("perftrack::axum::layer", &ours),
        ("metrics + metrics-exporter-prometheus middleware", &peer),
    ];
    let mut ns: Vec<Vec<f64>> = vec![Vec::new(); sides.len()];
    let mut ratio = Vec::new();
    for _ in 0..rounds {
        let round: Vec<f64> = sides.iter().map(|(_, app)| per_request(app, calls)).collect();
        for (i, t) in round.iter().enumerate() {
            ns[i].push(*t);
        }
        ratio.push(round[1] / round[2]);
    }
    // Both sides recorded every request.
    let ours_count: u64 = TRACKER.summaries().filter(|s| s.name.as_str() == "http_request").map(|s| s.count).sum();
    assert_eq!(ours_count, (rounds * calls) as u64, "perftrack recorded every request");
    let rendered = handle.render();
    assert!(rendered.contains("http_request_duration_seconds"), "the peer recorded: {rendered}");

    let cpu = common::cpu_model();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("# {cpu}, {threads} cores; {rounds} rounds of {calls} requests per side; medians");
    println!("| side | ns per request |");
    println!("|---|---:|");
    for (i, (name, _)) in sides.iter().enumerate() {
        println!("| {name} | {:.0} |", median(&mut ns[i]));
    }
    println!(
        "\nperftrack::axum::layer / the metrics + metrics-exporter-prometheus middleware, median of per-round ratios: {:.2}",
        median(&mut ratio)
    );
}
