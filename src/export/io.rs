//! The writers' `std` adapters: a `Vec<u8>` and any `std::io::Write` as a
//! [`ByteSink`], and [`Exposition::write`] into a `Vec<u8>`. The one file of
//! `export/` that needs `std`; the writers themselves need only `core`.

use std::string::String;
use std::vec::Vec;

use crate::export::negotiate::Exposition;
use crate::export::options::ExportOptions;
use crate::export::protobuf::ByteSink;
use crate::tracker::Tracker;

impl ByteSink for Vec<u8> {
    type Error = core::convert::Infallible;

    fn put(&mut self, bytes: &[u8]) -> Result<(), Self::Error> {
        self.extend_from_slice(bytes);
        Ok(())
    }
}

/// A [`ByteSink`] over any `std::io::Write` (a `TcpStream`, a file, a
/// `BufWriter`).
#[derive(Debug)]
pub struct IoSink<W>(pub W);

impl<W: std::io::Write> ByteSink for IoSink<W> {
    type Error = std::io::Error;

    fn put(&mut self, bytes: &[u8]) -> Result<(), Self::Error> {
        self.0.write_all(bytes)
    }
}

impl Exposition {
    /// Writes `tracker` in this exposition into `out`: what a `/metrics`
    /// handler answers with, under [`content_type`](Self::content_type).
    ///
    /// ```
    /// use perftrack::{Tracker, export::Exposition};
    ///
    /// static T: Tracker<2, 4> = Tracker::new();
    /// T.counter("hits")?.increment(1);
    /// let mut body = Vec::new();
    /// Exposition::OpenMetrics.write(&T, &mut body);
    /// assert!(body.ends_with(b"hits_total 1\n# EOF\n"));
    /// # Ok::<(), perftrack::TrackerError>(())
    /// ```
    pub fn write<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>(
        self,
        tracker: &Tracker<OPS, RING, SHARDS, BUCKETS>,
        out: &mut Vec<u8>,
    ) {
        self.write_with(tracker, out, &ExportOptions::new());
    }

    /// The exposition an `Accept` header prefers, and `tracker` written in
    /// it with `options`: what a `/metrics` handler answers with, under
    /// the exposition's [`content_type`](Self::content_type).
    #[cfg(any(feature = "http", feature = "axum"))]
    pub(crate) fn answer<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>(
        accept: Option<&str>,
        tracker: &Tracker<OPS, RING, SHARDS, BUCKETS>,
        options: &ExportOptions<'_>,
    ) -> (Self, Vec<u8>) {
        let format = Self::negotiate(accept);
        let mut body = Vec::new();
        format.write_with(tracker, &mut body, options);
        (format, body)
    }

    /// [`write`](Self::write) with export options of your own (a prefix,
    /// constant labels, the native schema). Options that are not valid
    /// ([`Tracker::write_openmetrics_with`]'s errors) write nothing.
    pub fn write_with<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>(
        self,
        tracker: &Tracker<OPS, RING, SHARDS, BUCKETS>,
        out: &mut Vec<u8>,
        options: &ExportOptions<'_>,
    ) {
        match self {
            Self::Protobuf => {
                // A `Vec` sink never fails; invalid options write nothing.
                let _ = tracker.write_protobuf_with(out, options);
            }
            Self::OpenMetrics => {
                let mut text = String::new();
                // Writing to a String fails only on invalid options, which
                // then write nothing.
                if tracker.write_openmetrics_with(&mut text, options).is_ok() {
                    out.extend_from_slice(text.as_bytes());
                }
            }
        }
    }
}
