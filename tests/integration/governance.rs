//! The compliance owner's commands: `explain` for every gate, and `controls`, the Statement of
//! Applicability over all 38 Annex A controls with the organisation's decisions and the gaps.

use std::path::Path;

use aimsgate::pack::Pack;

use crate::common;

fn aimsgate(dir: &Path, args: &[&str]) -> (i32, String, String) {
    common::Aimsgate::new(dir)
        .args(args)
        .envs(&[("NO_COLOR", "1")])
        .run()
        .parts()
}

#[test]
fn every_gate_explains_itself() {
    let dir = tempfile::tempdir().unwrap();
    let pack = Pack::embedded().unwrap();
    for gate in &pack.gates {
        let (code, out, _) = aimsgate(dir.path(), &["explain", &gate.id]);
        assert_eq!(code, 0, "{}", gate.id);
        assert!(
            out.starts_with(&format!("{} — {}", gate.id, gate.title)),
            "{out}"
        );
        assert!(out.contains(gate.help.as_deref().unwrap()), "{out}");
        assert!(out.contains("forbid (principal"), "{out}");
        assert!(
            !out.contains("  @id("),
            "annotations are not repeated: {out}"
        );
        assert!(out.contains("that passes:"), "{out}");
    }
    let (_, out, _) = aimsgate(dir.path(), &["explain", "owner-assigned"]);
    assert!(
        out.contains("A.3.2  AI roles and responsibilities"),
        "{out}"
    );
}

#[test]
fn an_unknown_gate_is_exit_2_with_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = aimsgate(dir.path(), &["explain", "owner-asigned"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no gate `owner-asigned`") && err.contains("did you mean owner-assigned?"),
        "{err}"
    );
}

#[test]
fn the_statement_lists_exactly_the_38_controls_and_the_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let (code, md, _) = aimsgate(dir.path(), &["controls"]);
    assert_eq!(code, 0);
    let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| A.")).collect();
    assert_eq!(rows.len(), 38);
    assert!(rows.iter().any(|r| r.starts_with("| A.5.2 |")
        && r.contains("`impact-assessment-approved`")
        && r.ends_with("| covered |")));
    assert!(
        rows.iter()
            .any(|r| r.starts_with("| A.10.4 |") && r.ends_with("| gap |"))
    );
    assert!(
        md.contains("## Gaps") && md.contains("- A.10.4 Customers"),
        "{md}"
    );

    let (_, csv, _) = aimsgate(dir.path(), &["controls", "--format", "csv"]);
    assert_eq!(csv.lines().count(), 39);
    assert_eq!(
        csv.lines().next().unwrap(),
        "control,title,applicable,gates,justification,status,relevelled"
    );
    let (_, json, _) = aimsgate(dir.path(), &["controls", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["controls"].as_array().unwrap().len(), 38);
    let (code, _, _) = aimsgate(dir.path(), &["controls", "--fail-on-gaps"]);
    assert_eq!(code, 1);
}

#[test]
fn the_organisations_decisions_close_gaps_and_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".aimsgate")).unwrap();
    let soa = dir.path().join(".aimsgate/soa.yaml");
    std::fs::write(
        &soa,
        "controls:\n  A.10.4:\n    applicable: false\n    justification: \"No third-party AI suppliers, \\\"none\\\" planned\"\n  A.2.2:\n    applicable: true\n    justification: AI policy POL-7, approved 2026-03-01\n",
    )
    .unwrap();
    let (_, md, _) = aimsgate(dir.path(), &["controls"]);
    assert!(
        md.lines()
            .any(|l| l.starts_with("| A.10.4 |") && l.ends_with("| excluded |")),
        "{md}"
    );
    assert!(
        md.lines()
            .any(|l| l.starts_with("| A.2.2 |") && l.ends_with("| justified |")),
        "{md}"
    );
    let (_, csv, _) = aimsgate(dir.path(), &["controls", "--format", "csv"]);
    assert!(
        csv.contains(
            "A.10.4,Customers,false,,\"No third-party AI suppliers, \"\"none\"\" planned\",excluded"
        ),
        "{csv}"
    );

    std::fs::write(&soa, "controls:\n  A.2.2:\n    applicable: true\n  A.11.1:\n    applicable: false\n    justification: x\n").unwrap();
    let (code, _, err) = aimsgate(dir.path(), &["controls"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("`A.2.2` needs a `justification`") && err.contains("soa.yaml:2"),
        "{err}"
    );
    assert!(
        err.contains("`A.11.1` is not an ISO/IEC 42001 Annex A control"),
        "{err}"
    );
}

