//! Bytes → verdict, in process: a card that did not parse is never allowed.
#![no_main]

use std::sync::OnceLock;

use aimsgate::pack::Pack;

static PACK: OnceLock<Option<Pack>> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Some(pack) = PACK.get_or_init(|| Pack::embedded().ok()) {
        aimsgate::fuzzing::pipeline(pack, data);
    }
});
