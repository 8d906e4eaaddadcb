//! cargo-fuzz target `document_pdf`: see [`intake_fuzz::Target::Pdf`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| intake_fuzz::fuzz(intake_fuzz::Target::Pdf, data));
