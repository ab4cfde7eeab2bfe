//! `measure_block!`: one line to time a block, or an `async` block, where
//! `#[perftrack::measure]` would need a function of its own. It expands to
//! what the attribute does for a function body: a call site resolved once
//! (`callsite.rs`) and a scope guard, or a timed future for an `async`
//! block. A `macro_rules!` macro, so it needs no proc-macro crate; with the
//! feature `off` it expands to the block as written, like the attributes.

/// Times a block into the process-wide tracker ([`global()`](crate::global))
/// under `name`, and yields the block's value. One line, and the same
/// record as `#[perftrack::measure]` makes for a
/// function: timed by the [`FastClock`](crate::os::FastClock), nested in the
/// call tree under the measured scope around it, recorded even when the
/// block leaves early (`return`, `?`, `break`) or panics.
///
/// * `measure_block!(name, { … })`: `name` is a `&'static str`, used as it
///   is (a name longer than [`MAX_NAME_LEN`](crate::limits::MAX_NAME_LEN) keeps its
///   last bytes, as the attribute's `name = "…"` does).
/// * `measure_block!(name, tracker = EXPR, { … })`: into `EXPR`, any
///   `&'static Tracker`. Each use names one tracker: the expression must
///   give the same tracker every time.
/// * `measure_block!(name, async { … })` (or `async move`): a future, timed
///   from its first poll to its completion, `Send` whenever the block is,
///   and counted apart in [`MetricsSummary::cancelled`](crate::MetricsSummary::cancelled)
///   (no record) when it is dropped mid-flight; a future never polled is
///   not a call.
///   Await it: `measure_block!("fetch", async { … }).await`.
///
/// The name is resolved once per use, at its first run: later runs go
/// straight to the operation's slot. A full tracker leaves the block
/// untimed, and the report names what it dropped.
///
/// A plain block holds a scope guard, which is not `Send`: a block that
/// awaits inside an async function needs the `async` form, or the
/// function's future stops being `Send` (a compile error in a handler that
/// must be).
///
/// With the feature `off`, every form expands to the block as written
/// (an `async` block stays an `async` block): neither `name` nor the
/// tracker expression is evaluated.
///
/// ```
/// use perftrack::{global, measure_block};
///
/// fn checksum(data: &[u8]) -> u32 {
///     let words = measure_block!("checksum::split", {
///         data.chunks(4).map(|c| c.iter().fold(0u32, |w, &b| w << 8 | u32::from(b))).collect::<Vec<_>>()
///     });
///     words.iter().fold(0u32, |a, &w| a.wrapping_add(w))
/// }
///
/// assert_eq!(checksum(&[0, 0, 1, 0, 0, 0, 0, 2]), 258);
/// assert_eq!(global().summary("checksum::split").unwrap().count, 1);
/// ```
#[cfg(not(feature = "off"))]
#[macro_export]
macro_rules! measure_block {
    // The one place a timed future is built: both `async` forms come here.
    (@timed $name:expr, $tracker:expr, $fut:expr) => {
        $crate::__private::MaybeTimed::new(
            {
                static __PERFTRACK_SITE: $crate::__private::CallSite = $crate::__private::CallSite::new();
                __PERFTRACK_SITE.operation($tracker, || $crate::__private::SiteName::Given($name))
            },
            $fut,
        )
    };
    ($name:expr, tracker = $tracker:expr, async move $body:block) => {
        $crate::measure_block!(@timed $name, $tracker, async move $body)
    };
    ($name:expr, tracker = $tracker:expr, async $body:block) => {
        $crate::measure_block!(@timed $name, $tracker, async $body)
    };
    // A block's statements go straight after the guard, with no braces
    // around them for the `unused_braces` lint to see.
    ($name:expr, tracker = $tracker:expr, { $($body:tt)* }) => {{
        let __perftrack_guard = {
            static __PERFTRACK_SITE: $crate::__private::CallSite = $crate::__private::CallSite::new();
            __PERFTRACK_SITE.guard($tracker, || $crate::__private::SiteName::Given($name))
        };
        $($body)*
    }};
    ($name:expr, tracker = $tracker:expr, $body:expr) => {
        $crate::measure_block!($name, tracker = $tracker, { $body })
    };
    // Without a tracker: every form above, into the global one.
    ($name:expr, $($body:tt)+) => {
        $crate::measure_block!($name, tracker = $crate::global(), $($body)+)
    };
}

/// Times a block: with the feature `off`, the block as written (see the
/// documentation built without `off`).
#[cfg(feature = "off")]
#[macro_export]
macro_rules! measure_block {
    ($name:expr, tracker = $tracker:expr, $($body:tt)+) => {
        $($body)+
    };
    ($name:expr, $($body:tt)+) => {
        $($body)+
    };
}
