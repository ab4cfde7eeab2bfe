//! `perftrack::serve` against hostile and broken clients, each bounded and on
//! loopback: a pipelining client that never reads, a 64 MiB header, 200,000
//! pipelined requests never read, running out of file descriptors, the
//! connection bound, and the header-read and write timeouts.
//!
//! The server runs in a child process (this test binary again, running the
//! ignored `server_child`), so that its memory can be read from
//! `/proc/PID/status` alone and its descriptors limited with
//! `RLIMIT_NOFILE` without touching the test harness.
#![cfg(all(feature = "http", target_os = "linux"))]
#![allow(unsafe_code)]

use core::net::SocketAddr;
use core::time::Duration;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::thread;
use std::time::Instant;

use perftrack::{Tracker, http::ServeOptions};

/// The variable that makes `server_child` serve: `key=value` pairs, `,` apart
/// (`nofile`, `conns`, `header_ms`, `write_ms`).
const CHILD: &str = "PERFTRACK_SERVE_CHILD";

/// The server process of the tests below, which start it themselves with
/// [`CHILD`] set; run alone, it returns at once.
#[test]
#[ignore = "the server process of the hostile-client tests: they start it themselves"]
fn server_child() {
    let Ok(spec) = std::env::var(CHILD) else { return };
    let mut options = ServeOptions::new();
    for pair in spec.split(',').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').expect("key=value");
        let v: u64 = v.parse().expect("a number");
        match k {
            "nofile" => {
                let limit = libc::rlimit { rlim_cur: v, rlim_max: v };
                // SAFETY: a plain system call with a valid pointer.
                assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) }, 0, "setrlimit");
            }
            "conns" => options = options.max_connections(v as usize),
            "header_ms" => options = options.header_read_timeout(Duration::from_millis(v)),
            "write_ms" => options = options.write_timeout(Duration::from_millis(v)),
            other => panic!("unknown key {other}"),
        }
    }
    static T: Tracker<8, 8> = Tracker::new();
    T.record("op", Duration::from_micros(30), 0).unwrap();
    T.counter("served").unwrap().increment(1);
    let server = perftrack::http::serve_with(&T, "127.0.0.1:0", options).unwrap();
    println!("PORT {}", server.local_addr().port());
    std::io::stdout().flush().unwrap();
    // Serve until the parent closes our stdin (or kills us).
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
}

/// A server child process, killed on drop.
struct Child {
    process: std::process::Child,
    addr: SocketAddr,
}

