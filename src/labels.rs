//! Labels: the label set that, with the name, identifies one series of an
//! operation (`requests{route="/a",status="200"}`). Validated once, at
//! registration; stored in a fixed buffer in canonical form (sorted by name),
//! so that the same set in any order is the same series, and published in
//! atomic words like a name (`name.rs`).

use core::fmt::{self, Write};

use crate::error::TrackerError;
use crate::name::{Packed, WordCell};

/// Most labels on one series.
pub const MAX_LABELS: usize = 8;

/// Most bytes a series' labels take, stored: each name and value, plus one
/// byte between each two of them. Enough for one value of 256 bytes beside
/// a name of up to 62 (or a few shorter labels beside it). Each operation
/// slot, and each counter's or gauge's, spends this much plus a length
/// word (docs/DESIGN.md, "Footprint").
pub const MAX_LABELS_LEN: usize = 320;

/// Between a name and its value, and between pairs: a byte no UTF-8 string
/// holds.
const SEP: u8 = 0xFF;

const WORDS: usize = MAX_LABELS_LEN / 4;

/// The label names a tracker writes itself, which a series may not use.
pub(crate) const OWN_LABELS: [&str; 3] = ["operation", "quantile", "le"];

/// A series' label set: up to [`MAX_LABELS`] pairs, sorted by name, in a
/// fixed buffer of [`MAX_LABELS_LEN`] bytes. `Copy`; no allocation.
///
/// Names follow the Prometheus rules (`[a-zA-Z_][a-zA-Z0-9_]*`, not starting
/// with `__`, each once), and may not be `operation`, `quantile` or `le`,
/// which perftrack's exports write themselves. Values are any UTF-8, escaped
/// on export.
///
/// ```
/// use perftrack::{Labels, TrackerError};
///
/// let a = Labels::new(&[("status", "200"), ("route", "/a")])?;
/// let b = Labels::new(&[("route", "/a"), ("status", "200")])?;
/// assert_eq!(a, b);                                   // one set, in any order
/// assert_eq!(a.iter().collect::<Vec<_>>(), [("route", "/a"), ("status", "200")]);
/// assert_eq!(a.get("status"), Some("200"));
/// assert_eq!(a.to_string(), r#"{route="/a",status="200"}"#);
/// assert_eq!(Labels::new(&[("__name__", "x")]), Err(TrackerError::ReservedLabelName { index: 0 }));
/// assert_eq!(Labels::new(&[("a", "1"), ("a", "2")]), Err(TrackerError::DuplicateLabelName { index: 1 }));
/// # Ok::<(), TrackerError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Labels {
    len: u16,
    bytes: [u8; MAX_LABELS_LEN],
}

impl Default for Labels {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl Labels {
    /// No labels: the series of a plain [`Tracker::operation`](crate::Tracker::operation).
    pub const EMPTY: Self = Self { len: 0, bytes: [0; MAX_LABELS_LEN] };

    /// A validated label set, sorted by name.
    ///
    /// # Errors
    ///
    /// [`TrackerError::InvalidLabelName`], [`TrackerError::ReservedLabelName`]
    /// (`__…`, `operation`, `quantile`, `le`),
    /// [`TrackerError::DuplicateLabelName`], [`TrackerError::TooManyLabels`]
    /// (over [`MAX_LABELS`]) or [`TrackerError::LabelsTooLong`] (over
    /// [`MAX_LABELS_LEN`] bytes stored).
    pub fn new(pairs: &[(&str, &str)]) -> Result<Self, TrackerError> {
        if pairs.len() > MAX_LABELS {
            return Err(TrackerError::TooManyLabels);
        }
        for (i, &(name, _)) in pairs.iter().enumerate() {
            if !valid_name(name) {
                return Err(TrackerError::InvalidLabelName { index: i });
            }
            if name.starts_with("__") || OWN_LABELS.contains(&name) {
                return Err(TrackerError::ReservedLabelName { index: i });
            }
            if pairs[..i].iter().any(|&(earlier, _)| earlier == name) {
                return Err(TrackerError::DuplicateLabelName { index: i });
            }
        }
        // Sort by name without allocating: an insertion sort of indices.
        let mut order = [0usize; MAX_LABELS];
        for (i, slot) in order.iter_mut().enumerate().take(pairs.len()) {
            *slot = i;
        }
        let order = &mut order[..pairs.len()];
        for i in 1..order.len() {
            let mut j = i;
            while j > 0 && pairs[order[j - 1]].0 > pairs[order[j]].0 {
                order.swap(j - 1, j);
                j -= 1;
            }
        }
        let mut out = Self::EMPTY;
        let mut at = 0usize;
        for (k, &i) in order.iter().enumerate() {
            let (name, value) = pairs[i];
            let parts: [&[u8]; 3] = [if k == 0 { &[] } else { &[SEP] }, name.as_bytes(), value.as_bytes()];
            for (p, part) in parts.iter().enumerate() {
                if p == 2 {
                    *out.bytes.get_mut(at).ok_or(TrackerError::LabelsTooLong { index: i })? = SEP;
                    at += 1;
                }
                let end = at + part.len();
                out.bytes.get_mut(at..end).ok_or(TrackerError::LabelsTooLong { index: i })?.copy_from_slice(part);
                at = end;
            }
        }
        // at <= MAX_LABELS_LEN = 320: fits a u16.
        out.len = u16::try_from(at).unwrap_or(u16::MAX);
        Ok(out)
    }

