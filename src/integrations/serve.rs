//! `serve`: a `/metrics` endpoint in one line, on hyper.
//!
//! The endpoint runs hyper's HTTP/1.1 server on a current-thread tokio
//! runtime of its own thread, as metrics-exporter-prometheus runs its
//! listener: each connection is a task, so a client that stalls (one that
//! never reads its answers, or sends its header a byte a minute) holds only
//! its own task, never another scrape. What a hostile client can take is
//! bounded by [`ServeOptions`]:
//!
//! * a request head (request line and headers) longer than
//!   [`max_header_bytes`](ServeOptions::max_header_bytes) is answered `431`
//!   and the connection closed, so a connection's buffer never grows past
//!   it; a pipelining client's next request is read only once the answer
//!   before it is written, so unread answers stop the reading too;
//! * a head not read whole within
//!   [`header_read_timeout`](ServeOptions::header_read_timeout), and an
//!   answer the client does not take within
//!   [`write_timeout`](ServeOptions::write_timeout), close the connection;
//! * at most [`max_connections`](ServeOptions::max_connections) are open at
//!   once; the next waits in the listen backlog until one closes;
//! * an accept that fails (out of file descriptors, `EMFILE`; the kernel
//!   out of memory) is retried after a back-off that grows from 10 ms to
//!   1 s, and the listener lives on.
//!
//! Dropping the [`Server`] stops the runtime: the listener and every
//! connection are closed.

use core::future::Future;
use core::net::SocketAddr;
use core::pin::Pin;
use core::task::{Context, Poll};
use core::time::Duration;
use std::boxed::Box;
use std::io;
use std::net::ToSocketAddrs;
use std::string::String;
use std::sync::Arc;
use std::thread::JoinHandle;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::{Semaphore, oneshot};

use crate::export::negotiate::Exposition;
use crate::export::options::ExportOptions;
use crate::tracker::Tracker;

/// How [`serve_with`] serves: the exposition's [`ExportOptions`], and the
/// limits that keep a hostile or broken client from stalling the endpoint
/// or growing its memory. [`serve`] uses [`ServeOptions::new`]'s defaults.
///
/// ```
/// use perftrack::{PerformanceTracker, export::ExportOptions, http::ServeOptions};
/// use std::time::Duration;
///
/// static TRACKER: PerformanceTracker = PerformanceTracker::new();
/// let options = ServeOptions::new()
///     .export(ExportOptions::new().prefix("myapp"))
///     .max_connections(64)
///     .write_timeout(Duration::from_secs(5));
/// let server = perftrack::http::serve_with(&TRACKER, "127.0.0.1:0", options)?;
/// # drop(server);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ServeOptions {
    /// What `/metrics` writes: prefix, constant labels, native schema
    /// (default: [`ExportOptions::new`]). Its `eof` is always on for text.
    pub export: ExportOptions<'static>,
    /// Connections open at once (default 128). The next waits in the listen
    /// backlog until one closes.
    pub max_connections: usize,
    /// The most bytes a request's line and headers may take (default
    /// 16 KiB, at least 8 KiB); a longer head is answered
    /// `431 Request Header Fields Too Large` and the connection closed.
    pub max_header_bytes: usize,
    /// How long a client may take to send a request's head, counted from
    /// the connection's start and, on a kept-alive connection, from the
    /// answer before it (default 10 s); then the connection is closed. An
    /// idle kept-alive connection is closed after it too.
    pub header_read_timeout: Duration,
    /// How long an answer may wait for the client to read it (default
    /// 10 s): a write that makes no progress for this long closes the
    /// connection.
    pub write_timeout: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl ServeOptions {
    /// The defaults: [`ExportOptions::new`], 128 connections, 16 KiB of
    /// request head, 10 s to send a head, 10 s to take an answer.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            export: ExportOptions::new(),
            max_connections: 128,
            max_header_bytes: 16 * 1024,
            header_read_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
        }
    }

    /// Sets the exposition's options.
    #[must_use]
    pub const fn export(mut self, export: ExportOptions<'static>) -> Self {
        self.export = export;
        self
    }

    /// Sets the classic histogram's bucket bounds of `/metrics`
    /// ([`ExportOptions::classic_buckets`]: each snaps up to a bound of the
    /// native grid).
    #[must_use]
    pub const fn classic_buckets(mut self, bounds: &'static [Duration]) -> Self {
        self.export = self.export.classic_buckets(bounds);
        self
    }

    /// Sets how many connections may be open at once (at least 1).
    #[must_use]
    pub const fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n;
        self
    }

    /// Sets the most bytes of a request's line and headers (at least 8 KiB,
    /// hyper's smallest buffer; a smaller value is raised to it).
    #[must_use]
    pub const fn max_header_bytes(mut self, bytes: usize) -> Self {
        self.max_header_bytes = bytes;
        self
    }

    /// Sets how long a client may take to send a request's head.
    #[must_use]
    pub const fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// Sets how long an answer may wait for the client to read it.
    #[must_use]
    pub const fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }
}

