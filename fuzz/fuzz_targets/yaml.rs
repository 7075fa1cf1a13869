//! Bytes → YAML events: the plain-subset reader gives saphyr-parser's events wherever it answers.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    aimsgate::fuzzing::yaml(data);
});
