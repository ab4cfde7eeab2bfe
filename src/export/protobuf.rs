//! The Prometheus protobuf exposition (`io.prometheus.client.MetricFamily`,
//! length-delimited), which carries native histograms: the families and
//! their fields are documented on [`Tracker::write_protobuf`], where users
//! look.
//!
//! A hand-written encoder of the few messages it needs, `no_std` and
//! allocation-free like the text writer. A message's length comes before it,
//! so each message is encoded twice: once into a byte counter, for its
//! length, then into the sink. Both passes read the same plain values (a
//! snapshot taken once), so they agree. The tests decode the output with
//! prost, from message types written out of the published `metrics.proto`.

use core::fmt;

use crate::export::classic::exposition_buckets;
use crate::export::options::ExportOptions;
use crate::export::schedule::{Encoder, Sample, Samples, Snapshots, Value, sample_labels, walk};
use crate::families::{Family, Shape};
use crate::histogram::buckets::Layout;
use crate::histogram::distribution::Distribution;
use crate::histogram::native::native_buckets;
use crate::labels::Labels;
use crate::tracker::Tracker;

/// The content type to serve [`Tracker::write_protobuf`] output with, and
/// the media type a scraper's `Accept` header names when it wants it.
pub const PROTOBUF_CONTENT_TYPE: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

/// Where [`Tracker::write_protobuf`] puts its bytes: a growable buffer, a
/// fixed one, a socket. Implemented for `heapless::Vec<u8, N>` (no_std),
/// `Vec<u8>` (std), and any `std::io::Write` through [`IoSink`](crate::export::IoSink).
pub trait ByteSink {
    /// What a failed write reports.
    type Error;

    /// Appends all of `bytes`, or fails.
    ///
    /// # Errors
    ///
    /// The sink's own: full, closed.
    fn put(&mut self, bytes: &[u8]) -> Result<(), Self::Error>;
}

impl<const N: usize> ByteSink for heapless::Vec<u8, N> {
    type Error = heapless::CapacityError;

    fn put(&mut self, bytes: &[u8]) -> Result<(), Self::Error> {
        self.extend_from_slice(bytes)
    }
}

/// Why [`Tracker::write_protobuf_with`] wrote nothing, or stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtobufError<E> {
    /// The options are not valid: a bad prefix or label name (as for the
    /// text exposition), or a native schema outside `-4..=8`. Nothing was
    /// written.
    Options,
    /// The sink failed; what was written before it is a prefix of the
    /// exposition, cut at a message boundary or inside one.
    Sink(E),
}

impl<E: fmt::Display> fmt::Display for ProtobufError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Options => f.write_str(
                "invalid export options: the prefix and label names must be valid Prometheus names, \
                 label names neither reserved (`__…`), repeated, nor `operation`, `quantile` or `le`, \
                 and the native schema within -4..=8",
            ),
            Self::Sink(e) => write!(f, "the protobuf exposition could not be written: {e}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> core::error::Error for ProtobufError<E> {}

/// A write stopped (the sink's error is kept by [`Adapter`]).
struct Stop;

type Res = Result<(), Stop>;

/// The encoder's view of a sink: a byte counter or the user's sink.
trait Out {
    fn put(&mut self, bytes: &[u8]) -> Res;
}

/// Counts bytes: the first pass, for a message's length.
struct Count(u64);

impl Out for Count {
    fn put(&mut self, bytes: &[u8]) -> Res {
        self.0 += bytes.len() as u64;
        Ok(())
    }
}

/// The user's sink, keeping its error.
struct Adapter<'a, S: ByteSink> {
    sink: &'a mut S,
    error: Option<S::Error>,
}

impl<S: ByteSink> Out for Adapter<'_, S> {
    fn put(&mut self, bytes: &[u8]) -> Res {
        self.sink.put(bytes).map_err(|e| {
            self.error = Some(e);
            Stop
        })
    }
}

// ---------------------------------------------------------------- wire format

