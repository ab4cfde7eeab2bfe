//! An owner token handed over while its old holder still records: a
//! thread's late thread-local destructor records after the thread gave its
//! token back, while the token's next owner records on the same shard. The
//! late records must take the shared path, or two owners write one shard with
//! plain stores and records are lost. In a binary of its own: the token table
//! is process-wide, and this test needs to know which token each thread holds.

use core::sync::atomic::{AtomicBool, Ordering};
use core::time::Duration;
use std::thread;

use perftrack::{Sample, Tracker};

/// One shard: the holder of token 0 owns it.
static T: Tracker<1, 4, 1> = Tracker::new();
/// Raised by the late destructor once the thread's token is back in the table.
static GIVEN_BACK: AtomicBool = AtomicBool::new(false);
/// Records each side makes at once.
const N: u64 = 1_000_000;

fn record_n(n: u64) {
    let op = T.get("x").expect("registered before the threads start");
    for i in 0..n {
        let ns = i % 1000;
        op.record_sample(&Sample::new(Duration::from_nanos(ns), 3 * ns + 1));
    }
}

/// Its destructor runs after the owner token's (`Held`), because it was
/// registered first: thread-local destructors run in reverse order of
/// registration.
struct Late;

impl Drop for Late {
    fn drop(&mut self) {
        // Release: pairs with the Acquire below; the token's give-back came
        // first on this thread.
        GIVEN_BACK.store(true, Ordering::Release);
        record_n(N);
    }
}

std::thread_local! {
    static LATE: Late = const { Late };
}

#[test]
#[cfg_attr(miri, ignore = "two million records: minutes under miri, and the race needs real threads")]
fn a_late_destructor_records_beside_the_tokens_next_owner_without_losing_a_record() {
    T.operation("x").unwrap();
    // The whole exchange runs on a driver thread, so that a broken hand-over
    // that leaves the shard's claim word held (a writer or a reader then
    // waits for ever) fails the test instead of hanging it.
    let (done, result) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let first = thread::spawn(|| {
            LATE.with(|_| ()); // registers Late's destructor before the token's
            record_n(1); // takes token 0: the owner of the only shard
        });
        let next = thread::spawn(|| {
            while !GIVEN_BACK.load(Ordering::Acquire) {
                core::hint::spin_loop();
            }
            // Token 0 is free again: this thread takes it and owns the shard
            // while the first thread's destructor still records there.
            record_n(N);
        });
        first.join().unwrap();
        next.join().unwrap();
        let _ = done.send(T.summary("x").unwrap());
    });
    let s = result
        .recv_timeout(Duration::from_secs(60))
        .expect("the records or the summary never finished: the hand-over left the shard held");
    assert_eq!(s.count, 2 * N + 1, "records lost while the shard changed owners");
    let ns = s.total_duration.as_nanos() as u64;
    assert_eq!(s.total_memory, 3 * ns + s.count, "the totals of two owners' records mixed");
    assert_eq!(s.distribution.count(), s.count);
}
