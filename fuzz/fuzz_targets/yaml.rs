//! Bytes → YAML events and tree: the plain-subset reader gives saphyr-parser's events wherever it
//! answers, and the tree built as it reads is the one saphyr-parser's events build.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    aimsgate::fuzzing::yaml(data);
});