const VARINT: u32 = 0;
const FIXED64: u32 = 1;
const LEN: u32 = 2;

fn varint(o: &mut dyn Out, mut v: u64) -> Res {
    let mut buf = [0u8; 10];
    let mut n = 0;
    while v >= 0x80 {
        buf[n] = (v as u8) | 0x80;
        v >>= 7;
        n += 1;
    }
    buf[n] = v as u8;
    o.put(&buf[..=n])
}

fn tag(o: &mut dyn Out, field: u32, wire: u32) -> Res {
    varint(o, u64::from(field << 3 | wire))
}

fn uint(o: &mut dyn Out, field: u32, v: u64) -> Res {
    tag(o, field, VARINT)?;
    varint(o, v)
}

/// `sint32` / `sint64`: zigzag.
fn sint(o: &mut dyn Out, field: u32, v: i64) -> Res {
    tag(o, field, VARINT)?;
    varint(o, ((v << 1) ^ (v >> 63)) as u64)
}

fn double(o: &mut dyn Out, field: u32, v: f64) -> Res {
    tag(o, field, FIXED64)?;
    o.put(&v.to_bits().to_le_bytes())
}

/// A string made of pieces (a metric name is prefix, stem and unit).
fn string(o: &mut dyn Out, field: u32, pieces: &[&str]) -> Res {
    tag(o, field, LEN)?;
    varint(o, pieces.iter().map(|p| p.len() as u64).sum())?;
    pieces.iter().try_for_each(|p| o.put(p.as_bytes()))
}

/// A length-prefixed body: counted, then written.
fn delimited(o: &mut dyn Out, body: &dyn Fn(&mut dyn Out) -> Res) -> Res {
    let mut c = Count(0);
    body(&mut c)?;
    varint(o, c.0)?;
    body(o)
}

/// An embedded message, as field `field`.
fn message(o: &mut dyn Out, field: u32, body: &dyn Fn(&mut dyn Out) -> Res) -> Res {
    tag(o, field, LEN)?;
    delimited(o, body)
}

// ---------------------------------------------------------------- messages

/// `MetricType`.
const COUNTER_TYPE: u64 = 0;
const GAUGE_TYPE: u64 = 1;
const SUMMARY_TYPE: u64 = 2;
const HISTOGRAM_TYPE: u64 = 4;

/// `Metric.label`: the labels of [`sample_labels`], as the text writes
/// them.
fn labels(o: &mut dyn Out, opts: &ExportOptions<'_>, op: Option<&str>, series: &Labels) -> Res {
    sample_labels(opts.labels, op, series).try_for_each(|(k, v)| {
        message(o, 1, &|o| {
            string(o, 1, &[k])?;
            string(o, 2, &[v])
        })
    })
}

/// A `MetricFamily`'s name, help, type and unit; its metrics are `metrics`.
/// A counter's family is named with `_total`, as the text's samples are, so
/// that Prometheus stores the same series name from either format.
fn family(o: &mut dyn Out, f: &Family<'_>, metrics: &dyn Fn(&mut dyn Out) -> Res) -> Res {
    delimited(o, &|o| {
        let total = if f.shape == Shape::Counter { "_total" } else { "" };
        let [a, b, c, d, e] = f.pieces();
        string(o, 1, &[a, b, c, d, e, total])?;
        string(o, 2, &[f.help])?;
        let kind = match f.shape {
            Shape::Counter => COUNTER_TYPE,
            Shape::Gauge => GAUGE_TYPE,
            Shape::Summary => SUMMARY_TYPE,
            Shape::Histogram => HISTOGRAM_TYPE,
        };
        uint(o, 3, kind)?;
        if !f.unit.is_empty() {
            string(o, 5, &[f.unit])?;
        }
        metrics(o)
    })
}

