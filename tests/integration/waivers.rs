//! Waivers end to end: one gate waived for one model turns its finding into *waived* (shown,
//! not blocking); expiry at the boundary day; a waiver approved by the model's own owner, one
//! without reason or expiry, one too long, or one naming an unknown gate is an error at its
//! line; a waiver that matches nothing is stale.

use std::path::Path;

use serde_json::Value;

use crate::common::{Aimsgate, root};

/// A folder with one model, `ownerless`, failing only `owner-assigned`, and `waivers` as
/// `.aimsgate/waivers.yaml`.
fn repository(waivers: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let card = std::fs::read_to_string(
        root().join("fixtures/example/models/sentiment-classifier/model-card.yaml"),
    )
    .unwrap()
    .replacen("\n  owner: \"@acme/support-ml\"\n", "\n", 1);
    std::fs::create_dir_all(dir.path().join("models/ownerless")).unwrap();
    std::fs::write(dir.path().join("models/ownerless/model-card.yaml"), card).unwrap();
    std::fs::create_dir_all(dir.path().join(".aimsgate")).unwrap();
    std::fs::write(dir.path().join(".aimsgate/waivers.yaml"), waivers).unwrap();
    dir
}

fn check(dir: &Path, now: &str, format: &str) -> (i32, String) {
    let run = Aimsgate::new(dir)
        .args(&["check", "--now", now, "--format", format])
        .staging()
        .run();
    (run.code, run.output())
}

fn json(dir: &Path, now: &str) -> (i32, Value) {
    let (code, text) = check(dir, now, "json");
    (
        code,
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")),
    )
}

const WAIVER: &str = "waivers:\n  - gate: owner-assigned\n    model: ownerless\n    reason: \"Owner leaves; the team lead signs off until the new owner starts\"\n    approved_by: \"@acme/ai-governance\"\n    approved_on: 2026-11-01\n    expires: 2026-11-30\n    reference: NC-2026-12\n";

#[test]
fn a_valid_waiver_turns_the_finding_into_waived_and_allows() {
    let dir = repository(WAIVER);
    let (code, doc) = json(dir.path(), "2026-11-20");
    assert_eq!(code, 0, "{doc}");
    let finding = &doc["models"][0]["findings"][0];
    assert_eq!(finding["gate"], "owner-assigned");
    assert_eq!(finding["waived"]["approved_by"], "@acme/ai-governance");
    assert_eq!(finding["waived"]["expires"], "2026-11-30");
    assert_eq!(finding["waived"]["path"], ".aimsgate/waivers.yaml");
    assert_eq!(finding["waived"]["line"], 2);
    assert_eq!(doc["summary"]["waived_findings"], 1);
    assert_eq!(doc["stale_waivers"], serde_json::json!([]));
    // Still shown in every output, as waived.
    let (_, human) = check(dir.path(), "2026-11-20", "human");
    assert!(
        human.contains("owner-assigned [A.3.2]: An accountable owner is assigned (waived)"),
        "{human}"
    );
    assert!(
        human.contains("allowed  ownerless") && human.contains("1 waived"),
        "{human}"
    );
    let (_, markdown) = check(dir.path(), "2026-11-20", "markdown");
    assert!(
        markdown.contains("⏸️ `owner-assigned`") && markdown.contains("waived until 2026-11-30"),
        "{markdown}"
    );
    let (_, github) = check(dir.path(), "2026-11-20", "github");
    assert!(
        github
            .lines()
            .any(|l| l.starts_with("::notice ") && l.contains("owner-assigned")),
        "{github}"
    );
    assert!(
        !github.lines().any(|l| l.starts_with("::error ")),
        "{github}"
    );
    let (_, sarif) = check(dir.path(), "2026-11-20", "sarif");
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(
        sarif["runs"][0]["results"][0]["suppressions"][0]["kind"],
        "external"
    );
    let (_, junit) = check(dir.path(), "2026-11-20", "junit");
    assert!(
        junit.contains("<skipped message=\"waived until 2026-11-30"),
        "{junit}"
    );
}

#[test]
fn a_waiver_holds_through_its_expiry_day_and_not_a_day_more() {
    let dir = repository(WAIVER);
    assert_eq!(json(dir.path(), "2026-11-30T23:59:59Z").0, 0);
    let (code, doc) = json(dir.path(), "2026-12-01");
    assert_eq!(code, 1, "{doc}");
    let finding = &doc["models"][0]["findings"][0];
    assert_eq!(finding["waived"], Value::Null);
    assert_eq!(finding["expired_waiver"]["expires"], "2026-11-30");
    let message = finding["message"].as_str().unwrap();
    assert!(
        message.contains("the waiver at .aimsgate/waivers.yaml:2 expired on 2026-11-30"),
        "{message}"
    );
    // The default human output says it too.
    let (_, human) = check(dir.path(), "2026-12-01", "human");
    assert!(
        human.contains("the waiver at .aimsgate/waivers.yaml:2 expired on 2026-11-30"),
        "{human}"
    );
}

