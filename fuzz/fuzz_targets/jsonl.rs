//! The jsonl record reader on arbitrary bytes: no panic, and every record a document whose
//! blocks and passages lie within its text.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| quarry_fuzz::records("jsonl", data));
