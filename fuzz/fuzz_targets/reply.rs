//! cargo-fuzz target `reply`: see [`intake_fuzz::Target::Reply`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| intake_fuzz::fuzz(intake_fuzz::Target::Reply, data));
