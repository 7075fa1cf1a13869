//! Properties of the gate, checked on generated cards: removing or blanking governance fields
//! never turns *blocked* into *allowed*; a failing bias result never passes, whatever the others
//! say; the order of keys and unknown extra keys never change the verdict; and the JSON report
//! always parses, with a decision that agrees with the exit code.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use proptest::prelude::*;
use serde_json::{Value, json};

use aimsgate::card::{self, Format};
use aimsgate::date::Instant;
use aimsgate::evaluate::{Evaluator, RequestSpec};
use aimsgate::evidence::Evidence;
use aimsgate::pack::Pack;
use aimsgate::report::{Action, Decision};

use crate::common;

fn pack() -> &'static Pack {
    static PACK: OnceLock<Pack> = OnceLock::new();
    PACK.get_or_init(|| Pack::embedded().expect("the embedded pack loads"))
}

/// A change on `main`, approved by two independent reviewers: evidence gates pass.
fn evidence() -> Evidence {
    aimsgate::policytest::evidence_of(
        "git: {branch: main}\ndefault_branch: main\nreview: {pr_author: pr-author, commit_author: commit-author, approvers: [jane, omar]}\n",
    )
    .expect("the evidence reads")
}

fn base() -> Value {
    json!({
        "license": "apache-2.0",
        "model-index": [{"name": "m", "results": [{"metrics": [{"type": "auc", "value": 0.9}]}]}],
        "governance": {
            "version": "2.3.0",
            "owner": "@acme/ml",
            "risk_tier": "high",
            "intended_use": "Score transactions for review",
            "impact_assessment": {"status": "approved", "reference": "IA-1", "approved_by": "@jane", "approved_on": "2026-10-01"},
            "bias_tests": {
                "model_version": "2.3.0",
                "evaluated_on": "2026-11-01",
                "results": [{"metric": "dpd", "value": 0.03, "threshold": 0.1}]
            },
            "data": {
                "sources": [{"name": "tx", "provenance": "ledger 2025", "personal_data": true}],
                "privacy_assessment": "DPIA-3"
            },
            "human_oversight": "Analysts review scores above 0.8",
            "monitoring": {"plan": "Weekly drift report", "owner": "@acme/oncall"},
            "incident_contact": "oncall@acme.example"
        }
    })
}

const FIELDS: &[&str] = &[
    "/governance",
    "/governance/owner",
    "/governance/risk_tier",
    "/governance/intended_use",
    "/governance/version",
    "/governance/impact_assessment",
    "/governance/impact_assessment/status",
    "/governance/impact_assessment/approved_on",
    "/governance/bias_tests",
    "/governance/bias_tests/model_version",
    "/governance/bias_tests/evaluated_on",
    "/governance/bias_tests/results",
    "/governance/bias_tests/results/0/value",
    "/governance/bias_tests/results/0/threshold",
    "/governance/data",
    "/governance/data/sources",
    "/governance/data/sources/0/provenance",
    "/governance/data/sources/0/personal_data",
    "/governance/data/privacy_assessment",
    "/governance/human_oversight",
    "/governance/monitoring",
    "/governance/monitoring/plan",
    "/governance/incident_contact",
    "/model-index",
];

/// Removes (or blanks) the field at `pointer`, if it is still there.
fn strip(card: &mut Value, pointer: &str, blank: bool) {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let Some(parent) = card.pointer_mut(if parent.is_empty() { "" } else { parent }) else {
        return;
    };
    match parent {
        Value::Object(map) if blank && map.contains_key(key) => {
            map.insert(key.to_string(), Value::String("  ".into()));
        }
        Value::Object(map) if !blank => {
            map.remove(key);
        }
        Value::Array(items) => match key.parse::<usize>() {
            Ok(i) if i < items.len() && blank => items[i] = Value::String(String::new()),
            Ok(i) if i < items.len() => {
                items.remove(i);
            }
            _ => {}
        },
        _ => {}
    }
}

