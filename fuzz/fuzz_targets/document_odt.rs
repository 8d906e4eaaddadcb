//! cargo-fuzz target `document_odt`: see [`intake_fuzz::Target::Odt`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| intake_fuzz::fuzz(intake_fuzz::Target::Odt, data));
