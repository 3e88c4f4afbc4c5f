//! Fuzz target `wikitext`: the invariants of `checks::wikitext` (fuzz/checks.rs).
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::wikitext(data));
