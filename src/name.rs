//! Operation names: validation, and storage in atomic words so that a slot's
//! name can be published without `unsafe`.

use crate::sync::{AtomicU32, Ordering, array_of, const_fn};

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
///
/// Word-aligned, with the buffer first: a copy of the struct then moves
/// whole aligned words, and [`PartialEq`] compares words.
#[derive(Clone, Copy, Eq)]
#[repr(C, align(8))]
pub(crate) struct NameBuf {
    /// The name's bytes, zero past its length.
    bytes: [u8; MAX_NAME_LEN],
    /// The length (the low byte) and [`hash_of`] the bytes and the length
    /// (the high half), made with the name: a name spelled out in the code
    /// gets its hash at compile time, where the copy is folded to constants
    /// too, and a thread's remembered names are found by it (`platform/hosted/recent.rs`)
    /// without hashing on every lookup. One word, written by one store: a
    /// copy of the name soon after it is made reads that word whole, which
    /// a read straddling two narrower stores could not do without waiting
    /// for them to be written back.
    meta: u64,
}

impl NameBuf {
    /// No name: for a handle whose name is never read (an instrumented call
    /// site's, `CallSite`), which then need not load it from the registry;
    /// and what [`fill`](Self::fill) starts from.
    pub(crate) const NONE: Self = Self { bytes: [0; MAX_NAME_LEN], meta: 0 };

    /// Checks the bad-input rules and copies `name`.
    #[inline]
    pub(crate) fn new(name: &str) -> Result<Self, BadName> {
        let mut buf = Self::NONE;
        buf.fill(name)?;
        Ok(buf)
    }

    /// Checks the bad-input rules and copies `name` into this buffer, which
    /// is [`NONE`](Self::NONE) (all zero) before; on an error it is left so.
    ///
    /// In place, for a `Timer`: a name built in a temporary and then moved
    /// was read back, in wide pieces, while the narrow stores that built it
    /// were still in flight, and each such read waits for them.
    #[inline]
    pub(crate) fn fill(&mut self, name: &str) -> Result<(), BadName> {
        let src = name.as_bytes();
        if src.is_empty() {
            return Err(BadName::Empty);
        }
        if src.len() > MAX_NAME_LEN {
            return Err(BadName::TooLong);
        }
        // Copied in pieces of fixed widths (whole words, then 4, 2 and 1
        // bytes), which stay inline: a copy of the name's own length became
        // two library calls (the copy and zeroing the rest), the larger part
        // of a `Timer::new`.
        for (dst, chunk) in self.bytes.chunks_exact_mut(8).zip(src.chunks(8)) {
            let mut at = 0;
            for width in [8, 4, 2, 1] {
                if chunk.len() - at >= width {
                    dst[at..at + width].copy_from_slice(&chunk[at..at + width]);
                    at += width;
                }
            }
        }
        // src.len() <= MAX_NAME_LEN = 64, so it fits a u8.
        self.meta = meta(&self.bytes, src.len() as u8);
        Ok(())
    }

    /// The name's hash ([`hash_of`]): equal names have equal hashes.
    #[inline]
    pub(crate) fn hash(&self) -> u32 {
        (self.meta >> 32) as u32
    }

    /// The length in bytes.
    #[inline]
    fn len(&self) -> u8 {
        // The low byte of `meta`.
        self.meta as u8
    }

    /// The name. The bytes were copied whole from a `&str`, so the fallback
    /// to `""` is never taken; it only keeps this path free of panics.
    pub(crate) fn as_str(&self) -> &str {
        let len = usize::from(self.len()).min(MAX_NAME_LEN);
        core::str::from_utf8(&self.bytes[..len]).unwrap_or("")
    }

    pub(crate) fn to_name(self) -> Name {
        let mut name = Name::new();
        // Cannot fail: the name is at most MAX_NAME_LEN bytes.
        let _ = name.push_str(self.as_str());
        name
    }
}

impl PartialEq for NameBuf {
    /// Equal hashes and lengths (one word), then the words the length
    /// spans: past it both buffers are zero. Word by word and inline, where comparing the
    /// whole buffers was a library call.
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        let words = usize::from(self.len()).div_ceil(8);
        self.meta == other.meta
            && self.bytes.chunks_exact(8).zip(other.bytes.chunks_exact(8)).take(words).all(|(a, b)| word(a) == word(b))
    }
}

