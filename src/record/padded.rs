//! `CachePadded`: keeps one shard's hot words off its neighbours' cache lines.

use core::ops::Deref;

/// Aligns and pads `T` to the false-sharing granularity of the target.
///
/// 128 bytes on x86_64 and aarch64, where the adjacent-line prefetcher pulls
/// lines in pairs (the same choice as crossbeam's `CachePadded`); 32 bytes on
/// 32-bit microcontrollers, whose RAM is too small to waste and whose caches,
/// where present, have 32-byte lines; 64 bytes elsewhere.
#[cfg_attr(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "powerpc64"), repr(align(128)))]
#[cfg_attr(any(target_arch = "arm", target_arch = "riscv32"), repr(align(32)))]
#[cfg_attr(
    not(any(
        target_arch = "x86_64",
        target_arch = "aarch64",
        target_arch = "powerpc64",
        target_arch = "arm",
        target_arch = "riscv32"
    )),
    repr(align(64))
)]
#[derive(Debug)]
pub(crate) struct CachePadded<T>(T);

impl<T> CachePadded<T> {
    crate::sync::const_fn! {
        pub(crate) const fn new(value: T) -> Self {
            Self(value)
        }
    }
}

impl<T> Deref for CachePadded<T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        &self.0
    }
}
