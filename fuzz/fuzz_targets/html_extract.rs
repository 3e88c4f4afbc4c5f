//! Fuzz target `html_extract`: the invariants of `checks::html_extract` (fuzz/checks.rs).
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::html_extract(data));
