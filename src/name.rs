//! Operation names: validation, and storage in atomic words so that a slot's
//! name can be published without `unsafe`.

use crate::sync::{AtomicU8, AtomicU32, Ordering, array_of, const_fn};

/// Longest operation name, in UTF-8 bytes: room for Prometheus-style names
/// such as `http_server_request_duration_seconds` (36). Each operation slot
/// spends this much on its name (docs/DESIGN.md, "Footprint").
pub const MAX_NAME_LEN: usize = 64;

/// An operation name as copied out of a tracker: a fixed-capacity string of
/// at most [`MAX_NAME_LEN`] bytes that derefs to `str`.
pub type Name = heapless::String<MAX_NAME_LEN>;

const WORDS: usize = MAX_NAME_LEN / 4;

/// Why a string is not a valid operation name (`TrackerError` says it to
/// the user: `error.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BadName {
    /// The empty string.
    Empty,
    /// Longer than [`MAX_NAME_LEN`] bytes.
    TooLong,
}

/// A validated name, by value in a fixed buffer: `Copy`, so handles can
/// carry it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct NameBuf {
    len: u8,
    bytes: [u8; MAX_NAME_LEN],
}

impl NameBuf {
    /// No name: for a handle whose name is never read (an instrumented call
    /// site's, `CallSite`), which then need not load it from the registry.
    #[cfg(feature = "std")]
    pub(crate) const NONE: Self = Self { len: 0, bytes: [0; MAX_NAME_LEN] };

    /// Checks the bad-input rules and copies `name`.
    pub(crate) fn new(name: &str) -> Result<Self, BadName> {
        let src = name.as_bytes();
        if src.is_empty() {
            return Err(BadName::Empty);
        }
        if src.len() > MAX_NAME_LEN {
            return Err(BadName::TooLong);
        }
        let mut bytes = [0u8; MAX_NAME_LEN];
        // Copied in pieces of fixed widths (whole words, then 4, 2 and 1
        // bytes), which stay inline: a copy of the name's own length became
        // two library calls (the copy and zeroing the rest), the larger part
        // of a `Timer::new`.
        for (dst, chunk) in bytes.chunks_exact_mut(8).zip(src.chunks(8)) {
            let mut at = 0;
            for width in [8, 4, 2, 1] {
                if chunk.len() - at >= width {
                    dst[at..at + width].copy_from_slice(&chunk[at..at + width]);
                    at += width;
                }
            }
        }
        // src.len() <= MAX_NAME_LEN = 64, so it fits a u8.
        Ok(Self { len: src.len() as u8, bytes })
    }

    /// The name. The bytes were copied whole from a `&str`, so the fallback
    /// to `""` is never taken; it only keeps this path free of panics.
    pub(crate) fn as_str(&self) -> &str {
        let len = usize::from(self.len).min(MAX_NAME_LEN);
        core::str::from_utf8(&self.bytes[..len]).unwrap_or("")
    }

    pub(crate) fn to_name(self) -> Name {
        let mut name = Name::new();
        // Cannot fail: the name is at most MAX_NAME_LEN bytes.
        let _ = name.push_str(self.as_str());
        name
    }
}

impl core::fmt::Debug for NameBuf {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self.as_str(), f)
    }
}

/// A fixed buffer and its length, as a [`WordCell`] stores it: a name
/// ([`NameBuf`]) or a label set (`Labels`).
pub(crate) trait Packed: Sized {
    /// The length in bytes.
    fn len_byte(&self) -> u8;
    /// The whole buffer, zero past the length; a multiple of 4 bytes.
    fn buffer(&self) -> &[u8];
    /// A value of length `len` whose buffer `fill` writes.
    fn unpack(len: u8, fill: impl FnOnce(&mut [u8])) -> Self;
}

/// A name's or a label set's slot: written once by the registrar, then read
/// by anyone.
///
/// The words are written with `Relaxed` stores before the slot's state is
/// published with `Release` (`registry.rs`), and read after an `Acquire` of
/// that state, so readers always see the whole value.
pub(crate) struct WordCell<const WORDS: usize> {
    len: AtomicU8,
    words: [AtomicU32; WORDS],
}

/// An operation's name slot.
pub(crate) type NameCell = WordCell<WORDS>;

impl<const WORDS: usize> WordCell<WORDS> {
    const_fn! {
        pub(crate) const fn new() -> Self {
            Self { len: AtomicU8::new(0), words: array_of![AtomicU32::new(0); WORDS] }
        }
    }

    pub(crate) fn store(&self, value: &impl Packed) {
        for (cell, c) in self.words.iter().zip(value.buffer().chunks_exact(4)) {
            cell.store(u32::from_le_bytes([c[0], c[1], c[2], c[3]]), Ordering::Relaxed);
        }
        self.len.store(value.len_byte(), Ordering::Relaxed);
    }

    pub(crate) fn load<T: Packed>(&self) -> T {
        T::unpack(self.len.load(Ordering::Relaxed), |bytes| {
            for (chunk, cell) in bytes.chunks_exact_mut(4).zip(self.words.iter()) {
                chunk.copy_from_slice(&cell.load(Ordering::Relaxed).to_le_bytes());
            }
        })
    }

    pub(crate) fn matches(&self, value: &impl Packed) -> bool {
        // Equal lengths first; then only the words the value spans (the rest
        // are zero in both).
        let used = usize::from(value.len_byte()).div_ceil(4);
        self.len.load(Ordering::Relaxed) == value.len_byte()
            && self
                .words
                .iter()
                .zip(value.buffer().chunks_exact(4))
                .take(used)
                .all(|(cell, c)| cell.load(Ordering::Relaxed) == u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
    }
}

impl Packed for NameBuf {
    fn len_byte(&self) -> u8 {
        self.len
    }

    fn buffer(&self) -> &[u8] {
        &self.bytes
    }

    fn unpack(len: u8, fill: impl FnOnce(&mut [u8])) -> Self {
        let mut bytes = [0u8; MAX_NAME_LEN];
        fill(&mut bytes);
        Self { len, bytes }
    }
}

#[cfg(test)]
mod tests {
    use super::{MAX_NAME_LEN, NameBuf};

    #[test]
    fn a_name_of_every_length_reads_back_whole_with_zeros_after_it() {
        const ALL: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
        assert_eq!(ALL.len(), MAX_NAME_LEN);
        for len in 1..=MAX_NAME_LEN {
            let name = NameBuf::new(&ALL[..len]).expect("a valid name");
            assert_eq!(name.as_str(), &ALL[..len], "length {len}");
            assert!(name.bytes[len..].iter().all(|&b| b == 0), "length {len}: the rest is zero");
            // Equal to itself, and not to a name one byte shorter or longer.
            assert!(name == NameBuf::new(&ALL[..len]).expect("a valid name"));
            if len > 1 {
                assert!(name != NameBuf::new(&ALL[..len - 1]).expect("a valid name"));
            }
        }
        // Two-byte characters across the word boundaries.
        let wide = "éééééééééééééééééééééééééééééééé"; // 32 × 2 bytes
        for chars in 1..=32 {
            let s = &wide[..2 * chars];
            assert_eq!(NameBuf::new(s).expect("a valid name").as_str(), s);
        }
    }
}
