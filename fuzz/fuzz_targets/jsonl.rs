//! Fuzz target `jsonl`: the invariants of `checks::jsonl` (fuzz/checks.rs).
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::jsonl(data));
