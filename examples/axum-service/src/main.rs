//! An axum service timed with one attribute per handler: the README's async
//! recipe, compiled and run.
//!
//! ```text
//! cargo run -p perftrack-axum-example              # serves on 127.0.0.1:3000, /metrics too, until Ctrl-C
//! cargo run -p perftrack-axum-example -- --check   # serves, calls itself, checks the figures, exits
//! cargo run -p perftrack-axum-example -- --load ADDR SECS
//!                                                  # serves at ADDR, sends itself the fixed mix, prints it, serves SECS more
//! ```
//!
//! * `#[perftrack::measure]` on an `async fn` handler: axum requires the
//!   handler's future to be `Send`, and the attribute keeps it `Send`, so
//!   this compiles at all only because of that.
//! * Awaited calls nest in the call tree: `get_user;load_user`.
//! * `lookup_cache` is cut short by a timeout: a cancelled call, counted
//!   apart from the completed ones in `MetricsSummary::cancelled` (no
//!   record), its wall time up to the drop in `cancelled_duration`.
//! * `perftrack::axum::layer` times each request, labelled by method,
//!   matched route and status (`http_request{method="GET",route="/users/{id}",status="404"}`),
//!   with an in-flight gauge and a counter of response bytes by route; and
//!   `perftrack::axum::metrics` answers `/metrics` on the app's own port.
//!   The glue is those two lines of `app()`.
//! * `#[perftrack::main]` above `#[tokio::main]` prints the report at exit.

use core::time::Duration;

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Users above this id do not exist: `404`.
const USERS: u32 = 1_000;

/// `GET /users/{id}`: the handler, timed from its first poll to its response.
#[perftrack::measure]
async fn get_user(Path(id): Path<u32>) -> Result<String, StatusCode> {
    if id >= USERS {
        return Err(StatusCode::NOT_FOUND);
    }
    // A cache that answers too slowly is abandoned: its call is cancelled.
    let cached = tokio::time::timeout(Duration::from_millis(2), lookup_cache(id)).await.ok().flatten();
    Ok(match cached {
        Some(user) => user,
        None => load_user(id).await,
    })
}

/// `GET /health`.
async fn health() -> &'static str {
    "ok"
}

/// A cache that is always too slow here.
#[perftrack::measure]
async fn lookup_cache(id: u32) -> Option<String> {
    tokio::time::sleep(Duration::from_millis(50)).await;
    Some(format!("cached user {id}"))
}

/// The real load: waits on "the database", then formats.
#[perftrack::measure]
async fn load_user(id: u32) -> String {
    tokio::time::sleep(Duration::from_millis(1)).await;
    format!("user {id}")
}

/// The router: what `axum::serve` runs.
fn app() -> Router {
    let tracker = perftrack::global();
    Router::new()
        .route("/users/{id}", get(get_user))
        .route("/health", get(health))
        .layer(perftrack::axum::layer(tracker)) // every request above: timed, labelled
        .route("/metrics", perftrack::axum::metrics(tracker)) // added after the layer: scrapes are not timed
}

/// The fixed mix the load generator sends: `(path, route, status)`. Each
/// fifth user id is past the last user (`404`); every third request is a
/// health check.
fn mix(requests: u32) -> Vec<(String, &'static str, u16)> {
    (0..requests)
        .map(|i| match i % 3 {
            0 => ("/health".to_string(), "/health", 200),
            _ if i % 5 == 0 => (format!("/users/{}", USERS + i), "/users/{id}", 404),
            _ => (format!("/users/{i}"), "/users/{id}", 200),
        })
        .collect()
}

/// Sends the mix; the count per route and per status it sent.
async fn send(addr: core::net::SocketAddr, requests: u32) -> Result<[BTreeMap<String, u64>; 2], String> {
    let mut by = [BTreeMap::new(), BTreeMap::new()];
    for (path, route, status) in mix(requests) {
        let (code, _) = call_status(addr, &path).await.map_err(|e| format!("{path}: {e}"))?;
        if code != status {
            return Err(format!("{path}: status {code}, expected {status}"));
        }
        *by[0].entry(route.to_string()).or_insert(0) += 1;
        *by[1].entry(status.to_string()).or_insert(0) += 1;
    }
    Ok(by)
}

/// One HTTP/1.1 request on a new connection; the response body.
async fn call(addr: core::net::SocketAddr, path: &str) -> std::io::Result<String> {
    call_status(addr, path).await.map(|(_, body)| body)
}

