//! cargo-fuzz target `claims`: see [`intake_fuzz::Target::Claims`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| intake_fuzz::fuzz(intake_fuzz::Target::Claims, data));
