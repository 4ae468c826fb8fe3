//! The query parser and a search with it, on arbitrary text, over a small index built once:
//! no panic, and either hits or a one-line error.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| quarry_fuzz::query(data));
