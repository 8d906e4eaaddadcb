//! cargo-fuzz target `document_rtf`: see [`intake_fuzz::Target::Rtf`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| intake_fuzz::fuzz(intake_fuzz::Target::Rtf, data));
