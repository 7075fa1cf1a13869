//! Every fixture card under `fixtures/cards/` and `fixtures/shapes/` behaves as
//! `fixtures/cases.yaml` says — the exact set of gates that fire, the decision, and where
//! findings and errors point — run by the same runner as `aimsgate test`, with its evidence.

use std::collections::BTreeSet;

use aimsgate::pack::Pack;

use crate::common::{files, fixture_cases, root};

#[test]
fn every_fixture_behaves_as_its_case_says() {
    let pack = Pack::embedded().expect("the embedded pack loads");
    let text = std::fs::read_to_string(root().join("fixtures/cases.yaml")).unwrap();
    let results = aimsgate::policytest::run_file(
        &pack,
        "fixtures/cases.yaml",
        &root().join("fixtures"),
        &text,
    )
    .unwrap_or_else(|e| panic!("fixtures/cases.yaml does not read: {e:?}"));
    let failures: Vec<String> = results
        .iter()
        .filter(|r| !r.differences.is_empty())
        .map(|r| format!("{} {}: {}", r.location, r.name, r.differences.join("; ")))
        .collect();
    assert!(
        failures.is_empty(),
        "{} fixtures misbehave:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(results.len() > 70, "only {} cases", results.len());
}

#[test]
fn every_fixture_card_has_a_case() {
    let cased: BTreeSet<String> = fixture_cases().into_iter().map(|(card, _)| card).collect();
    for dir in ["cards", "shapes"] {
        for card in files(&root().join("fixtures").join(dir)) {
            let rel = card
                .strip_prefix(root().join("fixtures"))
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            assert!(
                cased.contains(&rel),
                "fixtures/{rel} has no case in fixtures/cases.yaml"
            );
        }
    }
}
