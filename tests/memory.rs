//! Resident-memory figures against the kernel's own, in a test binary of its
//! own so that no other test allocates while it measures.
#![cfg(all(feature = "std", target_os = "linux"))]

use perftrack::{
    estimate_memory_usage,
    os::{peak_memory_usage, try_estimate_memory_usage},
};

/// VmRSS from /proc/self/status, in bytes: the independent figure.
fn vm_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

fn within(a: u64, b: u64, pct: u64) -> bool {
    a.abs_diff(b) * 100 <= b * pct
}

#[test]
fn touching_200_mb_shows_in_estimate_memory_usage_and_agrees_with_vmrss() {
    const SIZE: u64 = 200 << 20;
    let before = try_estimate_memory_usage().expect("statm readable");
    // vec![1; n] writes every byte, so every page becomes resident (a zeroed
    // allocation could stay unbacked).
    let block = vec![1u8; SIZE as usize];
    let after = estimate_memory_usage();
    let kernel = vm_rss();
    core::hint::black_box(&block);
    let rise = after - before;
    assert!(within(rise, SIZE, 10), "rise {rise} is not within 10% of {SIZE}");
    assert!(within(after, kernel, 5), "statm {after} vs VmRSS {kernel}");
    assert!(peak_memory_usage() >= after - after / 20, "peak below current");
    drop(block);
}

/// Touches `bytes` of fresh memory and checks that `estimate_memory_usage`
/// sees it and agrees with this process's own VmRSS. Only for forked
/// children: it returns a verdict instead of panicking.
fn own_figures_are_right(bytes: usize) -> bool {
    let block = vec![1u8; bytes];
    let ours = estimate_memory_usage();
    let kernel = vm_rss();
    core::hint::black_box(&block);
    ours >= bytes as u64 && within(ours, kernel, 5)
}

#[test]
#[allow(unsafe_code)]
fn forked_children_and_orphaned_grandchildren_read_their_own_resident_memory() {
    // The parent reads first, so the descriptor it keeps open is inherited.
    assert!(estimate_memory_usage() > 0);
    let mut fds = [0i32; 2];
    // SAFETY: `fds` has room for the two descriptors `pipe` writes.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let (rd, wr) = (fds[0], fds[1]);
    // SAFETY: the child runs only this test's code and leaves with `_exit`,
    // never returning into the test harness.
    let child = unsafe { libc::fork() };
    assert!(child >= 0, "fork failed");
    if child == 0 {
        // The child: grows by 200 MB, which only its own figures show.
        let child_ok = own_figures_are_right(200 << 20);
        // SAFETY: a plain system call.
        let me = unsafe { libc::getpid() };
        // SAFETY: as above, for the grandchild.
        let grandchild = unsafe { libc::fork() };
        if grandchild == 0 {
            // The grandchild: waits until the child has exited (it is then
            // adopted by another process), as a daemon would, then grows by
            // 100 MB and reports through the pipe.
            let mut waited = 0;
            // SAFETY: a plain system call.
            while unsafe { libc::getppid() } == me && waited < 500 {
                std::thread::sleep(core::time::Duration::from_millis(10));
                waited += 1;
            }
            let verdict: u8 = if own_figures_are_right(100 << 20) { b'y' } else { b'n' };
            // SAFETY: `wr` is the pipe's open write end; one byte from a
            // valid buffer. `_exit` ends the process without unwinding.
            unsafe {
                libc::write(wr, (&raw const verdict).cast(), 1);
                libc::_exit(0)
            }
        }
        // SAFETY: `_exit` ends the child without running the harness.
        unsafe { libc::_exit(if child_ok { 0 } else { 1 }) }
    }
    // SAFETY: `wr` is ours to close; the children hold their own copies.
    unsafe { libc::close(wr) };
    let mut status = 0;
    // SAFETY: `child` is our child; `status` is a valid out-pointer.
    assert_eq!(unsafe { libc::waitpid(child, &mut status, 0) }, child);
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "the child read its parent's figures");
    let mut pfd = libc::pollfd { fd: rd, events: libc::POLLIN, revents: 0 };
    // SAFETY: one valid pollfd; a bounded wait of 20 s.
    assert_eq!(unsafe { libc::poll(&mut pfd, 1, 20_000) }, 1, "no word from the grandchild in 20 s");
    let mut verdict = 0u8;
    // SAFETY: reads one byte into a valid buffer from the pipe's read end.
    assert_eq!(unsafe { libc::read(rd, (&raw mut verdict).cast(), 1) }, 1);
    // SAFETY: `rd` is ours to close.
    unsafe { libc::close(rd) };
    assert_eq!(verdict, b'y', "the orphaned grandchild did not read its own figures");
}