fn request(n: u8) -> RequestSpec {
    let (action, environment) = match n % 3 {
        0 => (Action::Release, None),
        1 => (Action::Deploy, Some("staging".to_string())),
        _ => (Action::Deploy, Some("production".to_string())),
    };
    RequestSpec {
        action,
        environment,
        now: Instant::parse("2026-11-20").unwrap(),
        actor: "prop".into(),
    }
}

/// The verdict on a card given as JSON or YAML text.
fn verdict(text: &str, format: Format, spec: &RequestSpec) -> (Decision, BTreeSet<String>) {
    let card = match card::parse(
        "m/model-card",
        Arc::from(text),
        format,
        true,
        "m",
        &card::Keys::engine(),
    ) {
        Ok(Some(c)) => c,
        _ => return (Decision::Error, BTreeSet::new()),
    };
    let ev = evidence();
    let evaluator = Evaluator::new(pack(), spec, &ev).unwrap();
    let (model, errors) = evaluator.evaluate(&card);
    let decision = aimsgate::verdict::decide(&model.findings, !errors.is_empty());
    (
        decision,
        model.findings.iter().map(|f| f.gate.clone()).collect(),
    )
}

fn json_verdict(card: &Value, spec: &RequestSpec) -> (Decision, BTreeSet<String>) {
    verdict(&card.to_string(), Format::Json, spec)
}