/// A name's hash: its length and the first and last words it spans, mixed
/// by a multiply. Names that share a prefix or a suffix of a word or more
/// still differ in it when their other end or their length differs. The
/// empty name's is 0, as [`NameBuf::NONE`] has it.
#[inline]
fn hash_of(bytes: &[u8; MAX_NAME_LEN], len: u8) -> u32 {
    let last = usize::from(len.saturating_sub(1)) / 8;
    let first = bytes.chunks_exact(8).next().map_or(0, word);
    let last = bytes.chunks_exact(8).nth(last).map_or(0, word);
    // The top half of the product: the bits every input bit reaches.
    ((first ^ last.rotate_left(29) ^ u64::from(len)).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as u32
}

/// A name's `meta` word: its length in the low byte, its hash in the high
/// half.
#[inline]
fn meta(bytes: &[u8; MAX_NAME_LEN], len: u8) -> u64 {
    u64::from(len) | u64::from(hash_of(bytes, len)) << 32
}

/// Eight bytes as one word (0 for a shorter piece, which `chunks_exact(8)`
/// never gives).
#[inline]
fn word(piece: &[u8]) -> u64 {
    <[u8; 8]>::try_from(piece).map_or(0, u64::from_ne_bytes)
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
    fn stored_len(&self) -> u16;
    /// The whole buffer, zero past the length; a multiple of 4 bytes.
    fn buffer(&self) -> &[u8];
    /// A value of length `len` whose buffer `fill` writes.
    fn unpack(len: u16, fill: impl FnOnce(&mut [u8])) -> Self;
}

/// A name's or a label set's slot: written once by the registrar, then read
/// by anyone.
///
/// The words are written with `Relaxed` stores before the slot's state is
/// published with `Release` (`registry.rs`), and read after an `Acquire` of
/// that state, so readers always see the whole value.
pub(crate) struct WordCell<const WORDS: usize> {
    /// The length in bytes (a label set's passes 255).
    len: AtomicU32,
    words: [AtomicU32; WORDS],
}

/// An operation's name slot.
pub(crate) type NameCell = WordCell<WORDS>;

impl<const WORDS: usize> WordCell<WORDS> {
    const_fn! {
        pub(crate) const fn new() -> Self {
            Self { len: AtomicU32::new(0), words: array_of![AtomicU32::new(0); WORDS] }
        }
    }

    /// Writes `value` into a cell that is still all zero (a slot is
    /// written once, by the registrar that claimed it): only the words the
    /// value spans, since the rest are zero already.
    pub(crate) fn store(&self, value: &impl Packed) {
        let used = usize::from(value.stored_len()).div_ceil(4);
        for (cell, c) in self.words.iter().zip(value.buffer().chunks_exact(4)).take(used) {
            cell.store(u32::from_le_bytes([c[0], c[1], c[2], c[3]]), Ordering::Relaxed);
        }
        self.len.store(u32::from(value.stored_len()), Ordering::Relaxed);
    }

    /// The value: the words its length spans, the rest zero.
    pub(crate) fn load<T: Packed>(&self) -> T {
        let len = u16::try_from(self.len.load(Ordering::Relaxed)).unwrap_or(0);
        let used = usize::from(len).div_ceil(4);
        T::unpack(len, |bytes| {
            for (chunk, cell) in bytes.chunks_exact_mut(4).zip(self.words.iter()).take(used) {
                chunk.copy_from_slice(&cell.load(Ordering::Relaxed).to_le_bytes());
            }
        })
    }

    pub(crate) fn matches(&self, value: &impl Packed) -> bool {
        // Equal lengths first; then only the words the value spans (the rest
        // are zero in both).
        let used = usize::from(value.stored_len()).div_ceil(4);
        self.len.load(Ordering::Relaxed) == u32::from(value.stored_len())
            && self
                .words
                .iter()
                .zip(value.buffer().chunks_exact(4))
                .take(used)
                .all(|(cell, c)| cell.load(Ordering::Relaxed) == u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
    }
}

impl Packed for NameBuf {
    fn stored_len(&self) -> u16 {
        u16::from(self.len())
    }

    fn buffer(&self) -> &[u8] {
        &self.bytes
    }

    fn unpack(len: u16, fill: impl FnOnce(&mut [u8])) -> Self {
        let mut bytes = [0u8; MAX_NAME_LEN];
        fill(&mut bytes);
        // A stored name is at most MAX_NAME_LEN = 64 bytes long.
        Self { meta: meta(&bytes, u8::try_from(len).unwrap_or(0)), bytes }
    }
}

#[cfg(test)]
mod tests {
    use super::{BadName, MAX_NAME_LEN, NameBuf};

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

    #[test]
    fn names_of_one_length_that_differ_in_any_one_byte_are_different() {
        // Each position of each length: the word comparison must look at
        // every word the length spans, the last partial one included.
        for len in 1..=MAX_NAME_LEN {
            let base = [b'a'; MAX_NAME_LEN];
            let name = NameBuf::new(core::str::from_utf8(&base[..len]).expect("ASCII")).expect("a valid name");
            for at in 0..len {
                let mut other = base;
                other[at] = b'b';
                let other = core::str::from_utf8(&other[..len]).expect("ASCII");
                assert!(name != NameBuf::new(other).expect("a valid name"), "length {len}, byte {at}");
            }
        }
    }

    #[test]
    fn a_rejected_name_leaves_the_buffer_empty() {
        let mut buf = NameBuf::NONE;
        assert_eq!(buf.fill(""), Err(BadName::Empty));
        let long = [b'x'; MAX_NAME_LEN + 1];
        assert_eq!(buf.fill(core::str::from_utf8(&long).expect("ASCII")), Err(BadName::TooLong));
        assert!(buf == NameBuf::NONE, "nothing of the long name was copied");
        assert_eq!(buf.as_str(), "");
    }
}
