//! The pdf extractor on arbitrary bytes: no panic, and a document whose blocks and passages
//! lie within its text.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| quarry_fuzz::document("pdf", data));
