//! Bytes → model card (Markdown front matter, YAML, JSON): never panics, bounded time and memory.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    aimsgate::fuzzing::card(data);
});
