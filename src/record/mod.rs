//! The record path: where a record lands and how readers copy it out.
//!
//! An operation's [`slot`] stripes its records over cache-line-padded
//! [`shard`]s ([`padded`]). A shard is written by its owner thread with no
//! atomic RMW, or by anyone through the claim ([`exclusive`]), with the
//! hot/cold [`aggregate`] as the fallback; the platform hook's owner hint
//! (`platform/owner.rs`) says which shard a thread owns. Each shard keeps the lifetime sums
//! ([`totals`]), the recent window ([`ring`]) and the range a record may
//! skip the seldom cells in ([`steady`]).

pub(crate) mod aggregate;
pub(crate) mod exclusive;
pub(crate) mod padded;
pub(crate) mod ring;
pub(crate) mod shard;
pub(crate) mod slot;
pub(crate) mod steady;
pub(crate) mod totals;
