//! An axum service timed with one attribute per handler: the README's async
//! recipe, compiled and run.
//!
//! ```text
//! cargo run -p perftrack-axum-example              # serves on 127.0.0.1:3000 until Ctrl-C
//! cargo run -p perftrack-axum-example -- --check   # serves, calls itself, checks the figures, exits
//! ```
//!
//! * `#[perftrack::measure]` on an `async fn` handler: axum requires the
//!   handler's future to be `Send`, and the attribute keeps it `Send`, so
//!   this compiles at all only because of that.
//! * Awaited calls nest in the call tree: `get_user;load_user`.
//! * `lookup_cache` is cut short by a timeout: a cancelled call, recorded up
//!   to the drop and counted in `MetricsSummary::cancelled`.
//! * `#[perftrack::main]` above `#[tokio::main]` prints the report at exit.

use core::time::Duration;

use axum::Router;
use axum::extract::Path;
use axum::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// `GET /users/{id}`: the handler, timed from its first poll to its response.
#[perftrack::measure]
async fn get_user(Path(id): Path<u32>) -> String {
    // A cache that answers too slowly is abandoned: its call is cancelled.
    let cached = tokio::time::timeout(Duration::from_millis(2), lookup_cache(id)).await.ok().flatten();
    match cached {
        Some(user) => user,
        None => load_user(id).await,
    }
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
    Router::new().route("/users/{id}", get(get_user))
}

/// One HTTP/1.1 request on a new connection; the response body.
async fn call(addr: core::net::SocketAddr, path: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    Ok(response.split("\r\n\r\n").nth(1).unwrap_or_default().to_string())
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
    let want = (u64::from(requests), u64::from(requests), u64::from(requests), u64::from(requests), 0);
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
    println!(
        "checked: {requests} requests; every handler call nests its cache and load calls; {requests} cache calls cancelled"
    );
    Ok(())
}

#[perftrack::main]
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), String> {
    if std::env::args().any(|a| a == "--check") {
        return check(20).await;
    }
    let listener = TcpListener::bind("127.0.0.1:3000").await.map_err(|e| e.to_string())?;
    println!("serving http://127.0.0.1:3000/users/7 (Ctrl-C ends it and prints the report)");
    axum::serve(listener, app())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| e.to_string())
}
