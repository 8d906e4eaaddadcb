//! cargo-fuzz target `document_tnef`: see [`intake_fuzz::Target::Tnef`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| intake_fuzz::fuzz(intake_fuzz::Target::Tnef, data));
