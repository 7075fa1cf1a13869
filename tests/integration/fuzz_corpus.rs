//! The fuzz harnesses (engine/src/fuzzing.rs) over their seed corpus — every fixture card — on
//! every `cargo test`, so the invariants the fuzzers check hold for the known inputs too.

use aimsgate::pack::Pack;

use crate::common;

#[test]
fn the_seed_corpus_keeps_every_invariant() {
    let pack = Pack::embedded().expect("the embedded pack loads");
    let (mut seen, mut plain) = (0, 0);
    for dir in ["fixtures/cards", "fixtures/shapes", "fixtures/example"] {
        for file in common::files(&common::root().join(dir)) {
            let bytes = std::fs::read(&file).unwrap();
            aimsgate::fuzzing::card(&bytes);
            aimsgate::fuzzing::pipeline(&pack, &bytes);
            plain += aimsgate::fuzzing::yaml(&bytes);
            seen += 1;
        }
    }
    assert!(seen > 80, "only {seen} seeds");
    // The plain-subset YAML reader is held to saphyr-parser on the cards it reads: most of them.
    assert!(
        plain > 40,
        "the plain reader took only {plain} of {seen} seeds"
    );
}
