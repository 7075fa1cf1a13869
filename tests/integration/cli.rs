//! The real `aimsgate` binary, run in a clean environment: exit codes, the JSON contract, the
//! human output (snapshot), discovery, and failing closed on bad cards and bad policies.

use std::path::Path;

use serde_json::Value;

use crate::common;
use crate::common::{Aimsgate, Run, root};

/// Runs `aimsgate` in `cwd` with an environment free of CI and GitHub variables.
fn run_in(cwd: &Path, args: &[&str]) -> Run {
    Aimsgate::new(cwd).args(args).env("USER", "tester").run()
}

/// `aimsgate check --now 2026-11-20 --format json` in `cwd`.
fn check_json_in(cwd: &Path) -> Run {
    run_in(cwd, &["check", "--now", "2026-11-20", "--format", "json"])
}

fn run(args: &[&str]) -> Run {
    run_in(&root(), args)
}

const NOW: [&str; 2] = ["--now", "2026-11-20"];

/// Copies `from` into `to`, recursively.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("readable") {
        let path = entry.expect("an entry").path();
        let target = to.join(path.file_name().expect("a name"));
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}

/// The example repository copied out of this checkout, so that this repository's own git
/// state (its branch, a release tag on HEAD) never leaks into the example's verdicts.
fn example_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    copy_tree(
        &root().join("fixtures/example"),
        &dir.path().join("fixtures/example"),
    );
    dir
}

/// The README's set-up command, `aimsgate check fixtures/example --action deploy --env staging
/// --now 2026-11-20 …`, on a copy of the example.
fn example(extra: &[&str]) -> Run {
    let dir = example_dir();
    let mut args = vec![
        "check",
        "fixtures/example",
        "--action",
        "deploy",
        "--env",
        "staging",
    ];
    args.extend(NOW);
    args.extend(extra);
    run_in(dir.path(), &args)
}

/// A scratch directory holding `files` (path, content).
fn scratch(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    for (name, content) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, content).expect("write");
    }
    dir
}

fn example_card(name: &str) -> Vec<u8> {
    std::fs::read(root().join("fixtures/example/models").join(name)).expect("example card")
}

#[test]
fn the_readme_set_up_command_blocks_one_model_and_allows_two() {
    let r = example(&[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let decisions: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("allowed ") || l.starts_with("blocked "))
        .map(|l| l.split_whitespace().nth(1).unwrap_or(""))
        .collect();
    assert_eq!(
        decisions,
        ["churn-predictor", "fraud-detector", "sentiment-classifier"]
    );
    assert!(r.stdout.contains("blocked  fraud-detector"));
    assert!(r.stdout.contains("allowed  sentiment-classifier"));
}

#[test]
fn human_output_snapshot() {
    insta::assert_snapshot!(example(&[]).snapshot());
}

#[test]
fn json_contract() {
    let r = example(&["--format", "json"]);
    assert_eq!(r.code, 1);
    let doc = r.json();
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["decision"], "blocked");
    assert_eq!(doc["action"], "deploy");
    assert_eq!(doc["environment"], "staging");
    assert_eq!(doc["now"], "2026-11-20T00:00:00.000Z");
    assert_eq!(doc["policies"], "embedded");
    assert_eq!(doc["summary"]["models"], 3);
    assert_eq!(doc["summary"]["blocked"], 1);
    assert_eq!(doc["errors"], Value::Array(Vec::new()));
    let models = doc["models"].as_array().expect("models");
    let fraud = models
        .iter()
        .find(|m| m["id"] == "fraud-detector")
        .expect("fraud-detector");
    assert_eq!(
        fraud["path"],
        "fixtures/example/models/fraud-detector/README.md"
    );
    assert_eq!(fraud["decision"], "blocked");
    let findings = fraud["findings"].as_array().expect("findings");
    let gates: Vec<&str> = findings
        .iter()
        .map(|f| f["gate"].as_str().expect("gate"))
        .collect();
    assert_eq!(
        gates,
        [
            "bias-tests-passed",
            "privacy-assessment-present",
            "data-provenance-documented"
        ]
    );
    let bias = &findings[0];
    assert_eq!(bias["controls"], serde_json::json!(["A.6.2.4", "A.5.4"]));
    assert_eq!(bias["severity"], "error");
    assert_eq!(
        bias["location"],
        serde_json::json!({"path": "fixtures/example/models/fraud-detector/README.md", "line": 38, "column": 16})
    );
    assert!(bias["message"].as_str().expect("message").contains("0.14"));
    for key in ["title", "help"] {
        assert!(bias[key].as_str().is_some_and(|s| !s.is_empty()), "{key}");
    }
    assert_eq!(
        bias["policy"]["path"],
        "embedded:gates/bias-tests-passed.cedar"
    );
    let churn = models
        .iter()
        .find(|m| m["id"] == "churn-predictor")
        .expect("churn");
    assert_eq!(churn["decision"], "allowed");
    assert_eq!(churn["findings"][0]["severity"], "warning");
}

