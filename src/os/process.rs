//! Memory and CPU figures from the OS: `/proc` and `libc`.
//!
//! This is the only module with `unsafe` (the libc calls); each block says why
//! it is sound.
#![allow(unsafe_code)]

use core::time::Duration;
use std::io;

/// Process CPU time, from `getrusage(RUSAGE_SELF)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CpuUsage {
    /// Time spent in user mode, all threads.
    pub user: Duration,
    /// Time spent in the kernel on the process's behalf, all threads.
    pub system: Duration,
}

impl CpuUsage {
    /// `user + system`.
    #[must_use]
    pub fn total(&self) -> Duration {
        self.user.saturating_add(self.system)
    }
}

#[cfg(unix)]
fn timeval(tv: libc::timeval) -> Duration {
    let secs = u64::try_from(tv.tv_sec).unwrap_or(0);
    let micros = u32::try_from(tv.tv_usec).unwrap_or(0).min(999_999);
    Duration::new(secs, micros * 1_000)
}

#[cfg(unix)]
fn rusage() -> io::Result<libc::rusage> {
    let mut ru = core::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `ru` points to writable memory of the right size and alignment
    // for a `rusage`, which is all `getrusage` needs; RUSAGE_SELF is valid.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, ru.as_mut_ptr()) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `getrusage` returned 0, so it filled the struct (and it was
    // zero-initialised before, so every byte is initialised either way).
    Ok(unsafe { ru.assume_init() })
}

/// Process CPU time (user and system).
///
/// # Errors
///
/// The OS error from `getrusage`; `Unsupported` on non-unix targets.
pub fn try_cpu_usage() -> io::Result<CpuUsage> {
    #[cfg(unix)]
    {
        let ru = rusage()?;
        Ok(CpuUsage { user: timeval(ru.ru_utime), system: timeval(ru.ru_stime) })
    }
    #[cfg(not(unix))]
    {
        Err(io::Error::new(io::ErrorKind::Unsupported, "cpu_usage needs getrusage (unix)"))
    }
}

/// Process CPU time (user and system); zero where the OS cannot say (see
/// [`try_cpu_usage`] for why).
///
/// ```
/// let before = perftrack::os::cpu_usage();
/// let mut x = 0u64;
/// for i in 0..10_000_000u64 { x = x.wrapping_add(std::hint::black_box(i)); }
/// assert!(perftrack::os::cpu_usage().total() >= before.total());
/// ```
#[must_use]
pub fn cpu_usage() -> CpuUsage {
    try_cpu_usage().unwrap_or_default()
}