#[test]
fn validate_passes_the_default_pack_and_points_at_a_typo() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, _) = aimsgate(dir.path(), &["validate", "--deny-warnings"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("35 policies (34 gates, 1 permit) validate"),
        "{out}"
    );

    let typo = common::pack_with("owner-assigned", |t| {
        t.replace("!(resource has owner)", "resource.ownr == \"\"")
    });
    let (code, _, err) = aimsgate(typo.path(), &["validate", "--policies", "."]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("does not validate against the schema"),
        "{err}"
    );
    assert!(
        err.contains("gates/owner-assigned.cedar:10:8"),
        "the span points at the typo: {err}"
    );
    assert!(err.contains("resource.ownr"), "{err}");

    // `has` on an attribute the schema does not declare validates (Cedar types it as always
    // false): the gate became a blanket deny. It is a warning, at the test.
    let blanket = common::pack_with("owner-assigned", |t| {
        t.replace("!(resource has owner)", "!(resource has ownr)")
    });
    let (code, out, _) = aimsgate(blanket.path(), &["validate", "--policies", "."]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("`resource has ownr` names an attribute the schema does not declare"),
        "{out}"
    );
    assert!(out.contains("gates/owner-assigned.cedar:10:"), "{out}");
    let (code, _, _) = aimsgate(
        blanket.path(),
        &["validate", "--policies", ".", "--deny-warnings"],
    );
    assert_eq!(code, 1);
}

#[test]
fn validate_warns_about_weak_annotations_and_deny_warnings_fails() {
    let weak = common::pack_with("owner-assigned", |t| {
        t.replace("@control(\"A.3.2\")", "@control(\"A.3.2, A.99\")")
            .lines()
            .filter(|l| !l.starts_with("@help("))
            .collect::<Vec<_>>()
            .join("\n")
    });
    let (code, out, _) = aimsgate(weak.path(), &["validate", "--policies", "."]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("`A.99` is not an ISO/IEC 42001:2023 Annex A control"),
        "{out}"
    );
    assert!(out.contains("gates/owner-assigned.cedar:2:1"), "{out}");
    assert!(out.contains("gate `owner-assigned` has no @help"), "{out}");
    assert!(out.contains("; 2 warnings"), "{out}");
    let (code, _, _) = aimsgate(
        weak.path(),
        &["validate", "--policies", ".", "--deny-warnings"],
    );
    assert_eq!(code, 1);
}