#[test]
fn exit_0_when_every_model_is_allowed() {
    let dir = example_dir();
    let r = run_in(
        dir.path(),
        &[
            "check",
            "fixtures/example/models/sentiment-classifier/model-card.yaml",
            "--action",
            "deploy",
            "--env",
            "staging",
            "--now",
            "2026-11-20",
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("allowed: 1 model checked for deploy to staging")
    );
}

#[test]
fn warnings_alone_never_block() {
    let dir = example_dir();
    let r = run_in(
        dir.path(),
        &[
            "check",
            "fixtures/example/models/churn-predictor/model-card.json",
            "--action",
            "deploy",
            "--env",
            "staging",
            "--now",
            "2026-11-20",
            "--format",
            "json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
    let findings = r.json()["models"][0]["findings"].clone();
    let gates: Vec<&str> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["gate"].as_str().unwrap())
        .collect();
    assert_eq!(
        gates,
        ["acceptance-criteria-defined", "performance-documented"]
    );
    assert!(
        findings
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["severity"] == "warning"),
        "{findings}"
    );
}

#[test]
fn production_gates_apply_only_to_production() {
    let mut args = vec!["check", "fixtures/example/models/fraud-detector/README.md"];
    args.extend(NOW);
    args.extend([
        "--action",
        "deploy",
        "--env",
        "production",
        "--format",
        "json",
    ]);
    let doc = run(&args).json();
    let gates: Vec<&str> = doc["models"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["gate"].as_str().expect("gate"))
        .collect();
    assert!(gates.contains(&"privacy-assessment-present"));
    let card = example_card("fraud-detector/README.md");
    let text = String::from_utf8(card).expect("utf-8");
    let stripped = text.replace(
        "  monitoring:\n    plan: \"Weekly drift and fairness report; page on PSI > 0.2\"\n",
        "  monitoring:\n",
    );
    let dir = scratch(&[("m/README.md", stripped.as_bytes())]);
    let prod = run_in(
        dir.path(),
        &[
            "check",
            "m/README.md",
            "--action",
            "deploy",
            "--env",
            "production",
            "--now",
            "2026-11-20",
            "--format",
            "json",
        ],
    );
    let staging = run_in(
        dir.path(),
        &[
            "check",
            "m/README.md",
            "--action",
            "deploy",
            "--env",
            "staging",
            "--now",
            "2026-11-20",
            "--format",
            "json",
        ],
    );
    let has = |r: &Run, gate: &str| {
        r.json()["models"][0]["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["gate"] == gate)
    };
    assert!(has(&prod, "monitoring-plan-defined"));
    assert!(!has(&staging, "monitoring-plan-defined"));
}

#[test]
fn exit_2_for_an_invalid_card_with_file_and_line_and_json_still_printed() {
    let dir = scratch(&[(
        "m/model-card.yaml",
        b"governance:\n  owner: \"@a\"\n  risk_tier: severe\n",
    )]);
    let r = run_in(dir.path(), &["check", "--now", "2026-11-20"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("m/model-card.yaml:3:14"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("`risk_tier` is `severe`, which is not one of"),
        "{}",
        r.stderr
    );
    let r = check_json_in(dir.path());
    assert_eq!(r.code, 2);
    let doc = r.json();
    assert_eq!(doc["decision"], "error");
    assert_eq!(doc["errors"][0]["path"], "m/model-card.yaml");
    assert_eq!(doc["errors"][0]["line"], 3);
}

#[test]
fn an_error_in_one_card_wins_over_a_blocked_one() {
    let dir = scratch(&[
        ("a/model-card.yaml", b"governance:\n  owner: \"@a\"\n"),
        ("b/model-card.yaml", b"governance:\n  approved_on: [\n"),
    ]);
    let r = check_json_in(dir.path());
    assert_eq!(r.code, 2);
    let doc = r.json();
    assert_eq!(doc["decision"], "error");
    assert_eq!(doc["models"][0]["decision"], "blocked");
}

#[test]
fn argument_errors_exit_2() {
    let r = run(&["check", "fixtures/example", "--action", "deploy"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("needs `--env ENV`"), "{}", r.stderr);
    let r = run(&[
        "check",
        "fixtures/example",
        "--now",
        "last tuesday",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 2);
    assert!(
        r.json()["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("is not a date")
    );
    let r = run(&["check", "--action", "ship"]);
    assert_eq!(r.code, 2);
    let r = run(&["check", "no/such/card.md"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no/such/card.md"), "{}", r.stderr);
}

#[test]
fn finding_no_card_is_an_error() {
    let dir = scratch(&[("docs/README.md", b"---\ntitle: docs\n---\n")]);
    let r = run_in(dir.path(), &["check"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("no model card found"), "{}", r.stderr);
}

#[test]
fn discovery_honours_gitignore_for_untracked_files_and_names_paths_from_the_repository_root() {
    let broken: &[u8] = b"governance: [unclosed\n";
    let dir = scratch(&[
        (".gitignore", b"build/\n"),
        ("build/copy/model-card.yaml", broken),
        (
            "models/ok/model-card.yaml",
            &example_card("sentiment-classifier/model-card.yaml"),
        ),
        ("models/ok/notes.md", b"# notes without front matter\n"),
        (
            "models/other/README.md",
            &example_card("fraud-detector/README.md"),
        ),
    ]);
    // A repository in which nothing is committed yet: every file is untracked, and git's
    // ignore rules leave the copy under build/ out.
    git2::Repository::init(dir.path()).expect("git init");
    let r = run_in(
        &dir.path().join("models"),
        &["check", "--now", "2026-11-20", "--format", "json"],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let doc = r.json();
    let paths: Vec<&str> = doc["models"]
        .as_array()
        .expect("models")
        .iter()
        .map(|m| m["path"].as_str().expect("path"))
        .collect();
    assert_eq!(
        paths,
        ["models/ok/model-card.yaml", "models/other/README.md"]
    );
}

#[test]
fn a_named_file_without_governance_is_a_card_that_fails_what_it_lacks() {
    let dir = example_dir();
    let r = run_in(
        dir.path(),
        &[
            "check",
            "fixtures/example/README.md",
            "--now",
            "2026-11-20",
            "--format",
            "json",
        ],
    );
    assert_eq!(r.code, 1);
    let doc = r.json();
    assert_eq!(doc["models"][0]["id"], "example");
    assert!(
        doc["models"][0]["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["gate"] == "owner-assigned" && f["message"] == "`governance` is missing")
    );
}

#[test]
fn duplicate_model_ids_are_an_error() {
    let card = example_card("sentiment-classifier/model-card.yaml");
    let dir = scratch(&[
        ("a/m/model-card.yaml", &card),
        ("b/m/model-card.yaml", &card),
    ]);
    let r = run_in(dir.path(), &["check", "--now", "2026-11-20"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("model id `m` is also the id of `a/m/model-card.yaml`"),
        "{}",
        r.stderr
    );
}

// ---- the policy pack ------------------------------------------------------------------------

/// A pack directory with the default schema and `policies` as its only `.cedar` file.
fn pack(policies: &str) -> tempfile::TempDir {
    let schema = std::fs::read(root().join("policies/aims.cedarschema")).expect("schema");
    scratch(&[
        ("aims.cedarschema", &schema),
        ("gates.cedar", policies.as_bytes()),
    ])
}

fn check_with(pack: &Path, args: &[&str]) -> Run {
    let dir = pack.to_string_lossy().into_owned();
    let mut all = vec![
        "check",
        "fixtures/example",
        "--now",
        "2026-11-20",
        "--policies",
        &dir,
    ];
    all.extend(args);
    run(&all)
}

const PERMIT: &str = "@id(\"baseline-permit\")\npermit (principal, action, resource);\n";

#[test]
fn a_policy_that_errors_at_evaluation_fails_closed() {
    // Validates, but overflows for any card with two or more metrics.
    let p = pack(&format!(
        "{PERMIT}@id(\"overflowing\")\n@field(\"model-index\")\nforbid (principal, action, resource)\nwhen {{ resource.performance_metric_count * 9223372036854775807 > 0 }};\n"
    ));
    let r = check_with(p.path(), &["--format", "json"]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    let doc = r.json();
    assert_eq!(doc["decision"], "error");
    let fraud = doc["models"]
        .as_array()
        .expect("models")
        .iter()
        .find(|m| m["id"] == "fraud-detector")
        .expect("fraud-detector");
    assert_eq!(fraud["decision"], "error");
    let message = doc["errors"][0]["message"].as_str().expect("message");
    assert!(
        message.contains("policy `overflowing` could not be evaluated"),
        "{message}"
    );
    assert!(
        doc["errors"][0]["path"]
            .as_str()
            .expect("path")
            .ends_with("README.md")
            || doc["errors"][0]["path"]
                .as_str()
                .expect("path")
                .ends_with("model-card.yaml")
    );
}

#[test]
fn a_pack_without_a_permit_is_refused() {
    let p = pack(
        "@id(\"a\")\n@field(\"governance.owner\")\nforbid (principal, action, resource)\nwhen { !(resource has owner) };\n",
    );
    let r = check_with(p.path(), &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no `permit` policy"), "{}", r.stderr);
}

#[test]
fn a_policy_that_does_not_validate_is_refused_with_its_line() {
    let p = pack(&format!(
        "{PERMIT}\n@id(\"typo\")\nforbid (principal, action, resource)\nwhen {{ resource.ownr == \"x\" }};\n"
    ));
    let r = check_with(p.path(), &["--format", "json"]);
    assert_eq!(r.code, 2);
    let doc = r.json();
    assert!(
        doc["errors"][0]["path"]
            .as_str()
            .expect("path")
            .ends_with("gates.cedar")
    );
    assert_eq!(doc["errors"][0]["line"], 6);
    assert!(
        doc["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("does not validate")
    );
}

#[test]
fn a_pack_whose_permit_does_not_apply_blocks_with_not_permitted() {
    let p = pack(
        "@id(\"deploys-only\")\npermit (principal, action == Aims::Action::\"deploy\", resource);\n",
    );
    let r = check_with(p.path(), &["--format", "json"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.json()["models"][0]["findings"][0]["gate"],
        "not-permitted"
    );
}

#[test]
fn a_missing_policy_directory_is_an_error() {
    let r = run(&["check", "fixtures/example", "--policies", "no/such/dir"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no/such/dir"), "{}", r.stderr);
}

// ---- bounded and hostile input --------------------------------------------------------------

fn check_one(files: &[(&str, &[u8])], card: &str) -> Run {
    let dir = scratch(files);
    run_in(
        dir.path(),
        &["check", card, "--now", "2026-11-20", "--format", "json"],
    )
}

fn first_error(r: &Run) -> String {
    assert_eq!(r.code, 2, "{}", r.stdout);
    r.json()["errors"][0]["message"]
        .as_str()
        .expect("message")
        .to_string()
}

#[test]
fn discovered_documents_that_cannot_be_cards_are_passed_over() {
    let mut huge_doc = b"# A long document\n".to_vec();
    huge_doc.resize(5 * 1024 * 1024, b'x');
    let mut huge_card = b"---\ngovernance:\n  owner: x\n---\n".to_vec();
    huge_card.resize(5 * 1024 * 1024, b'x');
    let ok = example_card("sentiment-classifier/model-card.yaml");
    let dir = scratch(&[
        ("docs/huge.md", &huge_doc),
        ("docs/latin1.md", b"# caf\xe9\n"),
        ("docs/binary.md", b"\0\x01\x02"),
        ("m/model-card.yaml", &ok),
    ]);
    let staging = [
        "check",
        "--action",
        "deploy",
        "--env",
        "staging",
        "--now",
        "2026-11-20",
    ];
    let r = run_in(dir.path(), &staging);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // A front matter that cannot be read may hide any key (`"go\x76ernance"`): an error.
    std::fs::write(
        dir.path().join("docs/latin1.md"),
        b"---\ntitle: caf\xe9\n---\n",
    )
    .expect("write");
    let r = run_in(dir.path(), &staging);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("docs/latin1.md"), "{}", r.stderr);
    std::fs::remove_file(dir.path().join("docs/latin1.md")).expect("remove");
    std::fs::write(dir.path().join("docs/card.md"), &huge_card).expect("write");
    let r = run_in(dir.path(), &["check", "--now", "2026-11-20"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("docs/card.md: the card is larger than 4 MiB"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_card_over_the_size_limit_is_refused() {
    let mut big = b"---\ngovernance:\n  owner: x\n---\n".to_vec();
    big.resize(5 * 1024 * 1024, b'a');
    let r = check_one(&[("m/README.md", &big)], "m/README.md");
    assert!(first_error(&r).contains("larger than 4 MiB"));
}

#[test]
fn an_alias_bomb_is_refused_quickly() {
    let mut bomb = String::from("---\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    let names = ["b", "c", "d", "e", "f", "g", "h", "i", "j"];
    let mut prev = "a";
    for n in names {
        bomb.push_str(&format!("{n}: &{n} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        prev = n;
    }
    bomb.push_str("governance:\n  owner: x\n---\n");
    let r = check_one(&[("m/README.md", bomb.as_bytes())], "m/README.md");
    assert!(first_error(&r).contains("more than 250000 nodes"));
}

#[test]
fn very_deep_nesting_is_refused() {
    let deep = format!(
        "governance: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let r = check_one(
        &[("m/model-card.yaml", deep.as_bytes())],
        "m/model-card.yaml",
    );
    first_error(&r);
    let block: String = (0..200)
        .map(|i| format!("{}a:\n", "  ".repeat(i)))
        .collect();
    let r = check_one(
        &[("m/model-card.yaml", block.as_bytes())],
        "m/model-card.yaml",
    );
    assert!(first_error(&r).contains("nests deeper than 64 levels"));
}

#[test]
fn invalid_utf8_and_nul_bytes_are_refused_with_their_line() {
    let r = check_one(
        &[("m/model-card.yaml", b"governance:\n  owner: \xff\xfe\n")],
        "m/model-card.yaml",
    );
    assert!(first_error(&r).contains("line 2: the card is not valid UTF-8"));
    let r = check_one(
        &[("m/model-card.yaml", b"governance:\n\n  owner: a\0b\n")],
        "m/model-card.yaml",
    );
    assert!(first_error(&r).contains("line 3: the card contains a NUL byte"));
}

#[test]
fn nan_never_passes_a_threshold() {
    let card = b"governance:\n  risk_tier: limited\n  bias_tests:\n    results:\n      - {metric: dpd, value: .nan, threshold: 0.1}\n";
    let r = check_one(&[("m/model-card.yaml", card)], "m/model-card.yaml");
    assert!(first_error(&r).contains("must be a finite number"));
}

#[test]
fn duplicate_governance_keys_are_ambiguous() {
    let card = b"governance:\n  owner: \"@a\"\ngovernance:\n  owner: \"@b\"\n";
    let r = check_one(&[("m/model-card.yaml", card)], "m/model-card.yaml");
    assert!(first_error(&r).contains("duplicate key `governance`"));
}

// ---- What a new user met first (each fails on the behaviour before its fix) -----------------

#[test]
fn the_release_gate_says_what_is_really_unknown() {
    // Outside a git repository: not "a detached HEAD".
    let dir = scratch(&[(
        "m/model-card.yaml",
        &example_card("sentiment-classifier/model-card.yaml"),
    )]);
    let r = check_json_in(dir.path());
    let message = r.json()["models"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["gate"] == "release-from-protected-ref")
        .map(|f| f["message"].to_string())
        .expect("the release gate fires");
    assert!(message.contains("not in a git repository"), "{message}");
    assert!(!message.contains("detached"), "{message}");
    // In a repository on `main` with no origin/HEAD and no event: the default branch is
    // unknown, and the message says how to set it.
    let (_d, repo) = common::repo();
    let work = repo.workdir().expect("a work tree").to_path_buf();
    common::write(
        &repo,
        "m/model-card.yaml",
        &example_card("sentiment-classifier/model-card.yaml"),
    );
    common::commit(&repo, "Model", ("A", "a@x"));
    let r = check_json_in(&work);
    let message = r.json()["models"][0]["findings"][0]["message"].to_string();
    assert!(
        message.contains("the release is from branch `main`, but the default branch is unknown"),
        "{message}"
    );
    assert!(
        message.contains("git remote set-head origin --auto"),
        "{message}"
    );
}

#[test]
fn a_version_mismatch_names_the_tags_version_too() {
    let (_d, repo) = common::repo();
    let work = repo.workdir().expect("a work tree").to_path_buf();
    common::write(
        &repo,
        "m/model-card.yaml",
        &example_card("sentiment-classifier/model-card.yaml"),
    );
    common::commit(&repo, "Model", ("A", "a@x"));
    let head = repo
        .head()
        .expect("HEAD")
        .peel_to_commit()
        .expect("a commit");
    repo.tag_lightweight("m/v1.5.0", head.as_object(), false)
        .expect("tag");
    let r = run_in(
        &work,
        &[
            "check",
            "--now",
            "2026-11-20",
            "--format",
            "json",
            "--default-branch",
            "main",
        ],
    );
    let finding = r.json()["models"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["gate"] == "version-matches-tag")
        .cloned()
        .expect("the version gate fires");
    let message = finding["message"].as_str().expect("a message");
    assert!(
        message.contains("`governance.version` is `1.4.0`"),
        "{message}"
    );
    assert!(
        message.contains("the release tag `m/v1.5.0` at HEAD gives version `1.5.0`"),
        "{message}"
    );
}

#[test]
fn log_filters_are_checked_and_the_actor_falls_back_to_gits_user() {
    let (_d, repo) = common::repo();
    let work = repo.workdir().expect("a work tree").to_path_buf();
    let r = run_in(&work, &["log", "--decision", "Blocked"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("allowed, blocked, error"), "{}", r.stderr);
    // No USER, no GITHUB_ACTOR: git's user.name and user.email name the actor.
    repo.config()
        .expect("config")
        .set_str("user.name", "Dana Dev")
        .expect("name");
    repo.config()
        .expect("config")
        .set_str("user.email", "dana@acme.example")
        .expect("email");
    common::write(
        &repo,
        "m/model-card.yaml",
        &example_card("sentiment-classifier/model-card.yaml"),
    );
    common::commit(&repo, "Model", ("A", "a@x"));
    let (_, _, err) = common::Aimsgate::new(&work)
        .args(&["check", "--now", "2026-11-20", "--record", "d.jsonl"])
        .envs(&[("HOME", work.to_str().expect("UTF-8"))])
        .run()
        .parts();
    let record = std::fs::read_to_string(work.join("d.jsonl")).unwrap_or_else(|_| panic!("{err}"));
    assert!(
        record.contains("\"actor\":\"Dana Dev <dana@acme.example>\""),
        "{record}"
    );
}

#[test]
fn a_pack_that_does_not_load_keeps_the_request_in_json() {
    let dir = scratch(&[(
        "m/model-card.yaml",
        &example_card("sentiment-classifier/model-card.yaml"),
    )]);
    let r = run_in(
        dir.path(),
        &[
            "check",
            "--now",
            "2026-11-20",
            "--format",
            "json",
            "--policies",
            "no/such/pack",
        ],
    );
    assert_eq!(r.code, 2);
    let doc = r.json();
    assert_eq!(doc["now"], "2026-11-20T00:00:00.000Z");
    assert_eq!(doc["policies"], "no/such/pack");
}

#[test]
fn the_set_up_names_every_tool_the_tests_run() {
    let readme = std::fs::read_to_string(common::root().join("README.md")).expect("README");
    let setup = &readme[readme.find("## Set-up").expect("a Set-up section")..];
    let setup = &setup[..setup.find("\n## ").expect("its end")];
    for tool in ["rustup", "git", "jq", "cvc5"] {
        assert!(setup.contains(tool), "Set-up does not name `{tool}`");
    }
    let ci = std::fs::read_to_string(common::root().join(".ci/run")).expect(".ci/run");
    for tool in ["git", "jq", "cvc5"] {
        assert!(ci.contains(tool), ".ci/run does not install `{tool}`");
    }
}

#[test]
fn every_error_carries_its_stable_code_in_human_and_json_output() {
    let dir = scratch(&[
        (
            "a/README.md",
            b"---\ngovernance:\n  ownr: \"@acme/ml\"\n---\n",
        ),
        ("b/README.md", b"---\ngovernance:\n  owner: [x]\n---\n"),
    ]);
    let json = check_json_in(dir.path());
    assert_eq!(json.code, 2, "{}", json.stdout);
    let codes: Vec<(String, String)> = json.json()["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap_or_default().to_string(),
                e["code"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            ("a/README.md".to_string(), "card::key".to_string()),
            ("b/README.md".to_string(), "card::value".to_string()),
        ]
    );
    let all = run_in(dir.path(), &["check"]);
    assert!(
        all.stdout
            .contains("0 allowed, 0 blocked, 2 files could not be read"),
        "the summary counts the cards it could not read: {}",
        all.stdout
    );
    let human = run_in(dir.path(), &["check", "a"]);
    assert_eq!(human.code, 2);
    assert!(
        human.stderr.starts_with("card::key\n"),
        "the code heads the error: {}",
        human.stderr
    );
    let args = run(&["check", "--action", "deploy"]);
    assert_eq!(args.code, 2);
    assert!(args.stderr.contains("argument::value"), "{}", args.stderr);
}

#[test]
fn explain_suggests_the_one_gate_a_slip_away() {
    let r = run(&["explain", "bias-tests-pased"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("did you mean bias-tests-passed?"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains(" or "), "only the closest: {}", r.stderr);
}

#[test]
fn the_log_marks_findings_that_only_warn() {
    let dir = example_dir();
    let mut args = vec![
        "check",
        "fixtures/example",
        "--action",
        "deploy",
        "--env",
        "staging",
        "--record",
        "d.jsonl",
    ];
    args.extend(NOW);
    assert_eq!(run_in(dir.path(), &args).code, 1);
    let log = run_in(dir.path(), &["log", "--record", "d.jsonl"]);
    assert_eq!(log.code, 0, "{}", log.stderr);
    let churn = log
        .stdout
        .lines()
        .find(|l| l.contains("churn-predictor"))
        .unwrap_or_else(|| panic!("{}", log.stdout));
    assert!(churn.contains(" (warning)"), "{churn}");
    let fraud = log
        .stdout
        .lines()
        .find(|l| l.contains("fraud-detector"))
        .unwrap_or_else(|| panic!("{}", log.stdout));
    assert!(
        !fraud.contains("(warning)"),
        "errors are not marked: {fraud}"
    );
}

/// The library names settings; the binary spells them as its flags, so a message tells the
/// reader exactly what to type.
#[test]
fn messages_name_settings_by_their_flags() {
    let (dir, repo) = common::repo();
    let card = std::fs::read(root().join("fixtures/cards/owner-assigned/pass.md")).unwrap();
    common::write(&repo, "models/a/model-card.md", &card);
    common::commit(&repo, "a model", ("Ada", "ada@example.com"));

    let base = Aimsgate::check(dir.path())
        .args(&["--changed-since", "no-such-base"])
        .run();
    assert_eq!(base.code, 2, "{}", base.output());
    assert!(
        base.stderr.contains("--changed-since no-such-base: "),
        "{}",
        base.stderr
    );

    let protected = Aimsgate::check(dir.path())
        .args(&["--protected-ref", "refs/heads/no-such"])
        .run();
    assert_eq!(protected.code, 2, "{}", protected.output());
    assert!(
        protected
            .stderr
            .contains("--protected-ref refs/heads/no-such: "),
        "{}",
        protected.stderr
    );

    let doc = Aimsgate::check(dir.path()).json().run().json();
    let reviews = doc["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "reviews")
        .unwrap();
    assert!(
        reviews["detail"]
            .as_str()
            .unwrap()
            .contains("pass --github-token"),
        "{reviews}"
    );
}
