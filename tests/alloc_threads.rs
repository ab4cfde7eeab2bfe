//! `CountingAlloc` at the edges of a thread's life: threads that never
//! record, allocation inside a TLS destructor, `fork`, and the process-wide
//! sums.

use core::cell::RefCell;
use core::hint::black_box;

use perftrack::os::{AllocStats, CountingAlloc};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::system();

/// Allocates when its thread's TLS is torn down.
struct AllocOnDrop;

impl Drop for AllocOnDrop {
    fn drop(&mut self) {
        let v: Vec<u8> = black_box(Vec::with_capacity(512));
        drop(v);
        let _ = AllocStats::thread(); // reading the counters there too
    }
}

std::thread_local! {
    static LATE: RefCell<Option<AllocOnDrop>> = const { RefCell::new(None) };
}

#[test]
fn allocating_in_a_tls_destructor_neither_panics_nor_deadlocks() {
    let handles: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(|| {
                LATE.with(|l| *l.borrow_mut() = Some(AllocOnDrop));
                drop(black_box(vec![1u8; 100]));
            })
        })
        .collect();
    for h in handles {
        h.join().expect("the thread exits cleanly");
    }
}

#[test]
fn a_thread_that_never_records_allocates_and_exits_cleanly() {
    let h = std::thread::spawn(|| {
        let v: Vec<String> = (0..100).map(|i| i.to_string()).collect();
        let s = AllocStats::thread();
        assert!(s.allocations >= 101, "{s:?}");
        v.len()
    });
    assert_eq!(h.join().unwrap(), 100);
}

#[test]
fn process_figures_include_threads_that_have_exited() {
    let before = AllocStats::process();
    std::thread::spawn(|| drop(black_box(vec![0u8; 1 << 20]))).join().unwrap();
    let after = AllocStats::process();
    assert!(after.bytes_allocated - before.bytes_allocated >= 1 << 20, "{before:?} -> {after:?}");
    assert!(after.bytes_freed - before.bytes_freed >= 1 << 20);
}

#[test]
#[cfg_attr(miri, ignore = "hundreds of threads: minutes under miri, and nothing miri checks that fewer do not")]
fn many_threads_beyond_the_slot_table_still_count() {
    // More threads than slots: the later ones count through the shared slot.
    let before = AllocStats::process();
    for _ in 0..(perftrack::os::ALLOC_SLOTS / 16 + 1) {
        let hs: Vec<_> = (0..16).map(|_| std::thread::spawn(|| drop(black_box(vec![0u8; 1000])))).collect();
        for h in hs {
            h.join().unwrap();
        }
    }
    let after = AllocStats::process();
    let n = (perftrack::os::ALLOC_SLOTS / 16 + 1) as u64 * 16;
    assert!(after.bytes_allocated - before.bytes_allocated >= n * 1000);
}

#[cfg(all(unix, not(miri)))]
#[test]
fn a_forked_child_allocates_and_exits_without_deadlock() {
    // SAFETY: the child only allocates, reads its counters and exits with
    // `_exit`, which runs no destructors or atexit handlers.
    #[allow(unsafe_code)]
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let v: Vec<u8> = black_box(vec![0u8; 4096]);
        let ok = AllocStats::thread().bytes_allocated >= 4096 && v.len() == 4096;
        // SAFETY: `_exit` is always safe to call; it does not return.
        #[allow(unsafe_code)]
        unsafe {
            libc::_exit(if ok { 0 } else { 1 })
        };
    }
    let mut status = 0;
    // SAFETY: `pid` is our child; `status` is a valid out-pointer.
    #[allow(unsafe_code)]
    let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(waited, pid);
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "child status {status}");
}
