//! perftrack's benchmarks live in `benches/`; this crate has no code of its
//! own. Run them with `scripts/bench.sh` and `scripts/contention.sh`.
#![no_std]