/// The same property, exhaustively over every pair of fields, request and way of removing.
#[test]
fn no_pair_of_removals_turns_blocked_into_allowed() {
    for req in 0..3 {
        let spec = request(req);
        for (i, first) in FIELDS.iter().enumerate() {
            for second in &FIELDS[i..] {
                for (blank_first, blank_second) in
                    [(false, false), (true, true), (false, true), (true, false)]
                {
                    let mut card = base();
                    strip(&mut card, first, blank_first);
                    let (before, _) = json_verdict(&card, &spec);
                    strip(&mut card, second, blank_second);
                    let (after, gates) = json_verdict(&card, &spec);
                    assert!(
                        !(before == Decision::Blocked && after == Decision::Allowed),
                        "{req}: removing {first} then {second}: {before:?} became {after:?} ({gates:?})"
                    );
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn removing_or_blanking_a_field_never_turns_blocked_into_allowed(
        removed in proptest::sample::subsequence((0..FIELDS.len()).collect::<Vec<_>>(), 0..4),
        blank in any::<bool>(),
        extra in 0..FIELDS.len(),
        blank_extra in any::<bool>(),
        req in 0u8..3,
    ) {
        let spec = request(req);
        let mut card = base();
        // Deepest fields first, so a parent's removal does not hide its children's.
        for i in removed.iter().rev() {
            strip(&mut card, FIELDS[*i], blank);
        }
        let (before, _) = json_verdict(&card, &spec);
        strip(&mut card, FIELDS[extra], blank_extra);
        let (after, gates) = json_verdict(&card, &spec);
        prop_assert!(
            !(before == Decision::Blocked && after == Decision::Allowed),
            "{before:?} became {after:?} ({gates:?}) removing {} from {card}", FIELDS[extra]
        );
    }

    #[test]
    fn a_failing_bias_result_never_passes_whatever_the_others_say(
        others in proptest::collection::vec((-1.0f64..1.0, 0.0f64..1.0, any::<bool>()), 0..8),
        at in 0usize..8,
        excess in 0.001f64..10.0,
        at_least in any::<bool>(),
        tier in prop_oneof![Just("limited"), Just("high")],
        req in 0u8..3,
    ) {
        let mut results: Vec<Value> = others
            .iter()
            .enumerate()
            .map(|(i, (v, t, least))| json!({
                "metric": format!("m{i}"), "value": v, "threshold": t,
                "direction": if *least { "at_least" } else { "at_most" }
            }))
            .collect();
        let failing = if at_least {
            json!({"metric": "failing", "value": 0.5, "threshold": 0.5 + excess, "direction": "at_least"})
        } else {
            json!({"metric": "failing", "value": -(0.1 + excess), "threshold": 0.1})
        };
        results.insert(at.min(results.len()), failing);
        let mut card = base();
        card["governance"]["risk_tier"] = json!(tier);
        card["governance"]["bias_tests"]["results"] = Value::Array(results);
        let (decision, gates) = json_verdict(&card, &request(req));
        prop_assert_eq!(decision, Decision::Blocked);
        prop_assert!(gates.contains("bias-tests-passed"), "{:?}", gates);
    }

    #[test]
    fn key_order_and_unknown_keys_outside_governance_never_change_the_verdict(
        order in Just((0..12usize).collect::<Vec<_>>()).prop_shuffle(),
        unknown in proptest::collection::vec(("[a-z]{3,8}", "[a-z0-9 ]{0,12}"), 0..4),
        drop in proptest::option::of(0usize..12),
        req in 0u8..3,
    ) {
        let entries = [
            "version: 2.3.0",
            "owner: \"@acme/ml\"",
            "risk_tier: high",
            "intended_use: Score transactions",
            "impact_assessment: {status: approved, approved_on: 2026-10-01}",
            "bias_tests: {model_version: 2.3.0, evaluated_on: 2026-11-01, results: [{metric: dpd, value: 0.03, threshold: 0.1}]}",
            "data: {sources: [{name: tx, provenance: ledger, personal_data: true}], privacy_assessment: DPIA-3}",
            "human_oversight: Analysts review",
            "monitoring: {plan: Weekly drift report}",
            "incident_contact: oncall@acme.example",
            "out_of_scope_uses: [credit]",
            "id: m",
        ];
        let kept: Vec<usize> = (0..entries.len()).filter(|i| Some(*i) != drop).collect();
        // Unknown keys stand beside the Hugging Face keys (outside `governance`), or, with
        // `inside`, in the governance block, where an unknown key is an error.
        let render = |indices: &[usize], extra: &[(String, String)], inside: bool| {
            let mut text = String::from("model-index: [{name: m, results: [{metrics: [{type: auc, value: 0.9}]}]}]\n");
            for (k, v) in extra.iter().filter(|_| !inside) {
                text.push_str(&format!("x_{k}: \"{v}\"\n"));
            }
            text.push_str("governance:\n");
            for i in indices {
                text.push_str(&format!("  {}\n", entries[*i]));
            }
            for (k, v) in extra.iter().filter(|_| inside) {
                text.push_str(&format!("  x_{k}: \"{v}\"\n"));
            }
            text
        };
        let spec = request(req);
        let plain = verdict(&render(&kept, &[], false), Format::Yaml, &spec);
        let shuffled: Vec<usize> = order.into_iter().filter(|i| kept.contains(i)).collect();
        let mut extra = unknown.clone();
        extra.sort();
        extra.dedup_by(|a, b| a.0 == b.0);
        let other = verdict(&render(&shuffled, &extra, false), Format::Yaml, &spec);
        prop_assert_eq!(plain, other);
        if !extra.is_empty() {
            let (decision, _) = verdict(&render(&shuffled, &extra, true), Format::Yaml, &spec);
            prop_assert_eq!(decision, Decision::Error, "an unknown governance key is an error");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_json_report_always_parses_and_agrees_with_the_exit_code(
        mask in proptest::collection::vec(any::<bool>(), FIELDS.len()),
        req in 0u8..3,
    ) {
        let mut card = base();
        for (i, field) in FIELDS.iter().enumerate().rev() {
            if mask[i] {
                strip(&mut card, field, i % 2 == 0);
            }
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("model-card.json"), card.to_string()).unwrap();
        let mut args = vec!["check", "--now", "2026-11-20", "--format", "json", "--default-branch", "main"];
        match req {
            0 => args.extend(["--action", "release"]),
            1 => args.extend(["--action", "deploy", "--env", "staging"]),
            _ => args.extend(["--action", "deploy", "--env", "production"]),
        }
        let out = common::Aimsgate::new(dir.path()).args(&args).run();
        let code = out.code;
        let doc: Value = out.json();
        let expected = match code { 0 => "allowed", 1 => "blocked", 2 => "error", other => panic!("exit {other}") };
        prop_assert_eq!(doc["decision"].as_str(), Some(expected));
        prop_assert_eq!(doc["schema_version"].as_u64(), Some(1));
    }
}