#[test]
fn the_default_packs_own_suite_passes() {
    let (code, out, err) = aimsgate(&common::root(), &["test"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("policy tests: 43 passed, 0 failed"), "{out}");
}

#[test]
fn a_failing_policy_test_shows_its_difference() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("wrong.yaml"),
        "cases:\n  - name: expects the wrong thing\n    now: 2026-11-20\n    card:\n      governance: {owner: \"@a\", risk_tier: minimal, intended_use: x, data: {sources: [{name: a, provenance: b, personal_data: false}]}}\n    expect: {decision: allowed, gates: [human-oversight-defined]}\n",
    )
    .unwrap();
    let (code, out, _) = aimsgate(dir.path(), &["test", "wrong.yaml"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL  wrong.yaml:2  expects the wrong thing"),
        "{out}"
    );
    assert!(
        out.contains("decision: expected allowed, got blocked"),
        "{out}"
    );
    assert!(
        out.contains("expected but did not fire: human-oversight-defined"),
        "{out}"
    );
    assert!(
        out.contains("fired but not expected: acceptance-criteria-defined, compute-documented, data-acquisition-documented, data-preparation-documented, data-quality-checked, data-sources-listed, design-documented, evaluation-documented, license-recorded, limitations-documented, performance-documented, release-from-protected-ref, usage-documented"),
        "{out}"
    );
    assert!(out.contains("0 passed, 1 failed"), "{out}");

    std::fs::write(
        dir.path().join("wrong.yaml"),
        "cases:\n  - name: no expectation\n    card: {}\n",
    )
    .unwrap();
    let (code, _, err) = aimsgate(dir.path(), &["test", "wrong.yaml"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("has no `expect`") && err.contains("wrong.yaml:2"),
        "{err}"
    );
}

#[test]
fn init_adds_governance_and_keeps_every_other_byte() {
    let dir = tempfile::tempdir().unwrap();
    let original = "\u{feff}---\r\nlicense: mit\r\ntags: [nlp]\r\n---\r\n\r\n# Model\r\n\r\nBody with `code` and ünïcödé.\r\n";
    std::fs::write(dir.path().join("README.md"), original).unwrap();
    let (code, out, err) = aimsgate(dir.path(), &["init", "README.md"]);
    assert_eq!(code, 0, "{out}{err}");
    let updated = std::fs::read_to_string(dir.path().join("README.md")).unwrap();
    // A Markdown card's documentation is its body: the block does not ask for it.
    let block: String = aimsgate::init::GOVERNANCE
        .iter()
        .map(|l| format!("{l}\r\n"))
        .collect();
    assert!(!block.contains("documentation:"), "{block}");
    let at = original.find("---\r\n\r\n# Model").unwrap();
    assert_eq!(
        updated,
        format!("{}{block}{}", &original[..at], &original[at..])
    );
    // Blank on purpose: the template fails the gates until it is filled in.
    let (code, out, _) = aimsgate(
        dir.path(),
        &[
            "check",
            "README.md",
            "--now",
            "2026-11-20",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("owner-assigned") && out.contains("intended-use-documented"));
    // Running it again refuses: the card already has a block; and the workflow is not overwritten.
    let (code, _, err) = aimsgate(dir.path(), &["init", "README.md", "--no-workflow"]);
    assert_eq!(code, 2);
    assert!(err.contains("already has a governance block"), "{err}");
    // A second model: the workflow, which serves every model, is kept as it is.
    std::fs::create_dir_all(dir.path().join("second")).unwrap();
    std::fs::write(dir.path().join("second/README.md"), "# Second\n").unwrap();
    std::fs::write(dir.path().join(".github/workflows/aimsgate.yml"), "mine\n").unwrap();
    let (code, out, err) = aimsgate(dir.path(), &["init", "second/README.md"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(".github/workflows/aimsgate.yml: exists, kept"),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".github/workflows/aimsgate.yml")).unwrap(),
        "mine\n"
    );
    assert!(
        std::fs::read_to_string(dir.path().join("second/README.md"))
            .unwrap()
            .contains("governance:")
    );
}

#[test]
fn init_policies_writes_a_pack_and_the_configuration_every_subcommand_follows() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = aimsgate(dir.path(), &["init", "--policies"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        !dir.path().join("model-card.yaml").exists(),
        "only the pack was asked for: no card is written"
    );
    assert!(dir.path().join(".github/workflows/aimsgate.yml").exists());
    assert!(
        dir.path()
            .join("policies/gates/owner-assigned.cedar")
            .exists()
    );
    assert!(dir.path().join("policies/tests/gates.yaml").exists());
    assert!(
        std::fs::read_to_string(dir.path().join(".aimsgate/config.yaml"))
            .unwrap()
            .contains("policies: policies")
    );
    // No flag needed: the configuration names the pack.
    let (code, out, _) = aimsgate(dir.path(), &["validate", "--deny-warnings"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with("policies: "),
        "the repository's pack: {out}"
    );
    let (code, out, _) = aimsgate(dir.path(), &["test"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("43 passed, 0 failed"), "{out}");
    // A gate of the repository's own is found by explain, and judges check.
    let gate = readme_block("### Adding a gate of your own", "cedar");
    std::fs::write(
        dir.path().join("policies/gates/version-declared.cedar"),
        gate,
    )
    .unwrap();
    let (code, out, err) = aimsgate(dir.path(), &["explain", "version-declared"]);
    assert_eq!(code, 0, "{out}{err}");
    std::fs::write(
        dir.path().join("model-card.yaml"),
        "governance:\n  owner: \"@acme/ml\"\n",
    )
    .unwrap();
    let (_, out, _) = aimsgate(
        dir.path(),
        &["check", "--now", "2026-11-20", "--format", "json"],
    );
    assert!(out.contains("\"version-declared\""), "{out}");

    let (code, _, err) = aimsgate(
        dir.path(),
        &["init", "--policies", "--no-workflow", "--force"],
    );
    assert_eq!(code, 0, "--force overwrites: {err}");
    let (code, _, err) = aimsgate(dir.path(), &["init", "--policies", "--no-workflow"]);
    assert_eq!(code, 2);
    assert!(err.contains("init::exists"), "{err}");
    assert!(
        err.contains("policies/baseline.cedar exists") && err.contains("pass --force"),
        "a path relative to where init runs, and the flag that overwrites: {err}"
    );
}

#[test]
fn init_checks_every_target_before_writing_any() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".aimsgate")).unwrap();
    std::fs::write(dir.path().join(".aimsgate/config.yaml"), "mine\n").unwrap();
    std::fs::create_dir_all(dir.path().join("models")).unwrap();
    std::fs::write(dir.path().join("models/z.md"), "# Z\n").unwrap();
    let (code, _, err) = aimsgate(dir.path(), &["init", "models/z.md", "--policies"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(".aimsgate/config.yaml exists"), "{err}");
    assert!(err.contains("pass --force"), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("models/z.md")).unwrap(),
        "# Z\n",
        "the card is untouched"
    );
    assert!(!dir.path().join("policies").exists());
    assert!(!dir.path().join(".github").exists());
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".aimsgate/config.yaml")).unwrap(),
        "mine\n"
    );
}

