//! A service in one layer (feature `axum`): a tower [`Layer`] that times
//! every request of an axum router, and `/metrics` on the router itself.
//!
//! ```
//! use axum::{Router, routing::get};
//! use perftrack::PerformanceTracker;
//!
//! static TRACKER: PerformanceTracker = PerformanceTracker::new();
//!
//! let app: Router = Router::new()
//!     .route("/users/{id}", get(|| async { "user" }))
//!     .layer(perftrack::axum::layer(&TRACKER))                 // every request above, timed
//!     .route("/metrics", perftrack::axum::metrics(&TRACKER));  // scraped on the app's own port
//! # drop(app);
//! ```
//!
//! What the layer records, with these default names (the [`MetricsLayer`]
//! builder sets others, label names included):
//!
//! * the operation `http_request`, one labelled series per `method`,
//!   `route` (the matched route, `/users/{id}`; every request that matched
//!   none shares the value `unmatched`) and `status` (the response's code; a
//!   request whose service failed is `error`). A request dropped before its
//!   response (a client that hung up, a timeout above the layer) is a
//!   cancelled call of the series with `status="cancelled"`: counted apart
//!   from the completed ones, with its wall time;
//! * the gauge `http_requests_in_flight`: requests inside the layer now;
//! * the counter `http_response_bytes`, by `route`: the body's exact size
//!   where it has one (a fixed body; a streamed body of unknown length adds
//!   nothing).
//!
//! A request costs a lookup of its series by name and labels (a walk of
//! the tracker's slots), a record, and a boxed future. A name the tracker
//! refuses (full, or a name that clashes) leaves that figure out and is said
//! once on stderr; the request itself is never affected.

use core::convert::Infallible;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::boxed::Box;

use axum::body::{Body, HttpBody};
use axum::extract::{MatchedPath, Request};
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use tower_layer::Layer;
use tower_service::Service;

use crate::clock::Clock;
use crate::export::negotiate::Exposition;
use crate::export::options::ExportOptions;
use crate::instrument::warn;
use crate::metric::gauge::Gauge;
use crate::operation::Operation;
use crate::os::clock::FastClock;
use crate::summary::saturating_ns;
use crate::tracker::Tracker;

/// The `route` of a request that matched no route.
pub const UNMATCHED: &str = "unmatched";

/// The layer of [`layer`]: times every request of the router it wraps.
/// `Clone`; a builder for the names.
#[derive(Clone, Copy)]
pub struct MetricsLayer<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize> {
    tracker: &'static Tracker<OPS, RING, SHARDS, BUCKETS>,
    operation: &'static str,
    in_flight: &'static str,
    response_bytes: &'static str,
    /// The label names: method, route, status.
    label_names: [&'static str; 3],
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize> core::fmt::Debug
    for MetricsLayer<OPS, RING, SHARDS, BUCKETS>
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MetricsLayer")
            .field("operation", &self.operation)
            .field("in_flight", &self.in_flight)
            .field("response_bytes", &self.response_bytes)
            .field("label_names", &self.label_names)
            .finish_non_exhaustive()
    }
}

/// A tower [`Layer`] that times every request of an axum router into
/// `tracker` (see the [module](self) for what it records).
#[must_use]
pub fn layer<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>(
    tracker: &'static Tracker<OPS, RING, SHARDS, BUCKETS>,
) -> MetricsLayer<OPS, RING, SHARDS, BUCKETS> {
    MetricsLayer {
        tracker,
        operation: "http_request",
        in_flight: "http_requests_in_flight",
        response_bytes: "http_response_bytes",
        label_names: ["method", "route", "status"],
    }
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>
    MetricsLayer<OPS, RING, SHARDS, BUCKETS>
{
    /// Sets the operation's name (default `http_request`).
    #[must_use]
    pub const fn operation(mut self, name: &'static str) -> Self {
        self.operation = name;
        self
    }

    /// Sets the in-flight gauge's name (default `http_requests_in_flight`).
    #[must_use]
    pub const fn in_flight(mut self, name: &'static str) -> Self {
        self.in_flight = name;
        self
    }

    /// Sets the label names of the method, the route and the status
    /// (default `method`, `route`, `status`); the bytes counter's route
    /// label takes the second. Each must be a valid label name, not
    /// reserved: a set the tracker refuses leaves the requests unrecorded
    /// (said once on stderr).
    #[must_use]
    pub const fn label_names(mut self, method: &'static str, route: &'static str, status: &'static str) -> Self {
        self.label_names = [method, route, status];
        self
    }

    /// Sets the response-bytes counter's name (default `http_response_bytes`).
    #[must_use]
    pub const fn response_bytes(mut self, name: &'static str) -> Self {
        self.response_bytes = name;
        self
    }
}

impl<S, const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize> Layer<S>
    for MetricsLayer<OPS, RING, SHARDS, BUCKETS>
{
    type Service = MetricsService<S, OPS, RING, SHARDS, BUCKETS>;

    fn layer(&self, inner: S) -> Self::Service {
        // The gauge is resolved once, here, with the names final.
        let gauge = self.tracker.gauge(self.in_flight).inspect_err(|e| warn::refused(self.in_flight, *e)).ok();
        MetricsService { inner, layer: *self, gauge }
    }
}

/// The service [`MetricsLayer`] wraps a router's service in.
#[derive(Clone)]
pub struct MetricsService<S, const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize> {
    inner: S,
    layer: MetricsLayer<OPS, RING, SHARDS, BUCKETS>,
    /// The in-flight gauge (`None`: refused, and said).
    gauge: Option<Gauge<'static>>,
}

impl<S, const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize> core::fmt::Debug
    for MetricsService<S, OPS, RING, SHARDS, BUCKETS>
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MetricsService").field("layer", &self.layer).finish_non_exhaustive()
    }
}