/// hyper's smallest connection buffer: a head limit below it is raised.
const MIN_HEAD_BYTES: usize = 8192;

/// The accept back-off after an error: from the first to the last, doubling.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(10), Duration::from_secs(1));

/// A running endpoint, from [`serve`] or [`serve_with`]. Dropping it stops
/// the server: the listener and every open connection are closed.
pub struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
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
        f.debug_struct("Server").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Serves `tracker` over HTTP at `addr` (feature `http`) until the returned
/// [`Server`] is dropped, with [`ServeOptions::new`]'s limits:
///
/// * `GET /metrics`: the protobuf exposition with native histograms when the
///   `Accept` header prefers it (Prometheus with native histograms on), the
///   OpenMetrics text otherwise, with the matching `Content-Type`
///   ([`Exposition::negotiate`]);
/// * `GET /report`: the text report;
/// * anything else: `404`, or `405` for another method; a request that is
///   not HTTP/1.1 gets `400`, and one whose head is too long `431`.
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
/// permission), or the server's thread or runtime cannot be started.
pub fn serve<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>(
    tracker: &'static Tracker<OPS, RING, SHARDS, BUCKETS>,
    addr: impl ToSocketAddrs,
) -> io::Result<Server> {
    serve_with(tracker, addr, ServeOptions::new())
}

/// [`serve`] with options of your own: the exposition's prefix and
/// constant labels, and the limits on clients ([`ServeOptions`]).
///
/// # Errors
///
/// As [`serve`]'s, and [`io::ErrorKind::InvalidInput`] when the export
/// options are not valid (a prefix or label name that is not an OpenMetrics
/// name, a reserved label) or `max_connections` is 0.
pub fn serve_with<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>(
    tracker: &'static Tracker<OPS, RING, SHARDS, BUCKETS>,
    addr: impl ToSocketAddrs,
    options: ServeOptions,
) -> io::Result<Server> {
    if !options.export.is_valid() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            std::format!("invalid export options for serve: {:?}", options.export),
        ));
    }
    if options.max_connections == 0 {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "serve: max_connections must be at least 1"));
    }
    let addr = addr
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the address resolves to nothing"))?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_io().enable_time().build()?;
    let listener = {
        let _entered = runtime.enter();
        let std_listener = std::net::TcpListener::bind(addr)?;
        std_listener.set_nonblocking(true)?;
        tokio::net::TcpListener::from_std(std_listener)?
    };
    let bound = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel();
    let thread = std::thread::Builder::new().name(String::from("perftrack-http")).spawn(move || {
        runtime.block_on(async move {
            tokio::select! {
                () = accept_loop(tracker, listener, options) => {}
                _ = stopped => {}
            }
        });
        // Dropping the runtime here drops every connection's task.
    })?;
    Ok(Server { addr: bound, stop: Some(stop), thread: Some(thread) })
}