/// CPU time consumed so far by the calling thread
/// (`clock_gettime(CLOCK_THREAD_CPUTIME_ID)`).
///
/// # Errors
///
/// The OS error from `clock_gettime`; `Unsupported` where the clock is missing.
pub fn try_thread_cpu_time() -> io::Result<Duration> {
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "macos", target_os = "freebsd"))]
    {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: `ts` is a valid, writable `timespec`; the clock id is a
        // constant that these systems define.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        let secs = u64::try_from(ts.tv_sec).unwrap_or(0);
        let nanos = u32::try_from(ts.tv_nsec).unwrap_or(0).min(999_999_999);
        Ok(Duration::new(secs, nanos))
    }
    #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "macos", target_os = "freebsd")))]
    {
        Err(io::Error::new(io::ErrorKind::Unsupported, "no per-thread CPU clock on this OS"))
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use core::sync::atomic::{AtomicU64, Ordering};
    use std::io;
    use std::sync::OnceLock;

    /// `/proc/self/statm`, opened once per process and re-read with `pread`
    /// at offset 0, which makes the kernel regenerate it: no open/close per
    /// call. Packed as `pid << 32 | fd`, 0 when none is open.
    ///
    /// The pid is kept because a descriptor survives `fork()` but keeps
    /// naming the process that opened it: a child would read its parent's
    /// figures, and a daemonised grandchild, whose opener has exited, would
    /// get `ESRCH` forever. A process that finds another pid here opens its
    /// own. Opening uses `libc::open` with a static path, which allocates
    /// nothing, so it is safe in a child of a multi-threaded parent.
    static STATM: AtomicU64 = AtomicU64::new(0);
    static PAGE: OnceLock<u64> = OnceLock::new();

    fn page_size() -> io::Result<u64> {
        if let Some(p) = PAGE.get() {
            return Ok(*p);
        }
        // SAFETY: `sysconf` only reads its integer argument, a valid name.
        let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        let p = u64::try_from(p).map_err(|_| io::Error::last_os_error())?;
        Ok(*PAGE.get_or_init(|| p))
    }

    fn pack(pid: u32, fd: i32) -> u64 {
        (u64::from(pid) << 32) | u64::from(fd as u32)
    }

    fn fd_of(packed: u64) -> i32 {
        packed as u32 as i32
    }

    /// This process's descriptor for `/proc/self/statm`.
    fn statm() -> io::Result<i32> {
        let pid = std::process::id();
        loop {
            // Acquire: pairs with the Release CAS below, so the descriptor is
            // open before another thread uses it.
            let cur = STATM.load(Ordering::Acquire);
            if cur != 0 && (cur >> 32) as u32 == pid {
                return Ok(fd_of(cur));
            }
            // SAFETY: the path is a valid NUL-terminated string; the flags
            // are valid for `open`.
            let fd = unsafe { libc::open(c"/proc/self/statm".as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            if STATM.compare_exchange(cur, pack(pid, fd), Ordering::AcqRel, Ordering::Acquire).is_ok() {
                if cur != 0 {
                    // Inherited from the process we were forked from. No
                    // thread of this process reads it: every reader checks
                    // the pid first.
                    // SAFETY: the descriptor was inherited and is used by
                    // nobody here (see above); closing it affects no other
                    // process.
                    unsafe { libc::close(fd_of(cur)) };
                }
                return Ok(fd);
            }
            // Another thread of this process got there first: use its.
            // SAFETY: `fd` was opened just above and never shared.
            unsafe { libc::close(fd) };
        }
    }

    /// Resident set size in bytes: field 2 of `/proc/self/statm` × page size.
    pub(super) fn rss() -> io::Result<u64> {
        let mut buf = [0u8; 128];
        let fd = statm()?;
        // SAFETY: `buf` is valid for writes of its length; `fd` is an open
        // descriptor of this process (see `statm`), never closed while in use.
        let n = unsafe { libc::pread(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
        let n = usize::try_from(n).map_err(|_| io::Error::last_os_error())?;
        let pages = buf[..n.min(buf.len())]
            .split(|b| *b == b' ')
            .nth(1)
            .and_then(|f| core::str::from_utf8(f).ok())
            .and_then(|f| f.trim().parse::<u64>().ok())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "unexpected /proc/self/statm format"))?;
        Ok(pages.saturating_mul(page_size()?))
    }
}

/// Current resident set size of the process, in bytes.
///
/// * Linux: `/proc/self/statm` (resident pages × `sysconf(_SC_PAGESIZE)`),
///   with the file kept open and re-read by `pread`; reopened after `fork()`,
///   so a child reads its own figures.
/// * Other unix: `getrusage`'s `ru_maxrss` (the OS offers no cheap current
///   figure there, so this is the peak).
///
/// # Errors
///
/// The I/O or OS error; `Unsupported` on non-unix targets.
pub fn try_estimate_memory_usage() -> io::Result<u64> {
    #[cfg(target_os = "linux")]
    {
        linux::rss()
    }
    #[cfg(all(unix, not(target_os = "linux")))]
    {
        try_peak_memory_usage()
    }
    #[cfg(not(unix))]
    {
        Err(io::Error::new(io::ErrorKind::Unsupported, "no resident-memory source on this OS"))
    }
}

/// Current resident set size of the process, in bytes.
///
/// Returns 0 only where the OS gives no answer: on non-unix targets always, and
/// on unix if the read fails. [`try_estimate_memory_usage`] says why.
///
/// ```
/// let rss = perftrack::estimate_memory_usage();
/// assert!(rss > 0);
/// ```
#[must_use]
pub fn estimate_memory_usage() -> u64 {
    try_estimate_memory_usage().unwrap_or(0)
}

/// Peak resident set size of the process so far, in bytes (`getrusage`'s
/// `ru_maxrss`: kilobytes on Linux, bytes on macOS, normalised here).
///
/// # Errors
///
/// The OS error from `getrusage`; `Unsupported` on non-unix targets.
pub fn try_peak_memory_usage() -> io::Result<u64> {
    #[cfg(unix)]
    {
        let max = u64::try_from(rusage()?.ru_maxrss).unwrap_or(0);
        Ok(if cfg!(target_os = "macos") { max } else { max.saturating_mul(1024) })
    }
    #[cfg(not(unix))]
    {
        Err(io::Error::new(io::ErrorKind::Unsupported, "no peak-memory source on this OS"))
    }
}

/// Peak resident set size so far, in bytes; 0 where the OS gives no answer
/// (see [`try_peak_memory_usage`]).
///
/// ```
/// assert!(perftrack::os::peak_memory_usage() >= perftrack::estimate_memory_usage() / 2);
/// ```
#[must_use]
pub fn peak_memory_usage() -> u64 {
    try_peak_memory_usage().unwrap_or(0)
}
