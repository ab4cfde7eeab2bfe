//! Every export backend over one tracker: the OpenMetrics text, the
//! protobuf exposition (decoded by prost) and the prometheus-client
//! collector (encoded by prometheus-client's own text encoder) name the
//! same families, with the same samples and the same values.
#![cfg(feature = "prometheus-client")]

use core::future::Future;
use core::task::{Context, Waker};
use core::time::Duration;
use std::collections::{BTreeMap, BTreeSet};

use perftrack::{Sample, Tracker, integrations::PerftrackCollector};
use prometheus_client::registry::Registry;

mod common;
#[path = "common/proto.rs"]
mod proto;
use common::Pending;

/// A sample's name and its labels, sorted, with `le` as a number.
type Key = (String, Vec<(String, String)>);

/// Samples by key, and the families' names and types.
#[derive(Debug, Default)]
struct Exposition {
    samples: BTreeMap<Key, f64>,
    families: BTreeMap<String, String>,
}

fn canonical_le(v: &str) -> String {
    if v == "+Inf" { v.to_owned() } else { format!("{:e}", v.parse::<f64>().unwrap()) }
}

fn key(name: &str, labels: impl IntoIterator<Item = (String, String)>) -> Key {
    let mut labels: Vec<_> =
        labels.into_iter().map(|(k, v)| if k == "le" { (k, canonical_le(&v)) } else { (k, v) }).collect();
    labels.sort();
    (name.to_owned(), labels)
}

/// Text in either OpenMetrics dialect (perftrack's, prometheus-client's).
fn parse_text(text: &str) -> Exposition {
    let mut out = Exposition::default();
    for line in text.lines() {
        if let Some(t) = line.strip_prefix("# TYPE ") {
            let (name, kind) = t.split_once(' ').unwrap();
            out.families.insert(name.to_owned(), kind.to_owned());
            continue;
        }
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap();
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => (name, parse_labels(rest.strip_suffix('}').unwrap())),
            None => (series, Vec::new()),
        };
        out.samples.insert(key(name, labels), value.parse().unwrap());
    }
    out
}

/// `k="v",…` with the values unescaped (`\\`, `\"`, `\n`).
fn parse_labels(mut rest: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    while let Some((k, after)) = rest.split_once("=\"") {
        let (mut value, mut chars) = (String::new(), after.char_indices());
        let end = loop {
            match chars.next().unwrap() {
                (_, '\\') => match chars.next().unwrap().1 {
                    'n' => value.push('\n'),
                    c => value.push(c),
                },
                (i, '"') => break i,
                (_, c) => value.push(c),
            }
        };
        out.push((k.trim_start_matches(',').to_owned(), value));
        rest = &after[end + 1..];
    }
    out
}

/// The protobuf exposition, as the samples the text would carry.
fn parse_protobuf(bytes: &[u8]) -> Exposition {
    let mut out = Exposition::default();
    for f in proto::decode(bytes) {
        let name = f.name.clone().unwrap();
        let (family, kind) = match f.r#type.unwrap() {
            proto::COUNTER => (name.strip_suffix("_total").unwrap().to_owned(), "counter"),
            proto::GAUGE => (name.clone(), "gauge"),
            proto::SUMMARY => (name.clone(), "summary"),
            proto::HISTOGRAM => (name.clone(), "histogram"),
            other => panic!("type {other}"),
        };
        out.families.insert(family, kind.to_owned());
        for m in &f.metric {
            let labels = || m.label.iter().map(|l| (l.name.clone().unwrap(), l.value.clone().unwrap()));
            let mut put = |suffix: &str, extra: Option<(String, String)>, v: f64| {
                out.samples.insert(key(&format!("{name}{suffix}"), labels().chain(extra)), v);
            };
            if let Some(g) = &m.gauge {
                put("", None, g.value.unwrap());
            }
            if let Some(c) = &m.counter {
                put("", None, c.value.unwrap());
            }
            if let Some(s) = &m.summary {
                put("_sum", None, s.sample_sum.unwrap());
                put("_count", None, s.sample_count.unwrap() as f64);
            }
            if let Some(h) = &m.histogram {
                for b in &h.bucket {
                    let le = format!("{}", b.upper_bound.unwrap());
                    put("_bucket", Some(("le".into(), le)), b.cumulative_count.unwrap() as f64);
                }
                put("_bucket", Some(("le".into(), "+Inf".into())), h.sample_count.unwrap() as f64);
                put("_sum", None, h.sample_sum.unwrap());
                put("_count", None, h.sample_count.unwrap() as f64);
            }
        }
    }
    out
}

fn assert_same(a: &Exposition, b: &Exposition, what: &str) {
    let (ka, kb): (BTreeSet<_>, BTreeSet<_>) = (a.samples.keys().collect(), b.samples.keys().collect());
    assert_eq!(ka, kb, "{what}: the samples differ");
    for (k, v) in &a.samples {
        let w = b.samples[k];
        assert!((v - w).abs() <= 1e-9 * v.abs().max(1.0), "{what}: {k:?} is {v} against {w}");
    }
}

#[test]
fn every_backend_names_the_same_families_with_the_same_values() {
    static T: Tracker<8, 8> = Tracker::new();
    T.record("parse", Duration::from_micros(1500), 2048).unwrap();
    T.record_sample("parse", &Sample::new(Duration::from_micros(40), 0).with_allocations(3)).unwrap();
    let get = T.operation_with_labels("http", &[("route", "/a \"b\"")]).unwrap();
    get.record(Duration::from_millis(12), 0);
    T.operation("idle").unwrap();
    let mut fut = Box::pin(T.operation("fetch").unwrap().instrument(Pending(1)));
    assert!(fut.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_pending());
    drop(fut);
    T.counter_with_labels("jobs_total", &[("queue", "x")]).unwrap().increment(7);
    T.gauge("depth").unwrap().set(2.5);

    let mut text = String::new();
    T.write_openmetrics(&mut text).unwrap();
    let text = parse_text(&text);

    let mut bytes = Vec::new();
    T.write_protobuf(&mut bytes).unwrap();
    let protobuf = parse_protobuf(&bytes);

    let mut registry = Registry::default();
    registry.register_collector(Box::new(PerftrackCollector::new(&T)));
    let mut collected = String::new();
    prometheus_client::encoding::text::encode(&mut collected, &registry).unwrap();
    let mut collector = parse_text(&collected);

    // Every family is there: the histogram, the extremes, memory,
    // allocations, both cancelled counters, the counter and the gauge.
    let names: BTreeSet<&str> = text.families.keys().map(String::as_str).collect();
    assert_eq!(names.len(), 9, "{names:?}");
    assert_eq!(text.families, protobuf.families, "text and protobuf name other families");
    assert_same(&text, &protobuf, "text against protobuf");

    // prometheus-client has no summary type: the collector writes the
    // summaries as histograms with only `+Inf`, whose `_sum` and `_count`
    // are the summary's. Everything else is the same.
    for (name, kind) in &text.families {
        let theirs = collector.families.get(name).unwrap_or_else(|| panic!("the collector lacks {name}"));
        if kind == "summary" {
            assert_eq!(theirs, "histogram", "{name}");
            let bucket = format!("{name}_bucket");
            collector.samples.retain(|(n, _), _| *n != bucket);
        } else {
            assert_eq!(theirs, kind, "{name}");
        }
    }
    assert_eq!(collector.families.len(), text.families.len(), "{:?}", collector.families);
    assert_same(&text, &collector, "text against the collector");
}