/// The fenced block of `lang` after `after` in the README, unindented.
fn readme_block(after: &str, lang: &str) -> String {
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    let from = readme
        .find(after)
        .unwrap_or_else(|| panic!("README lacks `{after}`"));
    let rest = &readme[from..];
    let open = format!("```{lang}\n");
    let start = rest.find(&open).unwrap() + open.len();
    let end = start + rest[start..].find("```").unwrap();
    rest[start..end]
        .lines()
        .map(|l| l.strip_prefix("   ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_readmes_custom_gate_walkthrough_works() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = aimsgate(dir.path(), &["init", "--policies", "--no-workflow"]);
    assert_eq!(code, 0, "{err}");
    let gate = readme_block("### Adding a gate of your own", "cedar");
    assert!(gate.contains("@id(\"version-declared\")"));
    std::fs::write(
        dir.path().join("policies/gates/version-declared.cedar"),
        gate,
    )
    .unwrap();
    let cases = readme_block("3. Test it in `policies/tests/`", "yaml");
    // Added at the end of the suite's cases, where its anchors are known.
    let suite = dir.path().join("policies/tests/gates.yaml");
    let mut text = std::fs::read_to_string(&suite).unwrap();
    text.push('\n');
    text.push_str(&cases);
    std::fs::write(&suite, text).unwrap();
    // Step 4, as the README writes it: no flag, the configuration names the pack.
    let (code, out, err) = aimsgate(dir.path(), &["validate", "--deny-warnings"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("36 policies (35 gates"), "{out}");
    let (code, out, err) = aimsgate(dir.path(), &["test"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("44 passed, 0 failed"), "{out}");
    let (code, out, err) = aimsgate(dir.path(), &["verify"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("proven   version-declared"), "{out}");
}

/// A pack whose schema declares an attribute with another type than aimsgate builds it with
/// cannot judge any card: the run is an error, never a silent pass of `==` comparisons.
/// A pack copied by an older `init --policies` keeps judging after an upgrade: its schema does
/// not declare the attributes the engine builds since, and the entity keeps what it declares.
#[test]
fn a_pack_copied_before_an_upgrade_still_judges_cards() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = aimsgate(dir.path(), &["init", "--policies", "--no-workflow"]);
    assert_eq!(code, 0, "{err}");
    let schema = dir.path().join("policies/aims.cedarschema");
    let mut text = std::fs::read_to_string(&schema).unwrap();
    // What an older schema lacked: a nested field, a derived set, a whole record.
    for (gone, gates) in [
        (
            "    quality_checks: Set<String>,\n",
            &["data-quality-checked"][..],
        ),
        (
            "    documented_sections: Set<String>,\n",
            &[
                "design-documented",
                "evaluation-documented",
                "usage-documented",
                "limitations-documented",
            ][..],
        ),
        (
            "    compute?: {\n      training?: String,\n      inference?: String,\n    },\n",
            &["compute-documented"][..],
        ),
    ] {
        assert!(text.contains(gone), "{gone}");
        text = text.replacen(gone, "", 1);
        for gate in gates {
            std::fs::remove_file(dir.path().join(format!("policies/gates/{gate}.cedar"))).unwrap();
        }
    }
    std::fs::write(&schema, text).unwrap();
    let cards = tempfile::tempdir().unwrap();
    for card in [
        "fraud-detector/README.md",
        "sentiment-classifier/model-card.yaml",
    ] {
        let to = cards.path().join(card);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(
            common::root().join("fixtures/example/models").join(card),
            to,
        )
        .unwrap();
    }
    let policies = dir.path().join("policies").to_string_lossy().into_owned();
    let (code, out, err) = aimsgate(
        cards.path(),
        &[
            "check",
            "--policies",
            &policies,
            "--now",
            "2026-11-20",
            "--default-branch",
            "main",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 1, "judged, not refused: {out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let fraud = report["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "fraud-detector")
        .unwrap();
    let gates: Vec<&str> = fraud["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["gate"].as_str().unwrap())
        .collect();
    assert!(gates.contains(&"bias-tests-passed"), "{gates:?}");
    assert!(gates.contains(&"data-provenance-documented"), "{gates:?}");

    // A gate of that pack that names an attribute its schema lacks would read it as absent on
    // a cut entity, and never fire: then nothing is cut, and the run is an error as before.
    std::fs::write(
        dir.path().join("policies/gates/compute-recorded.cedar"),
        "@id(\"compute-recorded\")\n@control(\"A.4.5\")\n@field(\"governance.compute\")\nforbid (principal, action, resource)\nwhen { resource has compute && resource.compute has training };\n",
    )
    .unwrap();
    let (code, out, err) = aimsgate(
        cards.path(),
        &[
            "check",
            "--policies",
            &policies,
            "--now",
            "2026-11-20",
            "--default-branch",
            "main",
        ],
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("does not fit what aimsgate knows of a card"),
        "{err}"
    );
}

#[test]
fn a_schema_that_does_not_fit_the_cards_is_an_error() {
    let pack = common::pack_with("owner-assigned", |t| t);
    let schema = pack.path().join("aims.cedarschema");
    let text = std::fs::read_to_string(&schema).unwrap();
    assert!(
        text.contains("owner?: String,"),
        "the schema declares the owner"
    );
    std::fs::write(
        &schema,
        text.replacen("owner?: String,", "owner?: Long,", 1),
    )
    .unwrap();
    let cards = tempfile::tempdir().unwrap();
    std::fs::write(
        cards.path().join("model-card.yaml"),
        "governance:\n  id: m\n  owner: \"@a\"\n",
    )
    .unwrap();
    let policies = pack.path().to_string_lossy().into_owned();
    let (code, out, err) = aimsgate(
        cards.path(),
        &[
            "check",
            "--policies",
            &policies,
            "--action",
            "release",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        out.contains("does not fit what aimsgate knows of a card"),
        "{out}"
    );
    assert!(out.contains("in attribute `owner`"), "{out}");
}

/// "Your own repository" in the README, step by step, on a repository of two models without a
/// remote: init per card, fill in, the default branch in the configuration, check, commit.
#[test]
fn the_readme_walkthrough_for_a_repository_of_ones_own() {
    let (dir, repo) = common::repo();
    let work = dir.path();
    common::write(
        &repo,
        "models/a/README.md",
        b"---\nlibrary_name: transformers\n---\n# A\n",
    );
    common::write(&repo, "models/b/model-card.yaml", b"name: b\n");
    common::commit(&repo, "Models", ("A", "a@x"));
    // 1. One init per card; the second keeps the workflow.
    let (code, out, err) = aimsgate(work, &["init", "models/a/README.md"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("replace OWNER/aimsgate and COMMIT_SHA"),
        "{out}"
    );
    let (code, out, err) = aimsgate(work, &["init", "models/b/model-card.yaml"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("exists, kept"), "{out}");
    // Blank blocks fail their gates.
    let (code, _, _) = aimsgate(work, &["check", "--now", "2026-11-20"]);
    assert_eq!(code, 1);
    // 2. Filled in (the example's complete card, under each model's id).
    let complete = std::fs::read_to_string(
        common::root().join("fixtures/example/models/sentiment-classifier/model-card.yaml"),
    )
    .unwrap();
    let governance = &complete[complete.find("license:").unwrap()..];
    // The Markdown card writes its documentation as the sections of its body.
    let markdown = common::markdown_of(
        &format!("# A\nlibrary_name: transformers\n{governance}"),
        "A",
    );
    std::fs::write(work.join("models/a/README.md"), markdown).unwrap();
    std::fs::write(work.join("models/b/model-card.yaml"), governance).unwrap();
    common::commit(&repo, "Governance", ("A", "a@x"));
    // Without a default branch the release gate cannot pass, and says why in its label.
    let (code, out, _) = aimsgate(work, &["check", "--now", "2026-11-20"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("but the default branch is unknown"),
        "the reason on the finding's line: {out}"
    );
    // 3. The default branch in the configuration; 4. check: every model passes.
    common::write(&repo, ".aimsgate/config.yaml", b"default_branch: main\n");
    common::commit(&repo, "Configuration", ("A", "a@x"));
    let (code, out, err) = aimsgate(work, &["check", "--now", "2026-11-20"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("2 models checked for release"), "{out}");
}

#[test]
fn a_fresh_init_lists_the_organisational_controls_as_todo_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = aimsgate(dir.path(), &["init", "--no-workflow"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(".aimsgate/soa.yaml: written"), "{out}");
    let (_, json, _) = aimsgate(dir.path(), &["controls", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let rows = doc["controls"].as_array().unwrap();
    let todo: Vec<&str> = rows
        .iter()
        .filter(|r| r["decision"]["justification"] == "TODO")
        .map(|r| r["control"].as_str().unwrap())
        .collect();
    assert_eq!(todo, aimsgate::init::ORGANISATIONAL);
    for r in rows.iter().filter(|r| !r["decision"].is_null()) {
        assert_eq!(r["status"], "gap", "a TODO explains nothing: {r}");
        assert!(r["gates"].as_array().unwrap().is_empty(), "{r}");
    }
    let (code, md, _) = aimsgate(dir.path(), &["controls", "--fail-on-gaps"]);
    assert_eq!(code, 1);
    assert!(
        md.contains("(9 of them a justification still TODO)")
            && md.contains("- A.2.2 AI policy — the statement's justification is still TODO"),
        "{md}"
    );
    // Written, a justification closes its gap; `todo:` or `TODO.` is still a placeholder.
    let soa = std::fs::read_to_string(dir.path().join(".aimsgate/soa.yaml")).unwrap();
    let soa = soa
        .replacen(
            "justification: TODO",
            "justification: \"AI policy POL-7\"",
            1,
        )
        .replacen(
            "justification: TODO",
            "justification: \"todo: ask legal\"",
            1,
        )
        .replacen(
            "justification: TODO",
            "justification: \"Todoist board AIMS-3\"",
            1,
        );
    std::fs::write(dir.path().join(".aimsgate/soa.yaml"), soa).unwrap();
    let (_, json, _) = aimsgate(dir.path(), &["controls", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let status = |c: &str| {
        doc["controls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["control"] == c)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status("A.2.2"), "justified");
    assert_eq!(status("A.2.3"), "gap");
    assert_eq!(status("A.3.3"), "justified");
    // A second init keeps the statement.
    let (code, out, _) = aimsgate(dir.path(), &["init", "--no-workflow", "--policies"]);
    assert_eq!(code, 0);
    assert!(out.contains(".aimsgate/soa.yaml: exists, kept"), "{out}");
}
