//! cargo-fuzz target `mail`: see [`intake_fuzz::Target::Mail`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| intake_fuzz::fuzz(intake_fuzz::Target::Mail, data));
