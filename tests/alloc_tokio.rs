//! With `CountingAlloc` installed, a `Timed` future on a multi-thread tokio
//! runtime records exactly its own allocations, whichever worker thread
//! polls it and whatever its neighbours allocate meanwhile: the allocator's
//! counts are per thread, and a `Timed` reads them around each of its own
//! polls. (hotpath needs a current-thread runtime for this.)

use core::future::Future;
use core::hint::black_box;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::mpsc;
use std::thread::ThreadId;

use perftrack::{
    Tracker,
    os::{AllocStats, CountingAlloc},
};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::system();

const TASKS: usize = 16;
const ROUNDS: usize = 20;

/// Per task: the worker threads that polled it, and the bytes and
/// allocations of the test's own bookkeeping inside its span (subtracted
/// from its record before the check).
struct Books {
    threads: [HashSet<ThreadId>; TASKS],
    extra: [(u64, u64); TASKS],
}

static BOOKS: Mutex<Option<Books>> = Mutex::new(None);

/// Runs `f` for task `i`, and charges what it allocated on this thread to
/// the task's bookkeeping.
fn bookkeeping<T>(i: usize, f: impl FnOnce() -> T) -> T {
    let before = AllocStats::thread();
    let out = f();
    let after = AllocStats::thread();
    let mut books = BOOKS.lock().unwrap();
    let extra = &mut books.as_mut().unwrap().extra[i];
    extra.0 += after.bytes_allocated - before.bytes_allocated;
    extra.1 += after.allocations - before.allocations;
    out
}

/// Pending once, woken by another thread (the waker thread below), so the
/// task goes through tokio's shared queue and may be polled next on the
/// other worker.
struct WokenElsewhere<'a> {
    task: usize,
    waker_thread: &'a mpsc::Sender<Waker>,
    sent: bool,
}

impl Future for WokenElsewhere<'_> {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.sent {
            return Poll::Ready(());
        }
        self.sent = true;
        let waker = cx.waker().clone();
        bookkeeping(self.task, || self.waker_thread.send(waker).unwrap());
        Poll::Pending
    }
}

#[test]
fn a_timed_future_moving_between_worker_threads_records_exactly_its_own_allocations() {
    // Whether a task moves is the scheduler's choice, and on a loaded
    // machine one worker may take every poll: the scenario runs again
    // until some task was polled on both workers. Every run checks its
    // tasks' records exactly.
    for attempt in 1..=50 {
        let moved = run_once();
        println!("attempt {attempt}: {moved} of {TASKS} timed tasks were polled on both workers");
        if moved > 0 {
            return;
        }
    }
    panic!("in 50 runs no task moved between worker threads: the test proved nothing");
}

/// One run: every timed task's record is checked exactly; the number of
/// tasks that were polled on both workers is returned.
fn run_once() -> usize {
    *BOOKS.lock().unwrap() = Some(Books { threads: core::array::from_fn(|_| HashSet::new()), extra: [(0, 0); TASKS] });
    let (tx, rx) = mpsc::channel::<Waker>();
    let waker_thread = std::thread::spawn(move || rx.into_iter().for_each(Waker::wake));
    let tx: &'static mpsc::Sender<Waker> = Box::leak(Box::new(tx.clone()));
    let t: &'static Tracker<32, 8, 4> = Box::leak(Tracker::boxed());
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    runtime.block_on(async {
        let mut handles = Vec::new();
        for i in 0..TASKS {
            let op = t.operation(format!("task_{i}")).unwrap();
            // Each round allocates 1000 + i bytes once, then is woken from
            // another thread.
            handles.push(tokio::spawn(op.instrument(async move {
                for _ in 0..ROUNDS {
                    drop(black_box(Vec::<u8>::with_capacity(1000 + i)));
                    let id = std::thread::current().id();
                    bookkeeping(i, || BOOKS.lock().unwrap().as_mut().unwrap().threads[i].insert(id));
                    WokenElsewhere { task: i, waker_thread: tx, sent: false }.await;
                }
            })));
            // Neighbours: untimed tasks that allocate on the same workers.
            handles.push(tokio::spawn(async move {
                for _ in 0..ROUNDS {
                    drop(black_box(vec![0u8; 4096 + i]));
                    tokio::task::yield_now().await;
                }
            }));
        }
        for h in handles {
            h.await.unwrap();
        }
    });
    drop(runtime);
    let books = BOOKS.lock().unwrap().take().unwrap();
    let mut moved = 0;
    for i in 0..TASKS {
        let s = t.summary(format!("task_{i}")).unwrap();
        let (bytes, allocations) = books.extra[i];
        assert_eq!(
            (s.total_memory - bytes, s.total_allocations - allocations),
            ((ROUNDS * (1000 + i)) as u64, ROUNDS as u64),
            "task {i}: its own {ROUNDS} allocations of {} bytes, and nothing of its neighbours'",
            1000 + i
        );
        if books.threads[i].len() > 1 {
            moved += 1;
        }
    }
    drop(waker_thread);
    moved
}
