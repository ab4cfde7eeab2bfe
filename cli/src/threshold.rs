//! The `--threshold` argument: `5%` or `0.05`.

use core::fmt;
use core::str::FromStr;

/// A relative threshold, as a fraction (0.05 is 5%).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Threshold(pub(crate) f64);

/// Why a threshold did not parse.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BadThreshold(String);

impl fmt::Display for BadThreshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is not a threshold: give a percentage (5%) or a fraction from 0 to 1 (0.05)", self.0)
    }
}

impl core::error::Error for BadThreshold {}

impl FromStr for Threshold {
    type Err = BadThreshold;

    fn from_str(s: &str) -> Result<Self, BadThreshold> {
        let bad = || BadThreshold(s.to_string());
        let t = s.trim();
        let value = match t.strip_suffix('%') {
            Some(pct) => pct.trim().parse::<f64>().map_err(|_| bad())? / 100.0,
            None => t.parse::<f64>().map_err(|_| bad())?,
        };
        if value.is_finite() && (0.0..=1.0).contains(&value) { Ok(Self(value)) } else { Err(bad()) }
    }
}

#[cfg(test)]
mod tests {
    use super::Threshold;

    #[test]
    fn a_threshold_is_a_percentage_or_a_fraction_from_0_to_1() {
        assert_eq!("5%".parse(), Ok(Threshold(0.05)));
        assert_eq!(" 12.5 % ".parse(), Ok(Threshold(0.125)));
        assert_eq!("0.05".parse(), Ok(Threshold(0.05)));
        assert_eq!("0".parse(), Ok(Threshold(0.0)));
        for bad in ["5", "-1%", "abc", "", "NaN", "150%"] {
            let err = bad.parse::<Threshold>().unwrap_err().to_string();
            assert!(err.contains("is not a threshold"), "{bad}: {err}");
        }
    }
}
