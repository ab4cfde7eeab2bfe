//! `perftrack trend`: each operation's p50 and p99 run by run, with their
//! change points, as sparklines and as an SVG chart.

use core::fmt::Write as _;

use perftrack::compare::trend::{ChangePoint, TrendOptions, change_points};
use perftrack::history::Snapshot;

/// One figure of one operation over the runs: `(run index, ns)` for each
/// run that recorded the operation, and its change points (indices into
/// `points`).
pub(crate) struct Figure {
    pub(crate) name: &'static str,
    pub(crate) points: Vec<(usize, f64)>,
    pub(crate) changes: Vec<ChangePoint>,
}

/// One operation's p50 and p99.
pub(crate) struct Series {
    pub(crate) op: String,
    pub(crate) figures: [Figure; 2],
}

/// The series of every operation (or of `only`), in order of first
/// appearance.
pub(crate) fn series(runs: &[&Snapshot], only: Option<&str>) -> Vec<Series> {
    let mut ops: Vec<String> = Vec::new();
    for s in runs {
        for m in &s.summaries {
            let key = format!("{}{}", m.name, m.labels);
            let wanted = only.is_none_or(|o| o == key || o == m.name.as_str());
            if wanted && !ops.contains(&key) {
                ops.push(key);
            }
        }
    }
    ops.into_iter()
        .map(|op| {
            let figure = |name: &'static str, q: f64| {
                let points: Vec<(usize, f64)> = runs
                    .iter()
                    .enumerate()
                    .filter_map(|(i, s)| {
                        let m = s.summaries.iter().find(|m| format!("{}{}", m.name, m.labels) == op)?;
                        Some((i, m.distribution.quantile(q)?.as_nanos() as f64))
                    })
                    .collect();
                let values: Vec<f64> = points.iter().map(|&(_, v)| v).collect();
                let changes = change_points(&values, &TrendOptions::default());
                Figure { name, points, changes }
            };
            Series { figures: [figure("p50", 0.5), figure("p99", 0.99)], op }
        })
        .collect()
}

/// A duration in the unit that fits it.
fn time(ns: f64) -> String {
    let (v, unit) = if ns >= 1e9 {
        (ns / 1e9, "s")
    } else if ns >= 1e6 {
        (ns / 1e6, "ms")
    } else if ns >= 1e3 {
        (ns / 1e3, "µs")
    } else {
        (ns, "ns")
    };
    if v >= 100.0 {
        format!("{v:.0} {unit}")
    } else if v >= 10.0 {
        format!("{v:.1} {unit}")
    } else {
        format!("{v:.2} {unit}")
    }
}

/// At most this many columns a sparkline; more runs share a column (its
/// median).
const COLUMNS: usize = 100;

/// The text: per operation and figure, a sparkline with the change points
/// marked under it (`^`), then each change point in words.
pub(crate) fn text(series: &[Series], runs: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let mut out =
        format!("{runs} runs; change points: Pettitt's rank test in binary segmentation, p <= 0.01, steps over 5%\n");
    for s in series {
        let _ = writeln!(out, "\n{}", s.op);
        for f in &s.figures {
            if f.points.is_empty() {
                let _ = writeln!(out, "  {:<4} (too few records in every run)", f.name);
                continue;
            }
            let cols = f.points.len().min(COLUMNS);
            let col_of = |i: usize| i * cols / f.points.len();
            let mut buckets: Vec<Vec<f64>> = vec![Vec::new(); cols];
            for (i, &(_, v)) in f.points.iter().enumerate() {
                buckets[col_of(i)].push(v);
            }
            let meds: Vec<f64> = buckets
                .iter_mut()
                .map(|b| {
                    b.sort_by(f64::total_cmp);
                    b[b.len() / 2]
                })
                .collect();
            let (lo, hi) = meds.iter().fold((f64::MAX, f64::MIN), |(l, h), &v| (l.min(v), h.max(v)));
            let bar = |v: f64| if hi > lo { BARS[(((v - lo) / (hi - lo)) * 7.0).round() as usize] } else { BARS[3] };
            let line: String = meds.iter().map(|&v| bar(v)).collect();
            let mut marks = vec![' '; cols];
            for c in &f.changes {
                marks[col_of(c.index)] = '^';
            }
            let _ = writeln!(out, "  {:<4} {line}  {} .. {}", f.name, time(lo), time(hi));
            if !f.changes.is_empty() {
                let _ = writeln!(out, "       {}", marks.iter().collect::<String>().trim_end());
            }
            for c in &f.changes {
                let run = f.points[c.index].0 + 1;
                let _ = writeln!(
                    out,
                    "       change at run {run}: {} -> {} ({:+.1}%, p = {:.1e})",
                    time(c.before),
                    time(c.after),
                    c.relative * 100.0,
                    c.p_value
                );
            }
        }
    }
    out
}