fn first_error(dir: &Path) -> (usize, String) {
    let (code, doc) = json(dir, "2026-11-20");
    assert_eq!(code, 2, "{doc}");
    let e = &doc["errors"][0];
    assert_eq!(e["path"], ".aimsgate/waivers.yaml");
    (
        e["line"].as_u64().unwrap() as usize,
        e["message"].as_str().unwrap().to_string(),
    )
}

#[test]
fn a_waiver_approved_by_the_models_own_owner_is_refused() {
    let dir = repository(WAIVER);
    let card = dir.path().join("models/ownerless/model-card.yaml");
    let text = std::fs::read_to_string(&card).unwrap().replace(
        "  risk_tier: limited\n",
        "  owner: \"@acme/ai-governance\"\n  risk_tier: limited\n  intended_use: \"\"\n",
    );
    let text = text.replacen(
        "  intended_use: \"Route incoming support tickets by tone to the right queue\"\n",
        "",
        1,
    );
    std::fs::write(&card, text).unwrap();
    let waiver = WAIVER.replace("gate: owner-assigned", "gate: intended-use-documented");
    std::fs::write(dir.path().join(".aimsgate/waivers.yaml"), waiver).unwrap();
    let (line, message) = first_error(dir.path());
    assert_eq!(line, 2);
    assert!(
        message.contains("approved by the model's own owner"),
        "{message}"
    );
}

#[test]
fn a_waiver_without_reason_or_expiry_is_refused_at_its_line() {
    let dir = repository(&WAIVER.replace(
        "    reason: \"Owner leaves; the team lead signs off until the new owner starts\"\n",
        "",
    ));
    let (line, message) = first_error(dir.path());
    assert_eq!(line, 2);
    assert!(message.contains("no `reason`"), "{message}");
    let dir = repository(&WAIVER.replace("    expires: 2026-11-30\n", ""));
    assert!(first_error(dir.path()).1.contains("no `expires`"));
}

#[test]
fn a_waiver_longer_than_the_maximum_is_refused_unless_the_maximum_is_raised() {
    let long = WAIVER.replace("expires: 2026-11-30", "expires: 2027-02-15");
    let dir = repository(&long);
    let (line, message) = first_error(dir.path());
    assert_eq!(line, 7);
    assert!(
        message.contains("runs 106 days, longer than the maximum of 90"),
        "{message}"
    );
    let dir = repository(&format!("max_duration_days: 120\n{long}"));
    assert_eq!(json(dir.path(), "2026-11-20").0, 0);
}

#[test]
fn a_waiver_for_an_unknown_gate_is_refused() {
    let dir = repository(&WAIVER.replace("gate: owner-assigned", "gate: owner-asigned"));
    let (line, message) = first_error(dir.path());
    assert_eq!(line, 2);
    assert!(message.contains("no gate `owner-asigned`"), "{message}");
}

#[test]
fn a_waiver_that_matches_nothing_is_stale_and_changes_nothing() {
    // The model `ownerless` is judged and `bias-tests-passed` does not fire on it: the second
    // waiver is stale. The third is for models this run did not judge: not stale, only unused.
    let stale = format!(
        "{WAIVER}  - gate: bias-tests-passed\n    model: \"owner*\"\n    reason: r\n    approved_by: \"@x\"\n    expires: 2026-12-01\n  - gate: bias-tests-passed\n    model: \"fraud-*\"\n    reason: r\n    approved_by: \"@x\"\n    expires: 2026-12-01\n"
    );
    let dir = repository(&stale);
    let (code, doc) = json(dir.path(), "2026-11-20");
    assert_eq!(code, 0);
    assert_eq!(doc["stale_waivers"].as_array().unwrap().len(), 1, "{doc}");
    assert_eq!(doc["stale_waivers"][0]["line"], 9);
    assert_eq!(doc["stale_waivers"][0]["model"], "owner*");
    let (_, human) = check(dir.path(), "2026-11-20", "human");
    assert!(human.contains("warning: the waiver at .aimsgate/waivers.yaml:9 (bias-tests-passed for owner*) matches no finding"), "{human}");
    assert!(!human.contains("fraud-*"), "{human}");
}

#[test]
fn model_patterns_are_globs() {
    let dir = repository(&WAIVER.replace("model: ownerless", "model: \"owner*\""));
    assert_eq!(json(dir.path(), "2026-11-20").0, 0);
    let dir = repository(&WAIVER.replace("model: ownerless", "model: \"other*\""));
    assert_eq!(json(dir.path(), "2026-11-20").0, 1);
}

#[test]
fn a_named_waivers_file_must_exist() {
    let dir = repository(WAIVER);
    let out = Aimsgate::check(dir.path())
        .args(&["--waivers", "no/such.yaml"])
        .run();
    assert_eq!(out.code, 2);
    let stderr = out.stderr;
    assert!(
        stderr.contains("no/such.yaml: the waivers file does not exist"),
        "{stderr}"
    );
}