impl Child {
    fn start(spec: &str) -> Self {
        let mut process = Command::new(std::env::current_exe().unwrap())
            .args(["server_child", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
            .env(CHILD, spec)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let out = BufReader::new(process.stdout.take().unwrap());
        let port = out
            .lines()
            .map_while(Result::ok)
            .find_map(|l| l.split_once("PORT ").map(|(_, p)| p.trim().parse::<u16>().unwrap()))
            .expect("the child printed its port");
        Self { process, addr: SocketAddr::from(([127, 0, 0, 1], port)) }
    }

    /// A field of `/proc/PID/status`, in KiB (`VmRSS`, `VmHWM`).
    fn status_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.process.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with(field)).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    /// One scrape on a new connection: its whole answer, or `None` when none
    /// came within `limit`.
    fn scrape(&self, limit: Duration) -> Option<String> {
        let mut conn = TcpStream::connect_timeout(&self.addr, limit).ok()?;
        conn.set_read_timeout(Some(limit)).unwrap();
        conn.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").ok()?;
        let mut answer = Vec::new();
        conn.read_to_end(&mut answer).ok()?;
        let answer = String::from_utf8_lossy(&answer).into_owned();
        answer.starts_with("HTTP/1.1 200").then_some(answer)
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

const REQUEST: &[u8] = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";

/// Writes `n` pipelined requests on `conn` from a thread of its own (the
/// server stops reading once its answers back up, so the writes block), and
/// never reads.
fn pipeline(conn: &TcpStream, n: usize) -> thread::JoinHandle<usize> {
    let mut conn = conn.try_clone().unwrap();
    conn.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
    thread::spawn(move || {
        let batch: Vec<u8> = REQUEST.repeat(100);
        let mut sent = 0;
        while sent < n {
            if conn.write_all(&batch[..REQUEST.len() * (n - sent).min(100)]).is_err() {
                break;
            }
            sent += (n - sent).min(100);
        }
        sent
    })
}

#[test]
fn a_pipelining_client_that_never_reads_stalls_no_other_scrape() {
    let child = Child::start("");
    let hog = TcpStream::connect(child.addr).unwrap();
    let writer = pipeline(&hog, 3000);
    thread::sleep(Duration::from_millis(300));
    // Scrapes on other connections, while the hog's answers back up.
    for i in 0..5 {
        let t0 = Instant::now();
        let answer = child.scrape(Duration::from_secs(1));
        assert!(answer.is_some_and(|a| a.contains("served_total 1")), "scrape {i} got no answer within 1 s");
        assert!(t0.elapsed() < Duration::from_secs(1), "scrape {i} took {:?}", t0.elapsed());
        thread::sleep(Duration::from_millis(200));
    }
    drop(hog);
    let _ = writer.join();
}

#[test]
fn a_64_mib_header_is_answered_431_and_the_server_memory_stays_flat() {
    let child = Child::start("");
    let before = child.status_kib("VmRSS");
    let conn = TcpStream::connect(child.addr).unwrap();
    let mut reader = conn.try_clone().unwrap();
    reader.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let read = thread::spawn(move || {
        let mut answer = Vec::new();
        let _ = reader.read_to_end(&mut answer);
        answer
    });
    let mut writer = conn.try_clone().unwrap();
    writer.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
    writer.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ").unwrap();
    let chunk = vec![b'a'; 64 * 1024];
    let mut written = 0usize;
    while written < 64 << 20 {
        if writer.write_all(&chunk).is_err() {
            break; // the server closed the connection, as it should
        }
        written += chunk.len();
    }
    let answer = String::from_utf8_lossy(&read.join().unwrap()).into_owned();
    assert!(answer.starts_with("HTTP/1.1 431"), "answer: {:?}", &answer[..answer.len().min(200)]);
    assert!(written < 64 << 20, "the server read all 64 MiB of one header line");
    let grown = child.status_kib("VmHWM").saturating_sub(before);
    assert!(grown < 8 * 1024, "the server's peak memory grew {grown} KiB");
    assert!(child.scrape(Duration::from_secs(2)).is_some(), "a scrape after the attack got no answer");
}

#[test]
fn two_hundred_thousand_pipelined_requests_never_read_keep_the_server_memory_flat() {
    let child = Child::start("");
    let before = child.status_kib("VmRSS");
    let hog = TcpStream::connect(child.addr).unwrap();
    let sent = pipeline(&hog, 200_000).join().unwrap();
    // The server stops reading once its answers back up: the client's
    // writes block long before all 200,000 are sent.
    assert!(sent < 200_000, "the server read all {sent} requests while none of its answers was read");
    let grown = child.status_kib("VmHWM").saturating_sub(before);
    assert!(grown < 16 * 1024, "the server's peak memory grew {grown} KiB");
    assert!(child.scrape(Duration::from_secs(1)).is_some(), "a scrape beside the hog got no answer");
}

#[test]
fn running_out_of_file_descriptors_never_kills_the_listener() {
    let child = Child::start("nofile=64");
    for round in 0..2 {
        // More connections than the server has descriptors: it accepts
        // until EMFILE, and the rest wait in the backlog.
        let conns: Vec<TcpStream> = (0..100).filter_map(|_| TcpStream::connect(child.addr).ok()).collect();
        assert!(conns.len() >= 64, "round {round}: only {} connections", conns.len());
        thread::sleep(Duration::from_millis(300));
        drop(conns);
        let t0 = Instant::now();
        let answered = (0..50).any(|_| {
            child.scrape(Duration::from_millis(500)).is_some() || {
                thread::sleep(Duration::from_millis(100));
                false
            }
        });
        assert!(answered, "round {round}: no scrape answered in {:?} after the descriptors ran out", t0.elapsed());
    }
}

#[test]
fn connections_past_the_bound_wait_until_one_closes() {
    let child = Child::start("conns=2,header_ms=60000");
    let idle: Vec<TcpStream> = (0..2).map(|_| TcpStream::connect(child.addr).unwrap()).collect();
    thread::sleep(Duration::from_millis(200));
    assert!(child.scrape(Duration::from_millis(500)).is_none(), "a third connection was served beside two open ones");
    drop(idle);
    assert!(child.scrape(Duration::from_secs(2)).is_some(), "no scrape once the two closed");
}

#[test]
fn a_slow_header_and_an_unread_answer_are_cut_off_by_their_timeouts() {
    let child = Child::start("header_ms=300,write_ms=300");
    // Half a head, then nothing: closed after the header-read timeout.
    let mut slow = TcpStream::connect(child.addr).unwrap();
    slow.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n").unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let t0 = Instant::now();
    let mut rest = Vec::new();
    let _ = slow.read_to_end(&mut rest);
    assert!(t0.elapsed() < Duration::from_secs(3), "the slow head was kept {:?}", t0.elapsed());
    // Answers never read: once the socket buffers are full, the server's
    // write waits, and the write timeout closes the connection, so our
    // writes fail too.
    let hog = TcpStream::connect(child.addr).unwrap();
    let t0 = Instant::now();
    let sent = pipeline(&hog, 1_000_000).join().unwrap();
    assert!(sent < 1_000_000, "the server read every request");
    assert!(t0.elapsed() < Duration::from_secs(5), "the hog's writes were taken for {:?}", t0.elapsed());
    assert!(child.scrape(Duration::from_secs(1)).is_some());
}
