//! `perftrack::axum` (feature `axum`): the layer's series for matched,
//! unmatched (404) and failing routes, the in-flight gauge and the bytes
//! counter, a request dropped before its response counted as cancelled,
//! and `/metrics` on the router's own port in text and protobuf. Driven
//! in-process with `tower::ServiceExt::oneshot`.
#![cfg(feature = "axum")]

use core::future::Future;
use core::pin::pin;
use core::task::{Context, Waker};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use perftrack::{
    export::{OPENMETRICS_CONTENT_TYPE, PROTOBUF_CONTENT_TYPE},
    instrument::HeapTracker,
    metric::MetricValue,
};
use tower::ServiceExt;

mod common;
use common::block_on as ready;

type Small = HeapTracker<16, 8, 2>;

fn app(t: &'static Small) -> Router {
    Router::new()
        .route("/users/{id}", get(|| async { "a user" }))
        .route("/fail", get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "broken") }))
        .route("/never", get(core::future::pending::<&'static str>))
        .layer(perftrack::axum::layer(t))
        .route("/metrics", perftrack::axum::metrics(t))
}

fn get_path(t: &'static Small, path: &str, accept: Option<&str>) -> axum::response::Response {
    let mut request = Request::get(path);
    if let Some(a) = accept {
        request = request.header("accept", a);
    }
    ready(app(t).oneshot(request.body(Body::empty()).unwrap())).unwrap()
}

fn body(response: axum::response::Response) -> Vec<u8> {
    ready(axum::body::to_bytes(response.into_body(), 1 << 20)).unwrap().to_vec()
}

fn series(t: &Small, method: &str, route: &str, status: &str) -> Option<perftrack::MetricsSummary> {
    t.summaries().find(|s| {
        s.name.as_str() == "http_request"
            && s.labels.get("method") == Some(method)
            && s.labels.get("route") == Some(route)
            && s.labels.get("status") == Some(status)
    })
}

#[test]
fn matched_unmatched_and_failing_routes_each_get_their_series() {
    let t: &'static Small = Box::leak(Box::new(HeapTracker::new()));
    for _ in 0..3 {
        assert_eq!(get_path(t, "/users/7", None).status(), StatusCode::OK);
    }
    assert_eq!(get_path(t, "/nowhere", None).status(), StatusCode::NOT_FOUND);
    assert_eq!(get_path(t, "/fail", None).status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(series(t, "GET", "/users/{id}", "200").map(|s| s.count), Some(3), "the matched route, not the path");
    assert_eq!(series(t, "GET", "unmatched", "404").map(|s| s.count), Some(1));
    assert_eq!(series(t, "GET", "/fail", "500").map(|s| s.count), Some(1));
    let readings: Vec<_> = t.metric_readings().collect();
    let value = |name: &str, route: Option<&str>| {
        readings
            .iter()
            .find(|r| r.name.as_str() == name && route.is_none_or(|x| r.labels.get("route") == Some(x)))
            .map(|r| r.value)
    };
    assert_eq!(value("http_requests_in_flight", None), Some(MetricValue::Gauge(0.0)), "none left in flight");
    assert_eq!(value("http_response_bytes", Some("/users/{id}")), Some(MetricValue::Counter(3 * 6)), "3 × \"a user\"");
    assert_eq!(value("http_response_bytes", Some("/fail")), Some(MetricValue::Counter(6)));
}

#[test]
fn a_request_dropped_before_its_response_is_counted_cancelled_not_completed() {
    let t: &'static Small = Box::leak(Box::new(HeapTracker::new()));
    let app = app(t);
    {
        let mut call = pin!(app.oneshot(Request::get("/never").body(Body::empty()).unwrap()));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(call.as_mut().poll(&mut cx).is_pending());
        let in_flight = t.metric_readings().find(|r| r.name.as_str() == "http_requests_in_flight").unwrap().value;
        assert_eq!(in_flight, MetricValue::Gauge(1.0));
    } // the client hangs up
    let s = series(t, "GET", "/never", "cancelled").expect("a cancelled call's series");
    assert_eq!((s.count, s.cancelled), (0, 1));
    assert!(t.summaries().all(|s| s.count == 0), "no completed record");
    let in_flight = t.metric_readings().find(|r| r.name.as_str() == "http_requests_in_flight").unwrap().value;
    assert_eq!(in_flight, MetricValue::Gauge(0.0));
}

#[test]
fn metrics_on_the_apps_own_router_answers_text_and_protobuf_and_is_not_timed_itself() {
    let t: &'static Small = Box::leak(Box::new(HeapTracker::new()));
    assert_eq!(get_path(t, "/users/1", None).status(), StatusCode::OK);
    let text = get_path(t, "/metrics", None);
    assert_eq!(text.headers()["content-type"], OPENMETRICS_CONTENT_TYPE);
    let text = String::from_utf8(body(text)).unwrap();
    assert!(
        text.contains(r#"perftrack_operation_duration_seconds_count{operation="http_request",method="GET",route="/users/{id}",status="200"} 1"#),
        "{text}"
    );
    assert!(text.contains("\nhttp_requests_in_flight 0\n"), "{text}");
    let accept = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;q=0.3";
    let proto = get_path(t, "/metrics", Some(accept));
    assert_eq!(proto.headers()["content-type"], PROTOBUF_CONTENT_TYPE);
    let bytes = body(proto);
    let mut expected = Vec::new();
    t.write_protobuf(&mut expected).unwrap();
    assert_eq!(bytes, expected);
    // `/metrics` was added after the layer: scrapes are not requests of the app.
    assert!(series(t, "GET", "/metrics", "200").is_none());
}

#[test]
fn the_builder_renames_the_operation_the_gauge_the_counter_and_the_labels() {
    let t: &'static Small = Box::leak(Box::new(HeapTracker::new()));
    let layer = perftrack::axum::layer(t)
        .operation("api_call")
        .in_flight("busy")
        .response_bytes("sent")
        .label_names("verb", "path", "code");
    let app: Router = Router::new().route("/a", get(|| async { "abc" })).layer(layer);
    let response = ready(app.oneshot(Request::get("/a").body(Body::empty()).unwrap())).unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let s = t.summaries().find(|s| s.name.as_str() == "api_call").expect("the renamed operation");
    assert_eq!(
        (s.labels.get("verb"), s.labels.get("path"), s.labels.get("code")),
        (Some("GET"), Some("/a"), Some("200"))
    );
    let names: Vec<String> = t.metric_readings().map(|r| r.name.as_str().to_string()).collect();
    assert_eq!(names, ["busy", "sent"]);
}
