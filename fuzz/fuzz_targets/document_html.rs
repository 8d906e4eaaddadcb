//! cargo-fuzz target `document_html`: see [`intake_fuzz::Target::Html`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| intake_fuzz::fuzz(intake_fuzz::Target::Html, data));