/// Accepts connections for ever: at most `max_connections` at once, and
/// through any accept error after a back-off.
async fn accept_loop<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>(
    tracker: &'static Tracker<OPS, RING, SHARDS, BUCKETS>,
    listener: tokio::net::TcpListener,
    options: ServeOptions,
) {
    let permits = Arc::new(Semaphore::new(options.max_connections.min(Semaphore::MAX_PERMITS)));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout)
        .max_buf_size(options.max_header_bytes.max(MIN_HEAD_BYTES).saturating_mul(2))
        .max_header_size(options.max_header_bytes.max(MIN_HEAD_BYTES));
    let mut backoff = BACKOFF.0;
    loop {
        // Never closed, so it never fails; the permit goes with the
        // connection's task and comes back when it ends.
        let Ok(permit) = Arc::clone(&permits).acquire_owned().await else { return };
        let stream = match listener.accept().await {
            Ok((stream, _)) => {
                backoff = BACKOFF.0;
                stream
            }
            Err(_) => {
                // EMFILE, ENFILE, ENOBUFS, ENOMEM, or a connection reset
                // before it was taken: the listener itself is fine. Waiting
                // gives the process time to close descriptors, and keeps a
                // failing accept from spinning.
                drop(permit);
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(BACKOFF.1);
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let io = WriteDeadline::new(TokioIo::new(stream), options.write_timeout);
        let export = options.export;
        let service = hyper::service::service_fn(move |request| {
            core::future::ready(Ok::<_, core::convert::Infallible>(answer(tracker, &request, &export)))
        });
        let connection = http.serve_connection(io, service);
        tokio::spawn(async move {
            // A client that hung up, timed out or sent garbage ends its own
            // connection: nothing to report.
            let _ = connection.await;
            drop(permit);
        });
    }
}

/// The answer to one request.
fn answer<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>(
    tracker: &Tracker<OPS, RING, SHARDS, BUCKETS>,
    request: &Request<Incoming>,
    export: &ExportOptions<'static>,
) -> Response<Full<Bytes>> {
    let path = request.uri().path();
    if !matches!(path, "/metrics" | "/report") {
        return text(StatusCode::NOT_FOUND, std::format!("not found: {path}; try /metrics or /report\n"));
    }
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return text(StatusCode::METHOD_NOT_ALLOWED, String::from("only GET and HEAD\n"));
    }
    if path == "/report" {
        return text(StatusCode::OK, std::format!("{}", tracker.report()));
    }
    let accept = request.headers().get(ACCEPT).and_then(|v| v.to_str().ok());
    let (format, body) = Exposition::answer(accept, tracker, export);
    let mut response = Response::new(Full::new(Bytes::from(body)));
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    response
}

/// A plain-text answer.
fn text(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

/// A connection whose writes fail with [`io::ErrorKind::TimedOut`] once one
/// has made no progress for `limit`: hyper has no write timeout of its own,
/// and a client that never reads would otherwise hold its connection (and
/// its buffers) for ever.
struct WriteDeadline<T> {
    io: T,
    limit: Duration,
    /// Started when a write first returns `Pending`, dropped when one
    /// makes progress.
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<T> WriteDeadline<T> {
    fn new(io: T, limit: Duration) -> Self {
        Self { io, limit, timer: None }
    }

    /// What a write that returned `poll` answers: its result, or once the
    /// deadline has passed with no progress, `TimedOut`.
    fn watch<R>(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<R>>) -> Poll<io::Result<R>> {
        if poll.is_ready() {
            self.timer = None;
            return poll;
        }
        let limit = self.limit;
        let timer = self.timer.get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "the client took no data"))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: hyper::rt::Read + Unpin> hyper::rt::Read for WriteDeadline<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl<T: hyper::rt::Write + Unpin> hyper::rt::Write for WriteDeadline<T> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.io).poll_write(cx, buf);
        this.watch(cx, poll)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        this.watch(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.io).poll_flush(cx);
        this.watch(cx, poll)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.io).poll_shutdown(cx);
        this.watch(cx, poll)
    }
}