/// `Histogram`: count, sum, the classic buckets, and the native ones.
fn histogram<const B: usize>(
    o: &mut dyn Out,
    d: &Distribution<B>,
    sum_s: f64,
    schema: i32,
    opts: &ExportOptions<'_>,
) -> Res {
    uint(o, 1, d.count())?;
    double(o, 2, sum_s)?;
    for (le, below) in exposition_buckets(d, opts.classic_buckets) {
        message(o, 3, &|o| {
            uint(o, 1, below)?;
            double(o, 2, le as f64 / 1e9)
        })?;
    }
    sint(o, 5, i64::from(schema))?;
    double(o, 6, 0.0)?;
    uint(o, 7, d.counts().first().copied().unwrap_or(0))?;
    // Spans: runs of consecutive indices; a gap starts the next span, with
    // the gap as its offset (the first span's offset is its start).
    let mut prev: Option<i32> = None;
    let mut run: Option<(i32, u32)> = None;
    let span = |o: &mut dyn Out, offset: i32, length: u32| {
        message(o, 12, &|o| {
            sint(o, 1, i64::from(offset))?;
            uint(o, 2, u64::from(length))
        })
    };
    for (n, _) in native_buckets(d, schema) {
        run = match (run, prev) {
            (Some((offset, len)), Some(p)) if n == p + 1 => Some((offset, len + 1)),
            (Some((offset, len)), Some(p)) => {
                span(o, offset, len)?;
                Some((n - p - 1, 1))
            }
            _ => Some((n, 1)),
        };
        prev = Some(n);
    }
    if let Some((offset, len)) = run {
        span(o, offset, len)?;
    }
    let mut last = 0i64;
    for (_, c) in native_buckets(d, schema) {
        let c = c.min(i64::MAX as u64) as i64;
        sint(o, 13, c - last)?;
        last = c;
    }
    Ok(())
}

/// Seconds as a double.
fn seconds(d: core::time::Duration) -> f64 {
    d.as_secs_f64()
}

/// The protobuf format: a sink, the export's options and the native
/// schema.
struct Protobuf<'o, 'a> {
    o: &'o mut dyn Out,
    opts: &'a ExportOptions<'a>,
    schema: i32,
}

impl Encoder for Protobuf<'_, '_> {
    type Error = Stop;

    /// One family per operation, all of one name: a family's length comes
    /// before its metrics, and each operation's snapshot is taken once,
    /// without a buffer. Prometheus reads the families alike.
    fn histograms<const B: usize>(&mut self, f: &Family<'_>, snapshots: &Snapshots<'_, B, Stop>) -> Res {
        let (opts, schema) = (self.opts, self.schema);
        snapshots(&mut |s| {
            family(self.o, f, &|o| {
                message(o, 4, &|o| {
                    labels(o, opts, Some(&s.name), &s.labels)?;
                    message(o, 7, &|o| histogram(o, &s.distribution, seconds(s.total_duration), schema, opts))
                })
            })
        })
    }

    fn family(&mut self, f: &Family<'_>, samples: &Samples<'_, Stop>) -> Res {
        let opts = self.opts;
        family(self.o, f, &|o| {
            samples(&mut |Sample { op, series, value }| {
                message(o, 4, &|o| {
                    labels(o, opts, op, series)?;
                    let number = match value {
                        Value::Seconds(d) => seconds(d),
                        Value::Count(n) => n as f64,
                        Value::Float(v) => v,
                        Value::Summary { sum, count } => {
                            return message(o, 4, &|o| {
                                uint(o, 1, count)?;
                                double(o, 2, sum as f64)
                            });
                        }
                    };
                    // `Metric.gauge` is field 2, `Metric.counter` field 3.
                    let field = if f.shape == Shape::Counter { 3 } else { 2 };
                    message(o, field, &|o| double(o, 1, number))
                })
            })
        })
    }
}

fn write_all<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>(
    o: &mut dyn Out,
    tracker: &Tracker<OPS, RING, SHARDS, BUCKETS>,
    opts: &ExportOptions<'_>,
) -> Res {
    let own = const { Layout::of(BUCKETS) }.schema() as i32;
    let schema = opts.native_schema.map_or(own, |s| i32::from(s).min(own));
    walk(tracker, opts.prefix, &mut Protobuf { o, opts, schema })
}

