//! perftrack on a Cortex-M3 under QEMU (lm3s6965evb).
//!
//! `main` records into an operation that the SysTick handler records into as
//! well, so the interrupt preempts `main` in the middle of its records: real
//! concurrency on one core, where a torn record or a lost update would show.
//! `main` also takes snapshots while the interrupt keeps firing. At the end
//! it checks exact totals, prints the report through semihosting, and exits
//! QEMU with success. Any failed check panics, and panic-semihosting exits
//! QEMU with failure.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use core::time::Duration;

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_rt::{entry, exception};
use cortex_m_semihosting::debug;
#[cfg(not(feature = "defmt"))]
use cortex_m_semihosting::hprintln;
use panic_semihosting as _;
use perftrack::{MetricsSummary, Operation, Tracker, clock::MockClock, histogram::COARSE_BUCKETS};

#[cfg(feature = "defmt")]
use defmt_semihosting as _;

/// 8 operations, 16 recent records, 1 shard (the no_std default), and the
/// coarse histogram (165 buckets, quantiles within 1/8), sized for an MCU.
type Firmware = Tracker<8, 16, 1, COARSE_BUCKETS>;
static TRACKER: Firmware = Tracker::new();

/// Interrupts taken, and interrupts that landed while `main` was inside a record.
static IRQS: AtomicU32 = AtomicU32::new(0);
static MID_RECORD: AtomicU32 = AtomicU32::new(0);
static IN_RECORD: AtomicBool = AtomicBool::new(false);

const IRQ_TARGET: u32 = 1_000;
/// Bounds the run if SysTick never fires; then the IRQ check below fails.
const MAX_MAIN_RECORDS: u64 = 300_000;

/// Every record has memory = 3·ns + 1, so any set of whole records satisfies
/// total_memory == 3·total_ns + count.
fn mem(ns: u64) -> u64 {
    3 * ns + 1
}

/// The record path on its own, not inlined, so its code size can be read
/// from the ELF (`record_once` in `llvm-nm --size-sort`).
#[inline(never)]
#[unsafe(no_mangle)]
pub extern "Rust" fn record_once(op: &Operation<'static, 16, 1, COARSE_BUCKETS>, ns: u64) {
    op.record(Duration::from_nanos(ns), mem(ns));
}

fn assert_consistent(s: &MetricsSummary<COARSE_BUCKETS>) {
    let ns = s.total_duration.as_nanos() as u64;
    assert!(s.total_memory == 3 * ns + s.count, "torn snapshot");
    assert!(s.distribution.count() == s.count, "histogram and count disagree");
    if s.count > 0 {
        assert!(s.min_duration <= s.avg_duration && s.avg_duration <= s.max_duration, "min/avg/max");
    }
}

