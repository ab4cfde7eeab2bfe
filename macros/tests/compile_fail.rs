//! What `#[perftrack::measure]` must not change: an `async fn` whose body
//! holds a non-`Send` value across an `.await` stays non-`Send`, so a
//! spawner that needs `Send` still rejects it, with the compiler's own
//! error. (Its `Send` side, that a `Send` body stays `Send`, is in
//! perftrack's tests/macros.rs and the axum example.) And what a misused
//! attribute says: one error each, naming what it takes, with nothing more
//! about the item it was put on.
#![cfg(not(feature = "off"))]

#[test]
fn a_non_send_async_body_stays_non_send() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/non_send_body.rs");
    t.pass("tests/ui/send_body.rs");
}

#[test]
fn a_misused_attribute_fails_with_one_error_naming_what_it_takes() {
    trybuild::TestCases::new().compile_fail("tests/ui/misused_attributes.rs");
}
