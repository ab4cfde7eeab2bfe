//! `serve`: a `/metrics` endpoint in one line, on tiny_http.
//!
//! tiny_http reads and parses each connection on its own threads (and
//! answers a request it cannot parse with `400 Bad Request` itself); a few
//! workers here take parsed requests and write the answers, so a client that
//! reads its answer slowly holds one worker, never the others. Dropping the
//! [`Server`] stops the workers and closes the socket.

use core::net::SocketAddr;
use core::sync::atomic::{AtomicBool, Ordering};
use core::time::Duration;
use std::io;
use std::net::ToSocketAddrs;
use std::string::String;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::vec::Vec;

use crate::export::negotiate::Exposition;
use crate::tracker::Tracker;

/// Workers answering requests: a slow client holds one.
const WORKERS: usize = 4;

/// How often an idle worker looks at the stop flag.
const POLL: Duration = Duration::from_millis(50);

/// A running endpoint, from [`serve`]. Dropping it stops the server: the
/// workers finish the answer they are writing, and the socket is closed.
pub struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    http: Arc<tiny_http::Server>,
    workers: Vec<JoinHandle<()>>,
}

impl Server {
    /// The address it listens on (useful after binding port 0).
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}

impl core::fmt::Debug for Server {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Server").field("addr", &self.addr).field("workers", &self.workers.len()).finish_non_exhaustive()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.http.unblock();
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

/// Serves `tracker` over HTTP at `addr` (feature `http`) until the returned
/// [`Server`] is dropped:
///
/// * `GET /metrics`: the protobuf exposition with native histograms when the
///   `Accept` header prefers it (Prometheus with native histograms on), the
///   OpenMetrics text otherwise, with the matching `Content-Type`
///   ([`Exposition::negotiate`]);
/// * `GET /report`: the text report;
/// * anything else: `404`, or `405` for another method; a request tiny_http
///   cannot parse gets `400`.
///
/// ```
/// use perftrack::PerformanceTracker;
/// use std::io::{Read, Write};
///
/// static TRACKER: PerformanceTracker = PerformanceTracker::new();
/// TRACKER.counter("started")?.increment(1);
/// let server = perftrack::serve(&TRACKER, "127.0.0.1:0")?;
/// let mut conn = std::net::TcpStream::connect(server.local_addr())?;
/// conn.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
/// let mut answer = String::new();
/// conn.read_to_string(&mut answer)?;
/// assert!(answer.starts_with("HTTP/1.1 200"));
/// assert!(answer.contains("started_total 1"));
/// drop(server); // stops it
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// The address does not resolve, or cannot be bound (in use, no
/// permission), or a worker thread cannot be started.
pub fn serve<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>(
    tracker: &'static Tracker<OPS, RING, SHARDS, BUCKETS>,
    addr: impl ToSocketAddrs,
) -> io::Result<Server> {
    let addr = addr
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the address resolves to nothing"))?;
    let http = Arc::new(tiny_http::Server::http(addr).map_err(io::Error::other)?);
    let bound = http.server_addr().to_ip().ok_or_else(|| io::Error::other("tiny_http bound no IP address"))?;
    let stop = Arc::new(AtomicBool::new(false));
    let mut server = Server { addr: bound, stop: Arc::clone(&stop), http: Arc::clone(&http), workers: Vec::new() };
    for i in 0..WORKERS {
        let (http, stop) = (Arc::clone(&http), Arc::clone(&stop));
        let worker = std::thread::Builder::new()
            .name(std::format!("perftrack-http-{i}"))
            .spawn(move || work(tracker, &http, &stop))?;
        server.workers.push(worker);
    }
    Ok(server)
}

/// One worker: answer requests until told to stop.
fn work<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>(
    tracker: &Tracker<OPS, RING, SHARDS, BUCKETS>,
    http: &tiny_http::Server,
    stop: &AtomicBool,
) {
    while !stop.load(Ordering::Relaxed) {
        let request = match http.recv_timeout(POLL) {
            Ok(Some(r)) => r,
            Ok(None) => continue,
            // The listener is gone (unblocked, or failed): nothing more comes.
            Err(_) => return,
        };
        // A client that hung up makes the write fail: nothing to do.
        let _ = answer(tracker, request);
    }
}

fn answer<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>(
    tracker: &Tracker<OPS, RING, SHARDS, BUCKETS>,
    request: tiny_http::Request,
) -> io::Result<()> {
    let header = |value: &str| tiny_http::Header::from_bytes("Content-Type", value).ok();
    let text = |status: u16, body: String| {
        let r = tiny_http::Response::from_string(body).with_status_code(status);
        match header("text/plain; charset=utf-8") {
            Some(h) => r.with_header(h),
            None => r,
        }
    };
    let path = String::from(request.url().split('?').next().unwrap_or(""));
    let known = matches!(path.as_str(), "/metrics" | "/report");
    if !known {
        return request.respond(text(404, std::format!("not found: {path}; try /metrics or /report\n")));
    }
    if !matches!(request.method(), tiny_http::Method::Get | tiny_http::Method::Head) {
        return request.respond(text(405, String::from("only GET and HEAD\n")));
    }
    if path == "/report" {
        return request.respond(text(200, std::format!("{}", tracker.report())));
    }
    let accept = request.headers().iter().find(|h| h.field.equiv("Accept")).map(|h| h.value.as_str());
    let format = Exposition::negotiate(accept);
    let mut body = Vec::new();
    format.write(tracker, &mut body);
    let response = tiny_http::Response::from_data(body);
    match header(format.content_type()) {
        Some(h) => request.respond(response.with_header(h)),
        None => request.respond(response),
    }
}
