//! The reader of pdftotext's XHTML (`-bbox-layout`) on arbitrary bytes: no panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    quarry::extract::fuzzing::pdftotext_xhtml(data);
});
