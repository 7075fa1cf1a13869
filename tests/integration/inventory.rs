//! `aimsgate inventory`: one row per model with what its card says and its latest recorded
//! decision, in Markdown, CSV and JSON; model files no card covers listed as ungoverned (as
//! files and as Git LFS pointers, and not when under a card's folder); cards that cannot be
//! read listed as errors, never dropped.

use std::path::Path;

use crate::common::{self, Aimsgate, root};

fn sample_card() -> String {
    std::fs::read_to_string(
        root().join("fixtures/example/models/sentiment-classifier/model-card.yaml"),
    )
    .unwrap()
}

/// Two models (one with a hostile intended use), their covered weights, ungoverned model
/// files, a file that is no model, and a card that cannot be read.
fn repository(broken: bool) -> tempfile::TempDir {
    let (dir, repo) = common::repo();
    let card = sample_card();
    common::write(&repo, "models/support/model-card.yaml", card.as_bytes());
    common::write(&repo, "models/support/model.onnx", b"onnx bytes");
    let hostile = card.replace("sentiment-classifier", "hostile").replace(
        "intended_use: \"Route incoming support tickets by tone to the right queue\"",
        "intended_use: \"=HYPERLINK(\\\"https://evil.example\\\") | [x](https://evil.example)\"",
    );
    assert!(
        hostile.contains("HYPERLINK"),
        "the sample card changed: {hostile}"
    );
    common::write(&repo, "models/hostile/model-card.yaml", hostile.as_bytes());
    common::write(
        &repo,
        "weights/orphan.safetensors",
        format!(
            "version https://git-lfs.github.com/spec/v1\noid sha256:{}\nsize 10\n",
            "a".repeat(64)
        )
        .as_bytes(),
    );
    common::write(&repo, "exported/pytorch_model.bin", b"weights");
    common::write(&repo, "exported/config.json", b"{}");
    common::write(
        &repo,
        "data/blob.bin",
        b"not a model: no config.json beside it",
    );
    if broken {
        common::write(
            &repo,
            "models/broken/model-card.yaml",
            b"governance: [unclosed\n",
        );
    }
    common::commit(&repo, "models", ("Ada", "ada@example.com"));
    dir
}

fn inventory(dir: &Path, args: &[&str]) -> common::Run {
    Aimsgate::new(dir).args(&["inventory"]).args(args).run()
}

