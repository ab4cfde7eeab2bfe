//! Prints the probe library's statics' sizes, and whether perftrack's
//! `std` was on.
fn main() {
    let [tracker, default] = perftrack_feature_probe::sizes();
    println!("std={} Tracker<8, 16>={tracker} DefaultTracker={default}", cfg!(feature = "std"));
}
