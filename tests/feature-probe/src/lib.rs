//! A `no_std` library, as a user's would be, with a tracker in a static.
//! `scripts/test.sh` builds it twice, with and without perftrack's `std`
//! (as another crate of a build could turn on), and checks that the
//! static's size is the same: Cargo features only add.
#![no_std]

use perftrack::{DefaultTracker, Tracker};

/// The library's tracker, at the default shard count.
pub static TRACKER: Tracker<8, 16> = Tracker::new();

/// The default tracker, as a library might keep one.
pub static DEFAULT: DefaultTracker = DefaultTracker::new();

/// The sizes of both statics, in bytes.
#[must_use]
pub fn sizes() -> [usize; 2] {
    [core::mem::size_of_val(&TRACKER), core::mem::size_of_val(&DEFAULT)]
}
