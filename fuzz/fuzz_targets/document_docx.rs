//! cargo-fuzz target `document_docx`: see [`intake_fuzz::Target::Docx`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| intake_fuzz::fuzz(intake_fuzz::Target::Docx, data));