/// The chart: a panel per operation, run numbers across, time up (each
/// panel from 0 to its largest value), p50 and p99 as lines, change points
/// as dashed verticals labelled with their step.
pub(crate) fn svg(series: &[Series], runs: usize) -> String {
    let (w, panel, left, right, top) = (960.0, 240.0, 80.0, 20.0, 30.0);
    let plot_w = w - left - right;
    let plot_h = panel - 70.0;
    let h = top + panel * series.len() as f64;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{left}\" y=\"20\" font-size=\"14\">perftrack trend: p50 (blue) and p99 (orange) of {runs} runs; \
         dashed lines: change points</text>\n"
    );
    let colours = ["#1f77b4", "#ff7f0e"];
    for (k, s) in series.iter().enumerate() {
        let y0 = top + panel * k as f64 + 20.0;
        let max = s.figures.iter().flat_map(|f| f.points.iter().map(|&(_, v)| v)).fold(0.0, f64::max).max(1.0);
        let x = |run: usize| left + plot_w * (run as f64 + 0.5) / runs.max(1) as f64;
        let y = |v: f64| y0 + plot_h * (1.0 - v / max);
        let _ = writeln!(
            out,
            "<g class=\"operation\"><text x=\"{left}\" y=\"{}\" font-weight=\"bold\">{}</text>",
            y0 - 4.0,
            escape(&s.op)
        );
        // Axes, with time ticks at 0, ½ and the top, and run numbers.
        let _ = writeln!(
            out,
            "<line x1=\"{left}\" y1=\"{y0}\" x2=\"{left}\" y2=\"{b}\" stroke=\"black\"/>\
             <line x1=\"{left}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"black\"/>",
            b = y0 + plot_h,
            r = left + plot_w
        );
        for frac in [0.0, 0.5, 1.0] {
            let v = max * frac;
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><line x1=\"{left}\" y1=\"{yy}\" x2=\"{}\" y2=\"{yy}\" stroke=\"#ddd\"/>",
                left - 6.0,
                y(v) + 4.0,
                time(v),
                left + plot_w,
                yy = y(v)
            );
        }
        let step = (runs / 10).max(1);
        for run in (0..runs).step_by(step) {
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                x(run),
                y0 + plot_h + 16.0,
                run + 1
            );
        }
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">run</text>",
            left + plot_w / 2.0,
            y0 + plot_h + 32.0
        );
        for (row, (f, colour)) in s.figures.iter().zip(colours).enumerate() {
            let pts: Vec<String> = f.points.iter().map(|&(run, v)| format!("{:.1},{:.1}", x(run), y(v))).collect();
            let _ = writeln!(
                out,
                "<polyline class=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\" points=\"{}\"/>",
                f.name,
                pts.join(" ")
            );
            for c in &f.changes {
                let run = f.points[c.index].0;
                let cx = x(run) - plot_w / runs.max(1) as f64 / 2.0;
                let _ = writeln!(
                    out,
                    "<line class=\"change-point\" x1=\"{cx:.1}\" y1=\"{y0}\" x2=\"{cx:.1}\" y2=\"{}\" stroke=\"#d62728\" \
                     stroke-dasharray=\"4 3\"/><text x=\"{:.1}\" y=\"{}\" fill=\"#d62728\">{} {:+.1}% at run {}</text>",
                    y0 + plot_h,
                    cx + 4.0,
                    y0 + 12.0 + 14.0 * row as f64,
                    f.name,
                    c.relative * 100.0,
                    run + 1
                );
            }
        }
        out.push_str("</g>\n");
    }
    out.push_str("</svg>\n");
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
