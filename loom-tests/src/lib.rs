//! loom models for perftrack live in `tests/loom.rs`; this crate has no code of its own.
//!
//! Run them with `scripts/loom.sh` (release build, `--cfg perftrack_loom`,
//! `LOOM_MAX_PREEMPTIONS=2`).
#![no_std]
