//! Gates re-levelled by `.aimsgate/config.yaml` (`gates:`): made advisory, made blocking, or
//! turned off with a reason — and never silent: the report, the record, the pack's digest and
//! the Statement of Applicability say so.

use std::path::Path;

use serde_json::Value;

use crate::common::{Aimsgate, root};

/// A folder with one card that has no monitoring plan (blocked in production by
/// `monitoring-plan-defined`), and `config` as its configuration.
fn folder(config: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let card = std::fs::read_to_string(
        root().join("fixtures/example/models/sentiment-classifier/model-card.yaml"),
    )
    .unwrap();
    // The `monitoring:` line and the lines indented under it go.
    let mut inside = false;
    let card: String = card
        .split_inclusive('\n')
        .filter(|line| {
            if line.starts_with("  monitoring:") {
                inside = true;
                return false;
            }
            inside &= line.starts_with("    ");
            !inside
        })
        .collect();
    assert!(!card.contains("monitoring"), "{card}");
    std::fs::create_dir_all(dir.path().join("models/m")).unwrap();
    std::fs::write(dir.path().join("models/m/model-card.yaml"), card).unwrap();
    if let Some(config) = config {
        std::fs::create_dir_all(dir.path().join(".aimsgate")).unwrap();
        std::fs::write(dir.path().join(".aimsgate/config.yaml"), config).unwrap();
    }
    dir
}

fn production(dir: &Path, more: &[&str]) -> (i32, Value) {
    let run = Aimsgate::check(dir)
        .json()
        .args(&["--action", "deploy", "--env", "production"])
        .args(more)
        .run();
    (run.code, run.json())
}