impl<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>
    Tracker<OPS, RING, SHARDS, BUCKETS>
{
    /// Writes every operation in the Prometheus protobuf exposition format:
    /// a stream of length-delimited `io.prometheus.client.MetricFamily`
    /// messages, to serve with [`PROTOBUF_CONTENT_TYPE`]. This is the
    /// format that carries **native histograms**, which Prometheus
    /// (`--enable-feature=native-histograms`) stores and aggregates across
    /// processes exactly. Allocates nothing; works without `std`.
    ///
    /// The families are those of [`write_openmetrics`](Self::write_openmetrics),
    /// with the same names, help, labels and values, from one snapshot per
    /// operation:
    ///
    /// * `perftrack_operation_duration_seconds`, a histogram carrying both
    ///   forms. Native: the tracker's schema (4 by default), zero threshold 0
    ///   and the count of zero-length records, and the positive spans and
    ///   deltas of the internal buckets, which are native buckets: no
    ///   re-binning, so `histogram_quantile` over a fleet is within one
    ///   bucket (4.43% at schema 4) of the exact merged quantile. Classic:
    ///   the buckets of the text exposition (fourteen by default,
    ///   [`ExportOptions::classic_buckets`]), so a scraper without native
    ///   support keeps working. One `MetricFamily` per operation, all of one
    ///   name: a family's length precedes its metrics, and each operation is
    ///   read once without a buffer.
    /// * the extremes (gauges) and the memory, allocation and cancellation
    ///   summaries, under the same rules as the text.
    ///
    /// Durations past the bucket that holds one hour share the internal top
    /// bucket; the native histogram counts them in the native bucket of the
    /// recorded maximum.
    ///
    /// # Errors
    ///
    /// The sink's own error, wrapped; the output is then cut short.
    ///
    /// ```
    /// use perftrack::Tracker;
    /// use core::time::Duration;
    ///
    /// static T: Tracker<4, 8> = Tracker::new();
    /// T.record("query", Duration::from_micros(40), 0)?;
    /// let mut out = heapless::Vec::<u8, 4096>::new();
    /// T.write_protobuf(&mut out).unwrap();
    /// // The first family's name, after its length and the name's tag and length.
    /// assert!(out.windows(36).any(|w| w == b"perftrack_operation_duration_seconds"));
    /// # Ok::<(), perftrack::TrackerError>(())
    /// ```
    pub fn write_protobuf<S: ByteSink>(&self, sink: &mut S) -> Result<(), S::Error> {
        let mut out = Adapter { sink, error: None };
        // The default options are valid, and a stop always keeps the sink's
        // error.
        match (write_all(&mut out, self, &ExportOptions::new()), out.error) {
            (Err(Stop), Some(e)) => Err(e),
            _ => Ok(()),
        }
    }

    /// [`write_protobuf`](Self::write_protobuf) with a prefix, constant
    /// labels, and a lower native schema (see [`ExportOptions`]). A lower
    /// schema merges neighbouring buckets, exactly, for a scraper that
    /// limits the number of buckets; a higher one than the tracker's is
    /// written at the tracker's. `eof` has no meaning here.
    ///
    /// # Errors
    ///
    /// [`ProtobufError::Options`], with nothing written, for options the
    /// text exposition would refuse or a schema outside `-4..=8`;
    /// [`ProtobufError::Sink`] when the sink fails.
    pub fn write_protobuf_with<S: ByteSink>(
        &self,
        sink: &mut S,
        options: &ExportOptions<'_>,
    ) -> Result<(), ProtobufError<S::Error>> {
        if !options.is_valid() {
            return Err(ProtobufError::Options);
        }
        let mut out = Adapter { sink, error: None };
        match write_all(&mut out, self, options) {
            Ok(()) => Ok(()),
            Err(Stop) => Err(out.error.map_or(ProtobufError::Options, ProtobufError::Sink)),
        }
    }
}
