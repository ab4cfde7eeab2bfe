//! `perftrack::serve` (feature `http`): negotiated `/metrics`, `/report`,
//! the errors, a slow client beside a scrape, and stopping on drop.
#![cfg(feature = "http")]

use core::time::Duration;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Instant;

use perftrack::{
    Tracker,
    export::{OPENMETRICS_CONTENT_TYPE, PROTOBUF_CONTENT_TYPE},
};

/// One request, the whole answer back (the connection is closed after it).
fn get(addr: core::net::SocketAddr, request: &str) -> Vec<u8> {
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    conn.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    conn.read_to_end(&mut answer).unwrap();
    answer
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn tracker() -> &'static Tracker<8, 8> {
    let t: &'static Tracker<8, 8> = Box::leak(Tracker::boxed());
    t.operation_with_labels("requests", &[("route", "/a")]).unwrap().record(Duration::from_micros(30), 0);
    t.counter("served").unwrap().increment(2);
    t
}

#[test]
fn metrics_is_text_by_default_and_protobuf_when_accept_prefers_it() {
    let server = perftrack::serve(tracker(), "127.0.0.1:0").unwrap();
    let addr = server.local_addr();
    let plain = text(&get(addr, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    assert!(plain.starts_with("HTTP/1.1 200"), "{plain}");
    assert!(
        plain.to_ascii_lowercase().contains(&format!("content-type: {OPENMETRICS_CONTENT_TYPE}").to_ascii_lowercase()),
        "{plain}"
    );
    assert!(plain.contains(r#"perftrack_operation_duration_seconds_count{operation="requests",route="/a"} 1"#));
    assert!(plain.contains("served_total 2") && plain.ends_with("# EOF\n"));
    let accept = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
    let proto =
        get(addr, &format!("GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"));
    let head = text(&proto[..proto.windows(4).position(|w| w == b"\r\n\r\n").unwrap()]);
    assert!(
        head.starts_with("HTTP/1.1 200")
            && head
                .to_ascii_lowercase()
                .contains(&format!("content-type: {PROTOBUF_CONTENT_TYPE}").to_ascii_lowercase()),
        "{head}"
    );
    let body = &proto[head.len() + 4..];
    let mut expected = Vec::new();
    tracker_copy_protobuf(&mut expected);
    assert_eq!(body.len(), expected.len(), "the body is the protobuf exposition");
}

/// The protobuf exposition of a tracker like `tracker()`'s.
fn tracker_copy_protobuf(out: &mut Vec<u8>) {
    tracker().write_protobuf(out).unwrap();
}

#[test]
fn report_is_the_text_report_and_other_paths_and_methods_are_refused() {
    let server = perftrack::serve(tracker(), "127.0.0.1:0").unwrap();
    let addr = server.local_addr();
    let report = text(&get(addr, "GET /report HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    assert!(report.starts_with("HTTP/1.1 200") && report.contains("=== Performance Report ==="), "{report}");
    assert!(report.contains(r#"requests{route="/a"}"#));
    let missing = text(&get(addr, "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
    let post = text(&get(addr, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
    assert!(post.starts_with("HTTP/1.1 405"), "{post}");
    let garbage = text(&get(addr, "THIS IS NOT HTTP\r\n\r\n"));
    assert!(garbage.starts_with("HTTP/1.1 400"), "{garbage}");
}

#[test]
fn a_slow_client_never_stalls_another_scrape() {
    let server = perftrack::serve(tracker(), "127.0.0.1:0").unwrap();
    let addr = server.local_addr();
    // Half a request, then nothing: its connection's task waits for the
    // rest (until the header-read timeout), and holds nothing else.
    let mut slow = TcpStream::connect(addr).unwrap();
    slow.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n").unwrap();
    // Whole requests whose answers are never read, on connections kept
    // open: each is a task of its own.
    let unread: Vec<TcpStream> = (0..8)
        .map(|_| {
            let mut c = TcpStream::connect(addr).unwrap();
            c.write_all(b"GET /report HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
            c
        })
        .collect();
    let t0 = Instant::now();
    let answer = text(&get(addr, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(t0.elapsed() < Duration::from_secs(3), "a scrape waited {:?} behind slow clients", t0.elapsed());
    drop((slow, unread));
}

#[test]
fn dropping_the_server_stops_it() {
    let server = perftrack::serve(tracker(), "127.0.0.1:0").unwrap();
    let addr = server.local_addr();
    assert!(
        text(&get(addr, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).starts_with("HTTP/1.1 200")
    );
    let t0 = Instant::now();
    drop(server);
    assert!(t0.elapsed() < Duration::from_secs(2), "stopping took {:?}", t0.elapsed());
    // The port is free again: a new listener can bind it (the runtime's
    // thread drops the listener as it ends, within the drop).
    let freed = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(20));
        std::net::TcpListener::bind(addr).is_ok()
    });
    assert!(freed, "the socket is still open 2 s after the drop");
    assert!(perftrack::serve(tracker(), "no-such-host.invalid:1").is_err());
}
