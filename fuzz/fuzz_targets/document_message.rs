//! cargo-fuzz target `document_message`: see [`intake_fuzz::Target::Message`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| intake_fuzz::fuzz(intake_fuzz::Target::Message, data));