impl<S, const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize> Service<Request>
    for MetricsService<S, OPS, RING, SHARDS, BUCKETS>
where
    S: Service<Request, Response = Response> + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let route = request.extensions().get::<MatchedPath>().cloned();
        let mut flight = Flight {
            layer: self.layer,
            method: request.method().clone(),
            route,
            gauge: self.gauge,
            started: FastClock.ticks(),
            done: false,
        };
        if let Some(g) = flight.gauge {
            g.increment(1.0);
        }
        let response = self.inner.call(request);
        Box::pin(async move {
            let result = response.await;
            let status = match &result {
                Ok(response) => Some(response.status()),
                Err(_) => None,
            };
            let bytes = result.as_ref().ok().and_then(|r| r.body().size_hint().exact());
            flight.finish(status.as_ref().map_or("error", |s| s.as_str()), bytes);
            result
        })
    }
}

/// One request inside the layer: recorded when it finishes, or as a
/// cancelled call when it is dropped first; the in-flight gauge goes down
/// either way.
struct Flight<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize> {
    layer: MetricsLayer<OPS, RING, SHARDS, BUCKETS>,
    method: Method,
    route: Option<MatchedPath>,
    gauge: Option<Gauge<'static>>,
    started: u64,
    done: bool,
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>
    Flight<OPS, RING, SHARDS, BUCKETS>
{
    fn route(&self) -> &str {
        self.route.as_ref().map_or(UNMATCHED, MatchedPath::as_str)
    }

    /// The request's series, by its method, route and `status`, or `None`
    /// (said once) when the tracker refuses it.
    fn series(&self, status: &str) -> Option<Operation<'static, RING, SHARDS, BUCKETS>> {
        let layer = self.layer;
        let [m, r, s] = layer.label_names;
        let labels = [(m, self.method.as_str()), (r, self.route()), (s, status)];
        layer
            .tracker
            .operation_with_labels(layer.operation, &labels)
            .inspect_err(|e| warn::refused(layer.operation, *e))
            .ok()
    }

    /// Records the request as completed with `status`, and its body's size.
    fn finish(&mut self, status: &str, bytes: Option<u64>) {
        self.done = true;
        let elapsed = FastClock.since(self.started);
        if let Some(op) = self.series(status) {
            op.record(elapsed, 0);
        }
        let (tracker, layer) = (self.layer.tracker, self.layer);
        if let Some(n) = bytes {
            match tracker.counter_with_labels(layer.response_bytes, &[(layer.label_names[1], self.route())]) {
                Ok(c) => c.increment(n),
                Err(e) => warn::refused(layer.response_bytes, e),
            }
        }
    }
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize> Drop
    for Flight<OPS, RING, SHARDS, BUCKETS>
{
    fn drop(&mut self) {
        if let Some(g) = self.gauge {
            g.decrement(1.0);
        }
        if self.done {
            return;
        }
        // Dropped before its response: a cancelled call, apart from the
        // completed ones.
        let ns = saturating_ns(FastClock.since(self.started));
        if let Some(op) = self.series("cancelled") {
            op.close_cancelled(ns, None, 0);
        }
    }
}

/// `GET /metrics` for an axum router, on the app's own port:
/// `.route("/metrics", perftrack::axum::metrics(&TRACKER))`. Generic over
/// the router's state. The exposition is negotiated as
/// [`serve`](crate::serve)'s is: protobuf with native histograms when
/// `Accept` prefers it, OpenMetrics text otherwise.
pub fn metrics<S, const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>(
    tracker: &'static Tracker<OPS, RING, SHARDS, BUCKETS>,
) -> MethodRouter<S, Infallible>
where
    S: Clone + Send + Sync + 'static,
{
    metrics_with(tracker, ExportOptions::new())
}

/// [`metrics`](fn@metrics) with export options of your own (a prefix, constant labels,
/// the classic buckets).
pub fn metrics_with<S, const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>(
    tracker: &'static Tracker<OPS, RING, SHARDS, BUCKETS>,
    options: ExportOptions<'static>,
) -> MethodRouter<S, Infallible>
where
    S: Clone + Send + Sync + 'static,
{
    axum::routing::get(move |headers: HeaderMap| async move {
        let (format, body) = Exposition::answer(headers.get(ACCEPT).and_then(|v| v.to_str().ok()), tracker, &options);
        let mut response = Body::from(body).into_response();
        response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
        response
    })
}