    /// A hash of the set (`hints.rs`): every word the labels span, mixed in
    /// turn; equal sets (whatever order their pairs were given in) have
    /// equal hashes. Made on demand: a labelled lookup hashes once.
    #[inline]
    pub(crate) fn hash(&self) -> u32 {
        let words = usize::from(self.len).div_ceil(8);
        let mixed = self.bytes.chunks_exact(8).take(words).fold(u64::from(self.len), |h, piece| {
            let word = <[u8; 8]>::try_from(piece).map_or(0, u64::from_ne_bytes);
            (h ^ word).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29)
        });
        // The top half of a last multiply: the bits every input bit reaches.
        (mixed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as u32
    }

    /// Whether there are no labels.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The pairs, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        let used = &self.bytes[..usize::from(self.len).min(MAX_LABELS_LEN)];
        let mut parts = used.split(|&b| b == SEP).map(|p| core::str::from_utf8(p).unwrap_or(""));
        core::iter::from_fn(move || if used.is_empty() { None } else { Some((parts.next()?, parts.next()?)) })
    }

    /// The value of label `name`, if the set has it.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.iter().find(|&(n, _)| n == name).map(|(_, v)| v)
    }
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`.
pub(crate) fn valid_name(s: &str) -> bool {
    let mut cs = s.chars();
    cs.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && cs.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `{name="value",…}` with values escaped as the OpenMetrics text escapes
/// them; nothing for no labels.
impl fmt::Display for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return Ok(());
        }
        f.write_str("{")?;
        for (i, (name, value)) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{name}=\"{}\"", Escaped(value))?;
        }
        f.write_str("}")
    }
}

impl fmt::Debug for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// A label value, escaped per the OpenMetrics ABNF (also how Prometheus
/// renders label values in a series name, which the `metrics` bridge uses).
pub(crate) struct Escaped<'a>(pub(crate) &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            match c {
                '\\' => f.write_str("\\\\")?,
                '"' => f.write_str("\\\"")?,
                '\n' => f.write_str("\\n")?,
                c => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

/// A series' label slot: the label set in atomic words, as a name's
/// (`WordCell`).
pub(crate) type LabelCell = WordCell<WORDS>;

impl Packed for Labels {
    fn stored_len(&self) -> u16 {
        self.len
    }

    fn buffer(&self) -> &[u8] {
        &self.bytes
    }

    fn unpack(len: u16, fill: impl FnOnce(&mut [u8])) -> Self {
        let mut out = Self::EMPTY;
        fill(&mut out.bytes);
        out.len = len;
        out
    }
}

/// serde: a JSON object, `{"route": "/a", "status": "200"}`; read back
/// through [`Labels::new`], so a bad set is an error that names the rule.
#[cfg(feature = "serde")]
mod serde_impl {
    use core::fmt;

    use serde::de::{self, MapAccess, Visitor};
    use serde::ser::SerializeMap;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::{Labels, MAX_LABELS, MAX_LABELS_LEN};

    impl Serialize for Labels {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut map = s.serialize_map(None)?;
            for (k, v) in self.iter() {
                map.serialize_entry(k, v)?;
            }
            map.end()
        }
    }

    impl<'de> Deserialize<'de> for Labels {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Labels;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("an object of label names to values")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Labels, A::Error> {
                    type Text = heapless::String<MAX_LABELS_LEN>;
                    let mut pairs: heapless::Vec<(Text, Text), MAX_LABELS> = heapless::Vec::new();
                    while let Some((k, v)) = map.next_entry::<Text, Text>()? {
                        pairs.push((k, v)).map_err(|_| de::Error::custom(crate::error::TrackerError::TooManyLabels))?;
                    }
                    let mut refs: heapless::Vec<(&str, &str), MAX_LABELS> = heapless::Vec::new();
                    for (k, v) in &pairs {
                        let _ = refs.push((k.as_str(), v.as_str()));
                    }
                    Labels::new(&refs).map_err(de::Error::custom)
                }
            }
            d.deserialize_map(V)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_is_sorted_and_the_same_in_any_order() {
        let a = Labels::new(&[("z", "1"), ("a", "2"), ("m", "")]).unwrap();
        let b = Labels::new(&[("m", ""), ("z", "1"), ("a", "2")]).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.iter().collect::<std::vec::Vec<_>>(), [("a", "2"), ("m", ""), ("z", "1")]);
        assert!(Labels::new(&[]).unwrap().is_empty());
        assert_eq!(Labels::new(&[]).unwrap().iter().count(), 0);
    }

    #[test]
    fn every_rule_has_its_error_and_registers_nothing() {
        use TrackerError::*;
        for (pairs, err) in [
            (&[("", "x")][..], InvalidLabelName { index: 0 }),
            (&[("ok", "x"), ("1a", "x")], InvalidLabelName { index: 1 }),
            (&[("a-b", "x")], InvalidLabelName { index: 0 }),
            (&[("größe", "x")], InvalidLabelName { index: 0 }),
            (&[("__name__", "x")], ReservedLabelName { index: 0 }),
            (&[("a", "x"), ("b", "x"), ("__x", "x")], ReservedLabelName { index: 2 }),
            (&[("operation", "x")], ReservedLabelName { index: 0 }),
            (&[("le", "x")], ReservedLabelName { index: 0 }),
            (&[("a", "1"), ("b", "2"), ("a", "3")], DuplicateLabelName { index: 2 }),
        ] {
            assert_eq!(Labels::new(pairs), Err(err), "{pairs:?}");
        }
        let many: std::vec::Vec<(std::string::String, &str)> = (0..9).map(|i| (std::format!("l{i}"), "v")).collect();
        let refs: std::vec::Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(Labels::new(&refs), Err(TooManyLabels));
        assert!(Labels::new(&refs[..8]).is_ok());
        let long = "v".repeat(MAX_LABELS_LEN - 2);
        assert_eq!(Labels::new(&[("a", &long)]).map(|l| usize::from(l.len)), Ok(MAX_LABELS_LEN));
        // A value of 256 bytes beside a name of 62 fits.
        assert!(Labels::new(&[(&*"n".repeat(62), &*"v".repeat(256))]).is_ok());
        assert_eq!(Labels::new(&[("ab", &long)]), Err(LabelsTooLong { index: 0 }));
        // Stored sorted by name: `z`, given first, comes last, and is the
        // one that does not fit.
        let (thirty, hundred) = ("v".repeat(30), "v".repeat(MAX_LABELS_LEN - 30));
        assert_eq!(Labels::new(&[("z", &thirty), ("a", &hundred)]), Err(LabelsTooLong { index: 0 }));
    }

    #[test]
    fn values_are_any_utf8_and_display_escapes_them() {
        let l = Labels::new(&[("path", "a\"b\\c\nd"), ("größe", "x")]);
        assert_eq!(l, Err(TrackerError::InvalidLabelName { index: 1 }));
        let l = Labels::new(&[("path", "a\"b\\c\nd größe")]).unwrap();
        assert_eq!(l.get("path"), Some("a\"b\\c\nd größe"));
        assert_eq!(std::format!("{l}"), "{path=\"a\\\"b\\\\c\\nd größe\"}");
    }

    #[test]
    fn a_cell_stores_loads_and_matches_a_set() {
        let cell = LabelCell::new();
        let l = Labels::new(&[("route", "/users/:id"), ("status", "200")]).unwrap();
        assert!(cell.matches(&Labels::EMPTY));
        cell.store(&l);
        assert_eq!(cell.load::<Labels>(), l);
        assert!(cell.matches(&l) && !cell.matches(&Labels::EMPTY));
        assert!(!cell.matches(&Labels::new(&[("route", "/users/:id"), ("status", "500")]).unwrap()));
    }
}
