//! The passage splitter on arbitrary documents (blocks of text with lines, pages and headings):
//! no panic, and passages in order, within the text, on character boundaries.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| quarry_fuzz::passages(data));