#[test]
fn the_json_register_has_a_row_per_model_and_the_ungoverned_files() {
    let dir = repository(false);
    let record = Aimsgate::check(dir.path())
        .staging()
        .args(&["--record", "records.jsonl"])
        .run();
    assert_eq!(record.code, 0, "{}", record.output());
    // The decision record names the model files no card covered.
    let line = std::fs::read_to_string(dir.path().join("records.jsonl")).unwrap();
    let recorded: serde_json::Value = serde_json::from_str(line.trim_end()).unwrap();
    assert_eq!(
        recorded["ungoverned"],
        serde_json::json!(["exported/pytorch_model.bin", "weights/orphan.safetensors"])
    );
    let run = inventory(
        dir.path(),
        &["--format", "json", "--record", "records.jsonl"],
    );
    assert_eq!(run.code, 0, "{}", run.output());
    let doc = run.json();
    let models = doc["models"].as_array().unwrap();
    let ids: Vec<&str> = models.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["hostile", "support"]);
    let support = &models[1];
    assert_eq!(support["card"], "models/support/model-card.yaml");
    assert_eq!(support["owner"], "@acme/support-ml");
    assert_eq!(support["risk_tier"], "limited");
    assert_eq!(support["impact_assessment"], "approved");
    assert_eq!(support["impact_assessment_reference"], "IA-2026-021");
    assert_eq!(support["impact_assessment_approved_on"], "2026-09-15");
    assert_eq!(support["bias_tests_model_version"], "1.4.0");
    assert_eq!(support["monitoring_owner"], "@acme/support-ml");
    assert_eq!(support["incident_contact"], "support-ml@acme.example");
    assert_eq!(support["last_decision"], "allowed");
    assert_eq!(support["last_action"], "deploy");
    assert_eq!(support["last_environment"], "staging");
    assert!(
        support["last_decision_at"]
            .as_str()
            .unwrap()
            .starts_with("20")
    );
    assert_eq!(
        doc["ungoverned"],
        serde_json::json!([
            { "path": "exported/pytorch_model.bin", "kind": "weights", "lfs": false },
            { "path": "weights/orphan.safetensors", "kind": "safetensors", "lfs": true },
        ])
    );
    assert_eq!(doc["errors"], serde_json::json!([]));
    assert_eq!(doc["commit"].as_str().unwrap().len(), 40);
    assert!(doc["generated_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(support["version"], "1.4.0");
}

/// Named card files: no folder was asked about, so no model file is judged ungoverned (the
/// weights of a model not named are not a gap).
#[test]
fn named_cards_look_at_no_folder_for_model_files() {
    let dir = repository(false);
    let doc = inventory(
        dir.path(),
        &["--format", "json", "models/support/model-card.yaml"],
    )
    .json();
    assert_eq!(doc["ungoverned"], serde_json::json!([]), "{doc}");
    assert_eq!(doc["models"].as_array().unwrap().len(), 1);
}

#[test]
fn the_csv_register_is_one_row_per_model_and_never_a_formula() {
    let dir = repository(false);
    let run = inventory(dir.path(), &["--format", "csv"]);
    assert_eq!(run.code, 0, "{}", run.output());
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    assert!(
        lines[0].starts_with("id,card,version,owner,risk_tier,intended_use,"),
        "{}",
        lines[0]
    );
    // A cell a spreadsheet would evaluate starts with a quote mark; quotes are doubled.
    assert!(
        lines[1].contains("\"'=HYPERLINK(\"\"https://evil.example\"\")"),
        "{}",
        lines[1]
    );
    assert!(lines[2].contains(",'@acme/support-ml,"), "{}", lines[2]);
}

#[test]
fn the_markdown_register_escapes_card_text_and_lists_what_no_card_covers() {
    let dir = repository(false);
    let run = inventory(dir.path(), &[]);
    assert_eq!(run.code, 0, "{}", run.output());
    let md = &run.stdout;
    assert!(md.starts_with("# AI system inventory"), "{md}");
    let head = git2::Repository::open(dir.path())
        .unwrap()
        .head()
        .unwrap()
        .target()
        .unwrap()
        .to_string();
    assert!(md.contains(&format!(" from commit {head}.")), "{md}");
    assert!(
        md.contains("2 models; 2 model files no card covers"),
        "{md}"
    );
    let hostile = md.lines().find(|l| l.starts_with("| hostile |")).unwrap();
    // Same number of cells as the header: the `|` in the text does not split the row.
    let header = md.lines().find(|l| l.starts_with("| model |")).unwrap();
    assert_eq!(
        hostile.matches(" | ").count(),
        header.matches(" | ").count(),
        "{hostile}"
    );
    assert!(!hostile.contains("[x](https"), "no link is made: {hostile}");
    assert!(
        md.contains("- weights/orphan\\.safetensors (safetensors, Git LFS)"),
        "{md}"
    );
    assert!(
        md.contains("- exported/pytorch\\_model\\.bin (weights)"),
        "{md}"
    );
    assert!(
        !md.contains("model.onnx"),
        "covered by its card's folder: {md}"
    );
    assert!(!md.contains("blob.bin"), "not a model file: {md}");
}

#[test]
fn a_card_that_cannot_be_read_is_listed_as_an_error_and_the_run_fails() {
    let dir = repository(true);
    for format in ["json", "markdown", "csv"] {
        let run = inventory(dir.path(), &["--format", format]);
        assert_eq!(run.code, 2, "{format}: {}", run.output());
        assert!(
            run.stderr.contains("models/broken/model-card.yaml"),
            "{}",
            run.stderr
        );
        if format == "json" {
            let doc = run.json();
            assert_eq!(doc["errors"][0]["path"], "models/broken/model-card.yaml");
            assert_eq!(doc["errors"][0]["code"], "yaml::syntax");
            assert_eq!(
                doc["models"].as_array().unwrap().len(),
                2,
                "the others are listed"
            );
        }
        if format == "markdown" {
            assert!(
                run.stdout.contains("## What could not be read"),
                "{}",
                run.stdout
            );
        }
    }
}

/// `check` reports each model file no card covers as `ungoverned-artifact`: a warning by
/// default, blocking when the configuration says `ungoverned_artifacts: error`.
#[test]
fn check_reports_ungoverned_model_files_in_every_format() {
    let dir = repository(false);
    let run = Aimsgate::check(dir.path()).staging().json().run();
    assert_eq!(run.code, 0, "warnings do not block: {}", run.output());
    let doc = run.json();
    let found: Vec<(&str, &str)> = doc["ungoverned"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert_eq!(f["gate"], "ungoverned-artifact");
            (
                f["location"]["path"].as_str().unwrap(),
                f["severity"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("exported/pytorch_model.bin", "warning"),
            ("weights/orphan.safetensors", "warning")
        ]
    );
    let human = Aimsgate::check(dir.path()).staging().run();
    assert!(
        human.stdout.contains("warning: weights/orphan.safetensors: ungoverned-artifact [A.4.2]: `weights/orphan.safetensors` is a model file (safetensors, a Git LFS pointer) that no model card covers"),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains("2 model files no card covers"),
        "{}",
        human.stdout
    );
    let sarif = Aimsgate::check(dir.path())
        .staging()
        .args(&["--format", "sarif"])
        .run()
        .json();
    let errors: Vec<String> = crate::outputs::sarif_schema()
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(
        results
            .iter()
            .any(|r| r["ruleId"] == "ungoverned-artifact" && r["level"] == "warning"),
        "{sarif}"
    );
    let github = Aimsgate::check(dir.path())
        .staging()
        .args(&["--format", "github"])
        .run();
    assert!(
        github
            .stdout
            .lines()
            .any(|l| l.starts_with("::warning file=exported/pytorch_model.bin,")),
        "{}",
        github.stdout
    );
    let junit = Aimsgate::check(dir.path())
        .staging()
        .args(&["--format", "junit"])
        .run();
    assert!(
        junit
            .stdout
            .contains(r#"<testsuite name="ungoverned model files" tests="2" failures="0""#),
        "{}",
        junit.stdout
    );
    let markdown = Aimsgate::check(dir.path())
        .staging()
        .args(&["--format", "markdown"])
        .run();
    assert!(
        markdown.stdout.contains("### Model files no card covers"),
        "{}",
        markdown.stdout
    );

    // Named card files: no folder was asked about.
    let named = Aimsgate::check(dir.path())
        .staging()
        .json()
        .args(&["models/support/model-card.yaml"])
        .run();
    assert_eq!(named.json()["ungoverned"], serde_json::json!([]));

    // The configuration makes them block.
    std::fs::create_dir_all(dir.path().join(".aimsgate")).unwrap();
    std::fs::write(
        dir.path().join(".aimsgate/config.yaml"),
        "ungoverned_artifacts: error\n",
    )
    .unwrap();
    let run = Aimsgate::check(dir.path()).staging().json().run();
    assert_eq!(run.code, 1, "{}", run.output());
    let doc = run.json();
    assert_eq!(doc["decision"], "blocked");
    assert_eq!(doc["ungoverned"][0]["severity"], "error");
    std::fs::write(
        dir.path().join(".aimsgate/config.yaml"),
        "ungoverned_artifacts: never\n",
    )
    .unwrap();
    let run = Aimsgate::check(dir.path()).staging().run();
    assert_eq!(run.code, 2, "{}", run.output());
    assert!(
        run.stderr
            .contains("`ungoverned_artifacts` is `warning` or `error`"),
        "{}",
        run.stderr
    );
}

#[test]
fn under_changed_since_only_the_model_files_the_change_touched_are_reported() {
    let dir = repository(false);
    let repo = git2::Repository::open(dir.path()).unwrap();
    repo.branch(
        "base",
        &repo.head().unwrap().peel_to_commit().unwrap(),
        false,
    )
    .unwrap();
    common::write(&repo, "new/model.gguf", b"gguf");
    common::commit(&repo, "a new model file", ("Ada", "ada@example.com"));
    let run = Aimsgate::check(dir.path())
        .staging()
        .json()
        .args(&["--changed-since", "base"])
        .run();
    let doc = run.json();
    let paths: Vec<&str> = doc["ungoverned"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["new/model.gguf"], "{doc}");
}

/// A model file's name cannot add lines, headings or links to the Markdown register.
#[test]
fn a_model_files_name_cannot_write_markdown_of_its_own() {
    let (dir, repo) = common::repo();
    common::write(
        &repo,
        "models/support/model-card.yaml",
        sample_card().as_bytes(),
    );
    common::write(
        &repo,
        "w/x\n# Approved by the board [ok](https://evil.example)\u{202E}.onnx",
        b"onnx",
    );
    common::commit(&repo, "models", ("Ada", "ada@example.com"));
    let run = inventory(dir.path(), &[]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(
        !run.stdout.lines().any(|l| l.starts_with("# Approved")),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("](https"), "{}", run.stdout);
    assert!(!run.stdout.contains('\u{202E}'), "{}", run.stdout);
    assert!(run.stdout.contains("[U+202E\\]"), "{}", run.stdout);
}
