// Each misuse fails with one error that says what the attribute takes, and
// the item stays as written: `main` and the functions called in it are
// found, so nothing else is reported.

#[perftrack::measure]
struct NotAFunction;

#[perftrack::measure(nmae = "typo")]
fn unknown_option() {}

#[perftrack::measure(name = 5)]
fn name_not_a_string() {}

#[perftrack::measure(name = "")]
fn empty_name() {}

#[perftrack::measure(tracker)]
fn tracker_without_a_value() {}

#[perftrack::measure(cpu_time)]
fn cpu_time_on_a_sync_fn() {}

#[perftrack::measure_all(name = "one name for many")]
impl NotAFunction {
    fn method(&self) {}
}

#[perftrack::measure_all]
fn not_a_block() {}

#[perftrack::main(verbose)]
fn main() {
    let _ = NotAFunction;
    unknown_option();
    name_not_a_string();
    empty_name();
    tracker_without_a_value();
    cpu_time_on_a_sync_fn();
    NotAFunction.method();
    not_a_block();
}