/// One HTTP/1.1 request on a new connection; the status and the body.
async fn call_status(addr: core::net::SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Ok((status, response.split("\r\n\r\n").nth(1).unwrap_or_default().to_string()))
}

/// Serves, calls itself `requests` times, and checks what perftrack recorded.
async fn check(requests: u32) -> Result<(), String> {
    let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tokio::spawn(async move { axum::serve(listener, app()).await });
    for id in 0..requests {
        let body = call(addr, &format!("/users/{id}")).await.map_err(|e| format!("request {id}: {e}"))?;
        if body != format!("user {id}") {
            return Err(format!("request {id}: the body is {body:?}"));
        }
    }
    let tracker = perftrack::global();
    let summary = |name: &str| tracker.summary(name).ok_or(format!("no operation {name}"));
    let (handler, cache, load) = (summary("get_user")?, summary("lookup_cache")?, summary("load_user")?);
    let counts = (handler.count, cache.count, cache.cancelled, load.count, load.cancelled);
    // Every cache call is cancelled: counted apart, so none is a record.
    let want = (u64::from(requests), 0, u64::from(requests), u64::from(requests), 0);
    if counts != want {
        return Err(format!("(handler, cache, cache cancelled, load, load cancelled) = {counts:?}, expected {want:?}"));
    }
    let mut folded = String::new();
    tracker.write_folded(&mut folded).map_err(|e| e.to_string())?;
    for path in ["get_user;load_user ", "get_user;lookup_cache "] {
        if !folded.lines().any(|l| l.starts_with(path)) {
            return Err(format!("no path {path:?} in the call tree:\n{folded}"));
        }
    }
    // `/metrics` on the app's own port.
    let (code, metrics) = call_status(addr, "/metrics").await.map_err(|e| e.to_string())?;
    if code != 200 || !metrics.contains("perftrack_operation_duration_seconds_count{operation=\"http_request\"") {
        return Err(format!("/metrics answered {code}:\n{metrics}"));
    }
    // The layer's labelled series, against what was sent.
    let sent = send(addr, 30).await?;
    let mut by_route = BTreeMap::new();
    let mut by_status = BTreeMap::new();
    for s in tracker.summaries().filter(|s| s.name.as_str() == "http_request") {
        let label = |k: &str| s.labels.get(k).unwrap_or("?").to_string();
        *by_route.entry(label("route")).or_insert(0) += s.count;
        *by_status.entry(label("status")).or_insert(0) += s.count;
    }
    // The first loop's `requests` calls were all `/users/{id}` and 200.
    let mut want = sent.clone();
    *want[0].entry("/users/{id}".into()).or_insert(0) += u64::from(requests);
    *want[1].entry("200".into()).or_insert(0) += u64::from(requests);
    if [by_route.clone(), by_status.clone()] != want {
        return Err(format!("recorded by route {by_route:?} and status {by_status:?}, sent {want:?}"));
    }
    println!(
        "checked: {requests} requests; every handler call nests its cache and load calls; {requests} cache calls cancelled; \
         the layer's series by route {by_route:?} and by status {by_status:?} match what was sent; /metrics on the app's port"
    );
    Ok(())
}

/// Serves the app (with its `/metrics`) at `addr`, sends it the fixed mix,
/// prints what it sent (one JSON line), and serves on for `secs`.
async fn load(addr: &str, secs: u64) -> Result<(), String> {
    let listener = TcpListener::bind(addr).await.map_err(|e| format!("{addr}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tokio::spawn(async move { axum::serve(listener, app()).await });
    let [route, status] = send(addr, 300).await?;
    let json = |m: &BTreeMap<String, u64>| {
        let pairs: Vec<String> = m.iter().map(|(k, v)| format!("\"{k}\": {v}")).collect();
        format!("{{{}}}", pairs.join(", "))
    };
    println!("{{\"route\": {}, \"status\": {}}}", json(&route), json(&status));
    tokio::time::sleep(Duration::from_secs(secs)).await;
    Ok(())
}

#[perftrack::main]
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--check") {
        return check(20).await;
    }
    if let Some(i) = args.iter().position(|a| a == "--load") {
        let (Some(addr), Some(secs)) = (args.get(i + 1), args.get(i + 2).and_then(|s| s.parse().ok())) else {
            return Err("usage: --load ADDR SECS".into());
        };
        return load(addr, secs).await;
    }
    let listener = TcpListener::bind("127.0.0.1:3000").await.map_err(|e| e.to_string())?;
    println!("serving http://127.0.0.1:3000/users/7 and /metrics (Ctrl-C ends it and prints the report)");
    axum::serve(listener, app())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| e.to_string())
}
