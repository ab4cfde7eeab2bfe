//! A test-only export format: one CSV row per sample. It shows what adding
//! a format takes (this file and its `mod` line in `export/mod.rs`), and
//! its test checks that it names the families the text names.

use core::fmt::{self, Write};

use crate::export::schedule::{Encoder, Sample, Samples, Snapshots, Value, walk};
use crate::families::Family;
use crate::tracker::Tracker;

/// `family,operation,labels,value` rows into a writer.
struct Csv<'w, W>(&'w mut W);

impl<W: Write> Encoder for Csv<'_, W> {
    type Error = fmt::Error;

    fn histograms<const B: usize>(&mut self, f: &Family<'_>, snapshots: &Snapshots<'_, B, fmt::Error>) -> fmt::Result {
        snapshots(&mut |s| writeln!(self.0, "{f}_count,{},{},{}", s.name, s.labels, s.count))
    }

    fn family(&mut self, f: &Family<'_>, samples: &Samples<'_, fmt::Error>) -> fmt::Result {
        samples(&mut |Sample { op, series, value }| {
            let op = op.unwrap_or("");
            match value {
                Value::Seconds(d) => writeln!(self.0, "{f},{op},{series},{}", d.as_nanos()),
                Value::Count(n) => writeln!(self.0, "{f},{op},{series},{n}"),
                Value::Float(v) => writeln!(self.0, "{f},{op},{series},{v}"),
                Value::Summary { sum, .. } => writeln!(self.0, "{f}_sum,{op},{series},{sum}"),
            }
        })
    }
}

/// Every family of `tracker` as CSV rows.
fn write_csv<const OPS: usize, const RING: usize, const SHARDS: usize, const BUCKETS: usize>(
    tracker: &Tracker<OPS, RING, SHARDS, BUCKETS>,
    w: &mut impl Write,
) -> fmt::Result {
    walk(tracker, "perftrack", &mut Csv(w))
}

#[cfg(test)]
mod tests {
    use super::write_csv;
    use crate::histogram::buckets::COARSE_BUCKETS;
    use crate::tracker::Tracker;
    use core::time::Duration;
    use std::collections::BTreeSet;
    use std::string::String;

    #[test]
    fn a_new_format_names_the_families_the_text_names() {
        static T: Tracker<4, 4, 1, COARSE_BUCKETS> = Tracker::new();
        T.record("parse", Duration::from_micros(3), 64).unwrap();
        T.operation("idle").unwrap();
        T.counter("jobs").unwrap().increment(2);
        T.gauge("depth").unwrap().set(1.5);
        let mut csv = String::new();
        write_csv(&T, &mut csv).unwrap();
        let mut text = String::new();
        T.write_openmetrics(&mut text).unwrap();

        let from_csv: BTreeSet<&str> = csv
            .lines()
            .map(|l| l.split(',').next().unwrap().trim_end_matches("_count").trim_end_matches("_sum"))
            .collect();
        let from_text: BTreeSet<&str> =
            text.lines().filter_map(|l| l.strip_prefix("# TYPE ")).map(|l| l.split(' ').next().unwrap()).collect();
        assert_eq!(from_csv, from_text, "{csv}\n{text}");
        assert!(csv.contains("perftrack_operation_duration_seconds_count,parse,,1\n"), "{csv}");
        assert!(csv.contains("perftrack_operation_memory_bytes_sum,idle,,0\n"), "{csv}");
        assert!(csv.contains("jobs,,,2\n") && csv.contains("depth,,,1.5\n"), "{csv}");
    }
}
