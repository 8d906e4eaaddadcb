//! cargo-fuzz target `document_zip`: see [`intake_fuzz::Target::Zip`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| intake_fuzz::fuzz(intake_fuzz::Target::Zip, data));
