//! `TrackerError`: what registration can answer instead of a slot.

use core::fmt;

use crate::name::{BadName, MAX_NAME_LEN};

/// Why a name could not be turned into an operation slot.
///
/// Every error leaves the tracker unchanged: what was recorded before stays
/// recorded, and names already registered keep recording.
///
/// ```
/// use perftrack::{Tracker, TrackerError};
/// use core::time::Duration;
///
/// static T: Tracker<1, 4> = Tracker::new();
/// assert_eq!(T.record("", Duration::ZERO, 0), Err(TrackerError::EmptyName));
/// T.record("a", Duration::from_micros(5), 0).unwrap();
/// assert_eq!(T.record("b", Duration::ZERO, 0), Err(TrackerError::Full));
/// assert_eq!(T.summary("a").unwrap().count, 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TrackerError {
    /// Every operation slot holds another name; the tracker's `OPS` is too small.
    Full,
    /// The name is longer than [`MAX_NAME_LEN`] bytes (UTF-8).
    NameTooLong,
    /// The name is the empty string.
    EmptyName,
}

impl fmt::Display for TrackerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full => f.write_str("tracker is full: every operation slot is taken by another name"),
            Self::NameTooLong => write!(f, "operation name is longer than {} bytes", MAX_NAME_LEN),
            Self::EmptyName => f.write_str("operation name is empty"),
        }
    }
}

impl core::error::Error for TrackerError {}

impl From<BadName> for TrackerError {
    fn from(e: BadName) -> Self {
        match e {
            BadName::Empty => Self::EmptyName,
            BadName::TooLong => Self::NameTooLong,
        }
    }
}
