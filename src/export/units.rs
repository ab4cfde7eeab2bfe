//! Human-readable figures: a duration or a byte count in the unit that fits
//! it, with three significant digits (`48 ns`, `12.1 µs`, `1.50 ms`,
//! `2.00 KiB`), in integer arithmetic only, so an MCU pays no floating
//! point; and a gauge's value, which is an `f64`, without core's float
//! formatting, whose code would cost a firmware more than the rest of the
//! report.

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

/// A gauge's value: up to three decimals, trailing zeros dropped (`3`,
/// `2.5`, `-0.125`); whole from 10^12 on; from 10^15 on, three significant
/// digits and a power of ten (`1.23e18`); `NaN`, `+Inf` and `-Inf` as the
/// expositions write them. Padded as a whole, like the other figures.
///
/// Read from the `f64`'s bits in `u64` arithmetic, rounding the exact binary
/// value half to even as std does: a firmware that prints a report links no
/// float formatting and no soft-float routines for it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Value(pub(crate) f64);

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bits = self.0.to_bits();
        let sign = if bits >> 63 == 1 { "-" } else { "" };
        let biased = ((bits >> 52) & 0x7ff) as i32;
        let fraction = bits & ((1 << 52) - 1);
        if biased == 0x7ff {
            return f.pad(if fraction != 0 {
                "NaN"
            } else if sign.is_empty() {
                "+Inf"
            } else {
                "-Inf"
            });
        }
        // The value is `m × 2^e`, exactly, with `m` below 2^53.
        let (m, e) = if biased == 0 { (fraction, -1074) } else { (fraction | 1 << 52, biased - 1075) };
        let mut s: heapless::String<32> = heapless::String::new();
        // At most 17 bytes (`-`, 12 digits, `.` and 3), or 9: it fits.
        let _ = match (shift_round(m.saturating_mul(1000), e), shift_round(m, e)) {
            // Below 10^12: thousandths, so up to three decimals.
            (t, _) if e < 0 && t < 1_000_000_000_000_000 => {
                let (whole, mut frac, mut width) = (t / 1000, t % 1000, 3);
                let sign = if t == 0 { "" } else { sign };
                if frac == 0 {
                    write!(s, "{sign}{whole}")
                } else {
                    while frac % 10 == 0 {
                        frac /= 10;
                        width -= 1;
                    }
                    write!(s, "{sign}{whole}.{frac:0width$}")
                }
            }
            // Below 10^15: whole (an f64 carries no third decimal there).
            (_, whole) if e < 0 && whole < 1_000_000_000_000_000 => write!(s, "{sign}{whole}"),
            _ => {
                // `n × 2^e × 10^tens`: each doubling taken into `n` while it
                // has room, a tenth out of it otherwise, so `n` keeps 59 bits
                // and more; then its three leading digits, rounded.
                let (mut n, mut e, mut tens) = (m, e, 0u32);
                while e > 0 {
                    if n < 1 << 62 {
                        n <<= 1;
                        e -= 1;
                    } else {
                        n /= 10;
                        tens += 1;
                    }
                }
                let mut n = shift_round(n, e);
                while n >= 10_000 {
                    n /= 10;
                    tens += 1;
                }
                let mut digits = n; // four digits: three and the rounding one
                while digits >= 1000 {
                    digits = (digits + 5) / 10;
                    tens += 1;
                }
                write!(s, "{sign}{}.{:02}e{}", digits / 100, digits % 100, tens + 2)
            }
        };
        f.pad(&s)
    }
}

/// `v × 2^e` rounded half to even (as std's float formatting rounds), for
/// `e` ≤ 0; 0 when the shift takes everything. `e` > 0 gives `v` (unused).
fn shift_round(v: u64, e: i32) -> u64 {
    match e.unsigned_abs() {
        _ if e >= 0 => v,
        shift if shift < 64 => {
            let (q, rest, half) = (v >> shift, v & ((1 << shift) - 1), 1 << (shift - 1));
            q + u64::from(rest > half || (rest == half && q % 2 == 1))
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::{Bytes, Nanos, Value};
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

    #[test]
    fn gauge_values_show_up_to_three_decimals_without_trailing_zeros() {
        let cases = [
            (0.0, "0"),
            (-0.0, "0"),
            (3.0, "3"),
            (2.5, "2.5"),
            (-0.125, "-0.125"),
            (0.1 + 0.2, "0.3"),
            (1.0625, "1.062"), // exactly halfway: to even, as std
            (1.1875, "1.188"),
            (1.0005, "1"), // the f64 nearest is 1.000499999…
            (5e-324, "0"),
            (-0.0004, "0"),
            (1234567.25, "1234567.25"),
            (999_999_999_999.9, "999999999999.9"),
            (1_000_000_000_000.4, "1000000000000"),
            (999_999_999_999_999.0, "999999999999999"),
            (1e15, "1.00e15"),
            (-1.2345e18, "-1.23e18"),
            (9.999e20, "1.00e21"),
            (f64::MAX, "1.80e308"),
        ];
        for (v, want) in cases {
            assert_eq!(format!("{}", Value(v)), want, "{v:?}");
        }
        assert_eq!(format!("{}", Value(f64::NAN)), "NaN");
        assert_eq!(format!("{}", Value(f64::INFINITY)), "+Inf");
        assert_eq!(format!("{}", Value(f64::NEG_INFINITY)), "-Inf");
        assert_eq!(format!("{:>6}", Value(2.5)), "   2.5");
    }

    #[test]
    fn gauge_values_match_std_float_formatting() {
        // Both round an exact tie to even; only the scientific form's
        // second rounding (to three digits) could differ, at a tie that
        // these pseudo-random values do not come near.
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        for i in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let unit = (x >> 11) as f64 / (1u64 << 53) as f64;
            let magnitude = [1e-6, 1.0, 1e3, 1e9, 1e11, 1e13, 1e16, 1e30, 1e300][i % 9];
            let v = if i % 2 == 0 { unit * magnitude } else { -unit * magnitude };
            let want = if v.abs() < 1e12 {
                let t = std::format!("{:.3}", v);
                let t = t.trim_end_matches('0').trim_end_matches('.');
                if t == "-0" { std::string::String::from("0") } else { t.into() }
            } else if v.abs() < 1e15 {
                std::format!("{:.0}", v)
            } else {
                std::format!("{:.2e}", v)
            };
            assert_eq!(format!("{}", Value(v)), want, "{v:?}");
        }
    }
}
