//! Human-readable figures: a duration or a byte count in the unit that fits
//! it, with three significant digits (`48 ns`, `12.1 µs`, `1.50 ms`,
//! `2.00 KiB`). Integer arithmetic only, so an MCU pays no floating point.

use core::fmt;
use core::fmt::Write as _;

const TIME: [(u64, &str); 4] = [(1, "ns"), (1_000, "µs"), (1_000_000, "ms"), (1_000_000_000, "s")];
const BYTES: [(u64, &str); 5] = [(1, "B"), (1 << 10, "KiB"), (1 << 20, "MiB"), (1 << 30, "GiB"), (1 << 40, "TiB")];

/// A duration in nanoseconds, shown in ns, µs, ms or s.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Nanos(pub(crate) u64);

/// A byte count, shown in B, KiB, MiB, GiB or TiB.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bytes(pub(crate) u64);

impl fmt::Display for Nanos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        sig3(f, self.0, &TIME)
    }
}

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        sig3(f, self.0, &BYTES)
    }
}

/// `v / div` rounded to nearest.
fn round_div(v: u128, div: u128) -> u128 {
    (v + div / 2) / div
}

/// Writes `v` (in the first unit) in the largest unit it reaches, with three
/// significant digits; the smallest unit is whole. The text is padded as a
/// whole to the formatter's width, so it lines up in a table.
fn sig3(f: &mut fmt::Formatter<'_>, v: u64, units: &[(u64, &str)]) -> fmt::Result {
    let mut i = units.iter().rposition(|&(div, _)| v >= div).unwrap_or(0);
    let text = loop {
        let (div, unit) = units[i];
        let mut s: heapless::String<32> = heapless::String::new();
        if i == 0 {
            let _ = write!(s, "{v} {unit}");
            break s;
        }
        let (v, div) = (u128::from(v), u128::from(div));
        // Digits before the point decide the decimals: 1 → 2, 2 → 1, 3 → 0.
        let (scaled, decimals) = match round_div(v * 100, div) {
            h if h < 1_000 => (h, 2),
            _ => match round_div(v * 10, div) {
                t if t < 1_000 => (t, 1),
                _ => (round_div(v, div), 0),
            },
        };
        // Rounding up to a whole next unit (1000 µs, 1024 KiB) is 1.00 of it.
        if decimals == 0 && units.get(i + 1).is_some_and(|&(next, _)| scaled >= u128::from(next / units[i].0)) {
            i += 1;
            continue;
        }
        let _ = match decimals {
            2 => write!(s, "{}.{:02} {unit}", scaled / 100, scaled % 100),
            1 => write!(s, "{}.{} {unit}", scaled / 10, scaled % 10),
            _ => write!(s, "{scaled} {unit}"),
        };
        break s;
    };
    f.pad(&text)
}

#[cfg(test)]
mod tests {
    use super::{Bytes, Nanos};
    use std::format;

    #[test]
    fn durations_take_the_unit_that_fits_with_three_significant_digits() {
        let cases = [
            (0, "0 ns"),
            (48, "48 ns"),
            (999, "999 ns"),
            (1_000, "1.00 µs"),
            (1_234, "1.23 µs"),
            (12_345, "12.3 µs"),
            (123_456, "123 µs"),
            (999_600, "1.00 ms"),
            (1_500_000, "1.50 ms"),
            (16_000_000, "16.0 ms"),
            (2_500_000_000, "2.50 s"),
            (u64::MAX, "18446744074 s"),
        ];
        for (ns, want) in cases {
            assert_eq!(format!("{}", Nanos(ns)), want, "{ns} ns");
        }
    }

    #[test]
    fn byte_counts_take_binary_units_with_three_significant_digits() {
        let cases = [(0, "0 B"), (512, "512 B"), (1023, "1023 B"), (1024, "1.00 KiB"), (2048, "2.00 KiB")];
        for (b, want) in cases {
            assert_eq!(format!("{}", Bytes(b)), want, "{b} B");
        }
        assert_eq!(format!("{}", Bytes(70 * 1024)), "70.0 KiB");
        assert_eq!(format!("{}", Bytes(1024 * 1024)), "1.00 MiB");
        assert_eq!(format!("{}", Bytes(1_048_575)), "1.00 MiB");
    }

    #[test]
    fn figures_pad_as_a_whole_to_the_column_width() {
        assert_eq!(format!("{:>10}", Nanos(1_500_000)), "   1.50 ms");
        assert_eq!(format!("{:>10}", Bytes(1)), "       1 B");
    }
}