/// Severity of each finding of model `m`, by gate.
fn findings(doc: &Value) -> Vec<(String, String)> {
    doc["models"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["gate"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

const OFF: &str = "gates:\n  monitoring-plan-defined:\n    level: off\n    reason: \"batch scoring only; monitored under OPS-12\"\n";

#[test]
fn a_gate_made_advisory_no_longer_blocks_and_the_report_says_so() {
    let dir = folder(None);
    let (_, before) = production(dir.path(), &[]);
    let fired = findings(&before);
    assert!(
        fired.contains(&("monitoring-plan-defined".into(), "error".into())),
        "{before}"
    );
    assert_eq!(before["relevelled"], serde_json::json!([]));
    // Every gate that fires here made advisory: the model is allowed.
    let config: String = std::iter::once("gates:\n".to_string())
        .chain(fired.iter().map(|(g, _)| format!("  {g}: warning\n")))
        .collect();
    let dir = folder(Some(&config));
    let (code, doc) = production(dir.path(), &[]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["models"][0]["decision"], "allowed");
    assert!(findings(&doc).iter().all(|(_, s)| s == "warning"), "{doc}");
    let r = &doc["relevelled"][0];
    assert_eq!(r["level"], "warning");
    assert_eq!(r["default"], "error");
    assert_eq!(r["by"], ".aimsgate/config.yaml");
    let warnings = doc["warnings"].to_string();
    assert!(
        warnings.contains("is re-levelled from error to warning by .aimsgate/config.yaml"),
        "{warnings}"
    );
    // The statement names it with its level; the annotations put it first, since GitHub shows
    // only ten warnings of a step.
    let (_, md, _) = Aimsgate::new(dir.path()).args(&["controls"]).run().parts();
    let row = md.lines().find(|l| l.starts_with("| A.6.2.6 |")).unwrap();
    assert!(
        row.contains("`monitoring-plan-defined` (warning, re-levelled)"),
        "{row}"
    );
    let github = Aimsgate::check(dir.path())
        .args(&[
            "--action",
            "deploy",
            "--env",
            "production",
            "--format",
            "github",
        ])
        .run()
        .output();
    let first = github.lines().find(|l| l.starts_with("::warning")).unwrap();
    assert!(
        first.contains("re-levelled from error to warning"),
        "{github}"
    );

    // And the other way: an advisory gate made blocking.
    let dir = folder(Some("gates:\n  performance-documented: error\n"));
    std::fs::write(
        dir.path().join("models/m/model-card.yaml"),
        std::fs::read_to_string(dir.path().join("models/m/model-card.yaml"))
            .unwrap()
            .replace("model-index:", "model-index-old:"),
    )
    .unwrap();
    let (_, doc) = production(dir.path(), &[]);
    assert!(
        findings(&doc).contains(&("performance-documented".into(), "error".into())),
        "{doc}"
    );
}

#[test]
fn a_gate_turned_off_is_recorded_digested_and_a_gap_with_its_reason() {
    let plain = folder(None);
    let record = plain.path().join("records.jsonl");
    let (_, before) = production(plain.path(), &["--record", record.to_str().unwrap()]);
    let before_record: Value =
        serde_json::from_str(std::fs::read_to_string(&record).unwrap().trim()).unwrap();

    let dir = folder(Some(OFF));
    let record = dir.path().join("records.jsonl");
    let (_, doc) = production(dir.path(), &["--record", record.to_str().unwrap()]);
    let gates: Vec<String> = findings(&doc).into_iter().map(|(g, _)| g).collect();
    assert!(
        !gates.contains(&"monitoring-plan-defined".to_string()),
        "{doc}"
    );
    assert_eq!(
        gates.len() + 1,
        findings(&before).len(),
        "only that gate is gone"
    );
    assert_eq!(doc["relevelled"][0]["level"], "off");
    assert_eq!(
        doc["relevelled"][0]["reason"],
        "batch scoring only; monitored under OPS-12"
    );
    assert!(
        doc["warnings"]
            .to_string()
            .contains("gate `monitoring-plan-defined` (A.6.2.6) is turned off by .aimsgate/config.yaml (batch scoring only; monitored under OPS-12)"),
        "{doc}"
    );
    let rec: Value =
        serde_json::from_str(std::fs::read_to_string(&record).unwrap().trim()).unwrap();
    assert_eq!(rec["relevelled"][0]["gate"], "monitoring-plan-defined");
    assert_eq!(rec["relevelled"][0]["level"], "off");
    let (_, log, _) = Aimsgate::new(dir.path())
        .args(&["log", "--record", record.to_str().unwrap()])
        .run()
        .parts();
    assert!(
        log.contains("    gate     monitoring-plan-defined off (the pack says error) by .aimsgate/config.yaml: batch scoring only; monitored under OPS-12"),
        "{log}"
    );
    assert_ne!(
        rec["policies"]["sha256"], before_record["policies"]["sha256"],
        "a pack with a gate off is not the pack as written"
    );

    // `explain` says what the configuration made of the gate.
    let (_, out, _) = Aimsgate::new(dir.path())
        .args(&["explain", "monitoring-plan-defined"])
        .run()
        .parts();
    assert!(
        out.contains("severity:   off (error in the pack; set by .aimsgate/config.yaml: batch scoring only; monitored under OPS-12)"),
        "{out}"
    );

    // `validate` and `verify` say it beside what they report of the pack as written.
    for cmd in ["validate", "verify"] {
        let (code, out, err) = Aimsgate::new(dir.path()).args(&[cmd]).run().parts();
        assert_eq!(code, 0, "{cmd}: {err}");
        assert!(
            out.contains("note: gate `monitoring-plan-defined` (A.6.2.6) is turned off by .aimsgate/config.yaml"),
            "{cmd}: {out}"
        );
    }

    // The statement: the control is a gap, and says why.
    let (code, md, _) = Aimsgate::new(dir.path()).args(&["controls"]).run().parts();
    assert_eq!(code, 0);
    let row = md.lines().find(|l| l.starts_with("| A.6.2.6 |")).unwrap();
    assert!(
        row.contains("`monitoring-plan-defined` (off)") && row.ends_with("| gap |"),
        "{row}"
    );
    assert!(
        md.contains("its gate `monitoring-plan-defined` is turned off by `.aimsgate/config.yaml`: batch scoring only; monitored under OPS\\-12"),
        "{md}"
    );
    let (_, csv, _) = Aimsgate::new(dir.path())
        .args(&["controls", "--format", "csv"])
        .run()
        .parts();
    assert!(
        csv.lines().any(|l| l.starts_with("A.6.2.6,")
            && l.ends_with(
                ",gap,monitoring-plan-defined off: batch scoring only; monitored under OPS-12"
            )),
        "{csv}"
    );
    let (_, json, _) = Aimsgate::new(dir.path())
        .args(&["controls", "--format", "json"])
        .run()
        .parts();
    let soa: Value = serde_json::from_str(&json).unwrap();
    let control = soa["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["control"] == "A.6.2.6")
        .unwrap();
    assert_eq!(control["status"], "gap");
    assert_eq!(control["relevelled"][0]["gate"], "monitoring-plan-defined");
    assert_eq!(control["relevelled"][0]["level"], "off");
    assert_eq!(control["gates"], serde_json::json!([]));
    // Without the configuration, the same control is covered.
    let (_, md, _) = Aimsgate::new(plain.path())
        .args(&["controls"])
        .run()
        .parts();
    let row = md.lines().find(|l| l.starts_with("| A.6.2.6 |")).unwrap();
    assert!(row.ends_with("| covered |"), "{row}");
}

#[test]
fn a_gate_is_never_turned_off_silently_or_by_a_typo() {
    for (config, line, message) in [
        (
            "gates:\n  monitoring-plan-defined: off\n",
            2,
            "gate `monitoring-plan-defined` is turned off without a reason",
        ),
        (
            "gates:\n  monitoring-plan: warning\n",
            2,
            "`monitoring-plan` is not a gate of the policy pack (embedded) (did you mean `monitoring-plan-defined`?)",
        ),
        (
            "gates:\n  owner-assigned: advisory\n",
            2,
            "a gate's level is `error`, `warning` or `off`",
        ),
        (
            "gates:\n  owner-assigned:\n    level: off\n    reason: \"\"\n",
            4,
            "a `reason` is one line of text",
        ),
        (
            "gates:\n  owner-assigned:\n    level: off\n    reason: \"two\\nlines\"\n",
            4,
            "a `reason` is one line of text",
        ),
        (
            "gates:\n  owner-assigned:\n    severity: off\n",
            3,
            "`severity` is not a setting of a gate",
        ),
        ("gates: [owner-assigned]\n", 1, "`gates` is a mapping"),
    ] {
        let dir = folder(Some(config));
        let (code, doc) = production(dir.path(), &[]);
        assert_eq!(code, 2, "{config}: {doc}");
        let e = &doc["errors"][0];
        assert!(
            e["message"].as_str().unwrap().contains(message),
            "{config}: {e}"
        );
        assert_eq!(e["path"], ".aimsgate/config.yaml", "{config}");
        assert_eq!(e["line"], line, "{config}: {e}");
        // `validate` and `controls` read the same configuration, and refuse it the same way.
        for cmd in ["validate", "controls"] {
            let (code, _, err) = Aimsgate::new(dir.path()).args(&[cmd]).run().parts();
            assert_eq!(code, 2, "{cmd} {config}");
            assert!(
                err.contains("config::value") && err.contains(".aimsgate/config.yaml"),
                "{cmd} {config}: {err}"
            );
        }
    }
}

#[test]
fn a_pull_request_cannot_turn_off_the_gate_that_judges_it() {
    let (dir, repo) = crate::common::repo();
    let card = std::fs::read(folder(None).path().join("models/m/model-card.yaml")).unwrap();
    crate::common::write(&repo, "models/m/model-card.yaml", &card);
    crate::common::commit(&repo, "A model", ("Jane Doe", "jane@acme.example"));
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    repo.branch("feature", &head, false).unwrap();
    repo.set_head("refs/heads/feature").unwrap();
    crate::common::write(&repo, ".aimsgate/config.yaml", OFF.as_bytes());
    crate::common::commit(
        &repo,
        "Turn the gate off",
        ("Omar Ali", "omar@acme.example"),
    );
    // Judged by the configuration of the protected ref, the gate still fires.
    let (code, doc) = production(dir.path(), &["--protected-ref", "main"]);
    assert_eq!(code, 1, "{doc}");
    assert!(
        findings(&doc).contains(&("monitoring-plan-defined".into(), "error".into())),
        "{doc}"
    );
    assert_eq!(doc["relevelled"], serde_json::json!([]));
    // And the change is a policy change: it needs a reviewer who did not write it.
    let (_, doc) = production(
        dir.path(),
        &["--protected-ref", "main", "--changed-since", "main"],
    );
    assert!(
        findings(&doc)
            .iter()
            .any(|(g, _)| g == "policy-change-reviewed"),
        "{doc}"
    );
}