#[exception]
fn SysTick() {
    let n = IRQS.load(Ordering::Relaxed);
    if n >= IRQ_TARGET {
        return;
    }
    if IN_RECORD.load(Ordering::Relaxed) {
        MID_RECORD.store(MID_RECORD.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    }
    // Names were registered by main before the interrupt was enabled, so
    // these lookups never wait.
    let ns = 1_000 + u64::from(n);
    if let Ok(op) = TRACKER.operation("shared") {
        op.record(Duration::from_nanos(ns), mem(ns));
    }
    if let Ok(op) = TRACKER.operation("systick") {
        op.record(Duration::from_nanos(u64::from(n % 100)), 0);
    }
    IRQS.store(n + 1, Ordering::Relaxed);
}

#[entry]
fn main() -> ! {
    let Some(mut cp) = cortex_m::Peripherals::take() else { panic!("peripherals taken twice") };
    let shared = TRACKER.operation("shared").unwrap();
    let main_op = TRACKER.operation("main_loop").unwrap();
    TRACKER.operation("systick").unwrap();

    // The core clock. (QEMU gives lm3s6965evb's external reference clock a
    // zero period, and SysTick on it then fires back to back, starving main.)
    cp.SYST.set_clock_source(SystClkSource::Core);
    cp.SYST.set_reload(2_000);
    cp.SYST.clear_current();
    cp.SYST.enable_counter();
    cp.SYST.enable_interrupt();

    let mut main_records = 0u64;
    let mut main_ns = 0u64;
    let mut snapshots = 0u32;
    while IRQS.load(Ordering::Relaxed) < IRQ_TARGET && main_records < MAX_MAIN_RECORDS {
        let ns = main_records % 500;
        IN_RECORD.store(true, Ordering::Relaxed);
        record_once(&shared, ns);
        IN_RECORD.store(false, Ordering::Relaxed);
        main_op.record(Duration::from_nanos(ns), 0);
        main_ns += ns;
        main_records += 1;
        if main_records % 512 == 0 {
            // A snapshot while the interrupt keeps recording into the same operation.
            assert_consistent(&shared.summary());
            for m in shared.recent().iter() {
                assert!(m.memory_used == mem(m.duration.as_nanos() as u64), "torn ring record");
            }
            snapshots += 1;
        }
    }
    cp.SYST.disable_interrupt();
    cp.SYST.disable_counter();

    let irqs = IRQS.load(Ordering::Relaxed);
    let irq_ns: u64 = (0..u64::from(irqs)).map(|n| 1_000 + n).sum();
    let s = shared.summary();
    assert_consistent(&s);
    assert!(irqs == IRQ_TARGET, "SysTick did not fire often enough");
    assert!(s.count == main_records + u64::from(irqs), "lost update: count");
    assert!(s.total_duration.as_nanos() as u64 == main_ns + irq_ns, "lost update: total");
    assert!(s.max_duration == Duration::from_nanos(1_000 + u64::from(irqs) - 1), "max");
    assert!(s.min_duration == Duration::ZERO, "min");
    assert!(main_op.summary().count == main_records, "main_loop count");
    assert!(TRACKER.summary("systick").map(|s| s.count) == Some(u64::from(irqs)), "systick count");
    let mid = MID_RECORD.load(Ordering::Relaxed);
    assert!(mid > 0, "no interrupt landed mid-record: the test proved nothing");

    call_tree();
    report(main_records, irqs, mid, snapshots);
    debug::exit(debug::EXIT_SUCCESS);
    loop {
        cortex_m::asm::wfi();
    }
}

/// Explicit nesting without `std`: spans borrow their parent, and a
/// guard-free child is recorded under a running span. The folded stacks must
/// come out exact.
fn call_tree() {
    static CLOCK: MockClock = MockClock::new();
    let ns = Duration::from_nanos;
    let (frame, filter) = (TRACKER.operation("frame").unwrap(), TRACKER.operation("filter").unwrap());
    let dma = TRACKER.operation("dma").unwrap();
    for _ in 0..2 {
        let f = frame.span(&CLOCK);
        CLOCK.advance(ns(100));
        {
            let _g = filter.span_in(&f, &CLOCK);
            CLOCK.advance(ns(250));
        }
        dma.record_in(&f, ns(40));
    }
    let mut folded: perftrack::heapless::String<128> = perftrack::heapless::String::new();
    TRACKER.write_folded(&mut folded).unwrap();
    // 2 × (100 + 250) ns of frame, less its children's 500 + 80: 120 of its own.
    // Siblings come in table order.
    assert!(
        folded.as_str() == "frame 120\nframe;filter 500\nframe;dma 80\n"
            || folded.as_str() == "frame 120\nframe;dma 80\nframe;filter 500\n",
        "folded stacks"
    );
    assert!(TRACKER.untracked_paths() == 0, "untracked paths");
    #[cfg(not(feature = "defmt"))]
    hprintln!("folded stacks:\n{}", folded);
}

#[cfg(not(feature = "defmt"))]
fn report(main_records: u64, irqs: u32, mid: u32, snapshots: u32) {
    hprintln!("{}", TRACKER.report());
    hprintln!(
        "size_of::<Tracker<8, 16, 1, COARSE_BUCKETS>>() = {} bytes (histograms: {} buckets each)",
        core::mem::size_of::<Firmware>(),
        COARSE_BUCKETS
    );
    hprintln!(
        "perftrack-firmware: OK main_records={} irq_records={} irq_mid_record={} snapshots={}",
        main_records,
        irqs,
        mid,
        snapshots
    );
}

#[cfg(feature = "defmt")]
fn report(main_records: u64, irqs: u32, mid: u32, snapshots: u32) {
    defmt::info!("{}", TRACKER.report());
    for s in TRACKER.summaries() {
        defmt::info!("summary {}", s);
    }
    defmt::info!(
        "perftrack-firmware: OK main_records={=u64} irq_records={=u32} irq_mid_record={=u32} snapshots={=u32}",
        main_records,
        irqs,
        mid,
        snapshots
    );
}
