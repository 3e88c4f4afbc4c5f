//! Fuzz target `wiki_xml`: the invariants of `checks::wiki_xml` (fuzz/checks.rs).
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::wiki_xml(data));
