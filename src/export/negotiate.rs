//! Content negotiation for a `/metrics` endpoint: which exposition a
//! scraper's `Accept` header prefers, the OpenMetrics text or the protobuf
//! that carries native histograms.

use crate::export::openmetrics::OPENMETRICS_CONTENT_TYPE;
use crate::export::protobuf::PROTOBUF_CONTENT_TYPE;

/// The two expositions a tracker writes, and how a scraper picks one.
///
/// Prometheus asks for protobuf first (with `--enable-feature=native-histograms`,
/// or `scrape_protocols` in later versions) and for text otherwise; other
/// scrapers ask for text or for anything.
///
/// ```
/// use perftrack::export::Exposition;
///
/// let prometheus_native = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;\
///     encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
/// assert_eq!(Exposition::negotiate(Some(prometheus_native)), Exposition::Protobuf);
/// assert_eq!(Exposition::negotiate(Some("application/openmetrics-text;version=1.0.0,*/*;q=0.1")), Exposition::OpenMetrics);
/// assert_eq!(Exposition::negotiate(None), Exposition::OpenMetrics);
/// assert!(Exposition::Protobuf.content_type().starts_with("application/vnd.google.protobuf"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Exposition {
    /// OpenMetrics 1.0 text ([`Tracker::write_openmetrics`](crate::Tracker::write_openmetrics)):
    /// classic histogram buckets only.
    OpenMetrics,
    /// The Prometheus protobuf format ([`Tracker::write_protobuf`](crate::Tracker::write_protobuf)):
    /// native and classic buckets.
    Protobuf,
}

impl Exposition {
    /// The exposition an `Accept` header prefers: protobuf when its
    /// `application/vnd.google.protobuf` range (for
    /// `io.prometheus.client.MetricFamily`, delimited) has a higher `q` than
    /// every text range (`application/openmetrics-text`, `text/plain`,
    /// `text/*`, `*/*`); text otherwise, and with no header or one that
    /// cannot be read. Never fails.
    #[must_use]
    pub fn negotiate(accept: Option<&str>) -> Self {
        let (mut proto, mut text) = (0u32, 0u32);
        for range in accept.unwrap_or("").split(',') {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or("");
            let (mut q, mut proto_ok) = (1000u32, true);
            for param in parts {
                let (k, v) = param.split_once('=').unwrap_or((param, ""));
                let (k, v) = (k.trim(), v.trim().trim_matches('"'));
                if k.eq_ignore_ascii_case("q") {
                    q = quality(v);
                } else if k.eq_ignore_ascii_case("proto") {
                    proto_ok &= v == "io.prometheus.client.MetricFamily";
                } else if k.eq_ignore_ascii_case("encoding") {
                    proto_ok &= v == "delimited";
                }
            }
            if media.eq_ignore_ascii_case("application/vnd.google.protobuf") {
                if proto_ok {
                    proto = proto.max(q);
                }
            } else if ["application/openmetrics-text", "text/plain", "text/*", "*/*"]
                .iter()
                .any(|m| media.eq_ignore_ascii_case(m))
            {
                text = text.max(q);
            }
        }
        if proto > text { Self::Protobuf } else { Self::OpenMetrics }
    }

    /// The `Content-Type` to answer with.
    #[must_use]
    pub const fn content_type(self) -> &'static str {
        match self {
            Self::OpenMetrics => OPENMETRICS_CONTENT_TYPE,
            Self::Protobuf => PROTOBUF_CONTENT_TYPE,
        }
    }
}

/// A `q` value in thousandths: `0` to `1`, at most three decimals; anything
/// else reads as 0 (not acceptable).
fn quality(v: &str) -> u32 {
    let (whole, frac) = v.split_once('.').unwrap_or((v, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if frac.len() > 3 || !digits(whole) || !digits(frac) {
        return 0;
    }
    let frac = frac.bytes().chain(core::iter::repeat(b'0')).take(3).fold(0u32, |a, b| a * 10 + u32::from(b - b'0'));
    match whole {
        "0" | "" => frac,
        "1" if frac == 0 => 1000,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_higher_q_wins_and_text_wins_ties_and_bad_headers() {
        let native = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,\
                      text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
        assert_eq!(Exposition::negotiate(Some(native)), Exposition::Protobuf);
        let classic = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,\
                       text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(Exposition::negotiate(Some(classic)), Exposition::OpenMetrics);
        for accept in [
            "",
            "garbage",
            ";;;,,,",
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited, */*",
            "application/vnd.google.protobuf;proto=other.Message;q=1, text/plain;q=0.1",
            "application/vnd.google.protobuf;encoding=text;q=1, text/plain;q=0.1",
            "application/vnd.google.protobuf;q=1.5, text/plain;q=0.1",
            "application/vnd.google.protobuf;q=abc",
        ] {
            assert_eq!(Exposition::negotiate(Some(accept)), Exposition::OpenMetrics, "{accept:?}");
        }
        assert_eq!(
            Exposition::negotiate(Some(
                "APPLICATION/VND.GOOGLE.PROTOBUF; Proto=io.prometheus.client.MetricFamily; Q=1"
            )),
            Exposition::Protobuf
        );
        assert_eq!(Exposition::negotiate(Some("application/vnd.google.protobuf")), Exposition::Protobuf);
    }

    #[test]
    fn q_values_read_to_thousandths_and_anything_else_is_zero() {
        for (v, q) in [("1", 1000), ("1.000", 1000), ("0.7", 700), ("0.125", 125), ("0", 0), (".5", 500)] {
            assert_eq!(quality(v), q, "{v}");
        }
        for v in ["1.5", "2", "0.1234", "-1", "x", "1.0x"] {
            assert_eq!(quality(v), 0, "{v}");
        }
    }
}
