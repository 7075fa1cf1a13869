//! Every fixture card under `fixtures/cards/` and `fixtures/shapes/` behaves as its own first
//! lines say: the exact set of gates that fire, the decision, and where findings and errors point.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test states its expectations by panicking"
)]

mod common;

use std::collections::BTreeSet;

use aimsgate::pack::Pack;

use common::{check_card, expectations, files, root};

#[test]
fn every_fixture_behaves_as_it_says() {
    let pack = Pack::embedded().expect("the embedded pack loads");
    let mut failures = Vec::new();
    let mut checked = 0;
    for dir in ["fixtures/cards", "fixtures/shapes"] {
        for card in files(&root().join(dir)) {
            let text =
                String::from_utf8_lossy(&std::fs::read(&card).expect("readable")).into_owned();
            let e = expectations(&text);
            let report = check_card(&pack, &card, &e);
            let name = card
                .strip_prefix(root())
                .unwrap_or(&card)
                .display()
                .to_string();
            checked += 1;

            let gates: Vec<String> = report
                .models
                .iter()
                .flat_map(|m| m.findings.iter().map(|f| f.gate.clone()))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let decision = e.decision.clone().unwrap_or_else(|| {
                if e.gates.as_ref().is_some_and(|g| !g.is_empty()) {
                    "blocked"
                } else {
                    "allowed"
                }
                .into()
            });
            if report.decision.as_str() != decision {
                failures.push(format!(
                    "{name}: decision {} (expected {decision}); errors: {:?}",
                    report.decision.as_str(),
                    report
                        .errors
                        .iter()
                        .map(|e| e.to_string())
                        .collect::<Vec<_>>()
                ));
            }
            if decision == "error" {
                let first = report.errors.first().and_then(|e| e.line());
                if e.error_at.is_some() && first != e.error_at {
                    failures.push(format!(
                        "{name}: first error at line {first:?}, expected {:?}",
                        e.error_at
                    ));
                }
                continue;
            }
            match &e.gates {
                None => failures.push(format!("{name}: states no `expect:` line")),
                Some(expected) if *expected != gates => {
                    failures.push(format!("{name}: gates {gates:?}, expected {expected:?}"));
                }
                Some(_) => {}
            }
            for (gate, line) in &e.at {
                let got: Vec<usize> = report
                    .models
                    .iter()
                    .flat_map(|m| &m.findings)
                    .filter(|f| &f.gate == gate)
                    .map(|f| f.location.line())
                    .collect();
                if got != vec![*line] {
                    failures.push(format!("{name}: {gate} at lines {got:?}, expected {line}"));
                }
            }
        }
    }
    assert!(checked > 50, "only {checked} fixtures found");
    assert!(
        failures.is_empty(),
        "{} fixtures misbehave:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn fixture_expectations_are_read() {
    let e = expectations(
        "---\n# aimsgate-test: --action deploy --env production\n# expect: b, a\n# at: a:3, b:4\n---\n",
    );
    assert_eq!(e.args, ["--action", "deploy", "--env", "production"]);
    assert_eq!(e.gates, Some(vec!["a".to_string(), "b".to_string()]));
    assert_eq!(e.at, vec![("a".to_string(), 3), ("b".to_string(), 4)]);
    let e = expectations("{\n  \"__x\": \"expect: none\",\n}\n<!-- decision: error -->\n");
    assert_eq!(e.gates, Some(Vec::new()));
    assert_eq!(e.decision.as_deref(), Some("error"));
}
