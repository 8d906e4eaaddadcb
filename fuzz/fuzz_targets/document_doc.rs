//! cargo-fuzz target `document_doc`: see [`intake_fuzz::Target::Doc`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| intake_fuzz::fuzz(intake_fuzz::Target::Doc, data));
