//! Git evidence on real repositories that the tests build with git2 in temporary folders:
//! HEAD facts, release tags, `--changed-since` (and its shallow-clone error), and
//! `--policies-ref`, which keeps a change from weakening the gate that judges it.

use std::path::Path;

use git2::{Repository, Signature};
use serde_json::Value;

use aimsgate::evidence::git;

use crate::common;
use crate::common::{Aimsgate, commit, repo, root, write};

fn tag(repo: &Repository, name: &str) {
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    repo.tag_lightweight(name, head.as_object(), false)
        .expect("tag");
}

fn checkout_new_branch(repo: &Repository, name: &str) {
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    repo.branch(name, &head, false).expect("branch");
    repo.set_head(&format!("refs/heads/{name}"))
        .expect("set HEAD");
}

fn checkout(repo: &Repository, name: &str) {
    repo.set_head(&format!("refs/heads/{name}"))
        .expect("set HEAD");
    repo.checkout_head(Some(git2::build::CheckoutBuilder::new().force()))
        .expect("checkout");
}

const JANE: (&str, &str) = ("Jane Doe", "jane@acme.example");
const OMAR: (&str, &str) = ("Omar Ali", "omar@acme.example");

fn card(name: &str) -> Vec<u8> {
    std::fs::read(root().join("fixtures/example/models").join(name)).expect("example card")
}

/// `aimsgate check` in `dir` with `args`, as JSON.
fn check(dir: &Path, args: &[&str]) -> (i32, Value) {
    let run = Aimsgate::check(dir).json().staging().args(args).run();
    (run.code, run.json())
}

fn gates(doc: &Value, model: &str) -> Vec<String> {
    doc["models"]
        .as_array()
        .expect("models")
        .iter()
        .filter(|m| m["id"] == model)
        .flat_map(|m| m["findings"].as_array().expect("findings").iter())
        .map(|f| f["gate"].as_str().expect("gate").to_string())
        .collect()
}

#[test]
fn head_facts_authors_trailers_branch_and_tags() {
    let (_dir, repo) = repo();
    write(&repo, "a.txt", b"one");
    commit(&repo, "First", JANE);
    tag(&repo, "v0.1.0");
    write(&repo, "a.txt", b"two");
    let head = commit(
        &repo,
        "Second\n\nBody.\n\nReviewed-by: Jane Doe <jane@acme.example>\nRefs: #12\n",
        OMAR,
    );
    for t in ["v1.2.3", "fraud/v1.2.4", "fraud-v1.2.5"] {
        tag(&repo, t);
    }
    let facts = git::facts(&repo).expect("facts");
    assert_eq!(facts.commit, head.to_string());
    assert_eq!(facts.author.email, "omar@acme.example");
    assert_eq!(facts.branch.as_deref(), Some("main"));
    assert_eq!(facts.tags, ["fraud-v1.2.5", "fraud/v1.2.4", "v1.2.3"]);
    assert_eq!(
        facts.trailers,
        ["Reviewed-by: Jane Doe <jane@acme.example>", "Refs: #12"]
    );
    assert!(!facts.signed);
    assert_eq!(
        aimsgate::evidence::tags::tag_version(&facts.tags, "churn")
            .unwrap()
            .as_deref(),
        Some("1.2.3")
    );
    let e = aimsgate::evidence::tags::tag_version(&facts.tags, "fraud").unwrap_err();
    assert!(
        matches!(&e, aimsgate::error::EvidenceError::Ref(m) if m.contains("different versions")),
        "{e}"
    );
}

#[test]
fn a_signed_commit_object_is_seen_as_signed() {
    let (_dir, repo) = repo();
    write(&repo, "a.txt", b"one");
    commit(&repo, "First", JANE);
    let parent = repo.head().unwrap().peel_to_commit().unwrap();
    let sig = Signature::now(JANE.0, JANE.1).unwrap();
    let tree = parent.tree().unwrap();
    let buffer = repo
        .commit_create_buffer(&sig, &sig, "Signed", &tree, &[&parent])
        .unwrap();
    let signature =
        "-----BEGIN PGP SIGNATURE-----\n\niQEzBAABCAAdFiEE\n-----END PGP SIGNATURE-----";
    let oid = repo
        .commit_signed(std::str::from_utf8(&buffer).unwrap(), signature, None)
        .unwrap();
    repo.reference("refs/heads/main", oid, true, "signed commit")
        .unwrap();
    let facts = git::facts(&repo).expect("facts");
    assert_eq!(facts.commit, oid.to_string());
    assert!(facts.signed);
}

#[test]
fn a_detached_head_has_no_branch() {
    let (_dir, repo) = repo();
    write(&repo, "a.txt", b"one");
    let oid = commit(&repo, "First", JANE);
    repo.set_head_detached(oid).unwrap();
    assert_eq!(git::facts(&repo).expect("facts").branch, None);
}

#[test]
fn release_tags_reach_the_version_gates() {
    let (dir, repo) = repo();
    write(
        &repo,
        "models/fraud-detector/README.md",
        &card("fraud-detector/README.md"),
    );
    write(
        &repo,
        "models/sentiment-classifier/model-card.yaml",
        &card("sentiment-classifier/model-card.yaml"),
    );
    commit(&repo, "Models", JANE);
    tag(&repo, "fraud-detector/v2.4.0");
    let (_, doc) = check(dir.path(), &[]);
    assert!(gates(&doc, "fraud-detector").contains(&"version-matches-tag".to_string()));
    assert!(!gates(&doc, "sentiment-classifier").contains(&"version-matches-tag".to_string()));
    repo.tag_delete("fraud-detector/v2.4.0").unwrap();
    tag(&repo, "fraud-detector-v2.3.0");
    let (_, doc) = check(dir.path(), &[]);
    assert!(!gates(&doc, "fraud-detector").contains(&"version-matches-tag".to_string()));
}

/// main: models a and b; branch `feature`, one commit ahead, changes only `a`'s folder.
fn two_models_and_a_feature_branch() -> (tempfile::TempDir, Repository) {
    let (dir, repo) = repo();
    let card = card("sentiment-classifier/model-card.yaml");
    write(&repo, "models/a/model-card.yaml", &card);
    write(&repo, "models/b/model-card.yaml", &card);
    let policies = std::fs::read(root().join("policies/aims.cedarschema")).unwrap();
    write(&repo, "policies/aims.cedarschema", &policies);
    commit(&repo, "Two models", JANE);
    checkout_new_branch(&repo, "feature");
    write(&repo, "models/a/eval/results.json", b"{}");
    commit(&repo, "New evaluation for a", OMAR);
    (dir, repo)
}

fn ids(doc: &Value, key: &str) -> Vec<String> {
    doc[key]
        .as_array()
        .expect("a list")
        .iter()
        .map(|m| m["id"].as_str().expect("id").to_string())
        .collect()
}

#[test]
fn changed_since_checks_only_the_models_the_change_touches() {
    let (dir, repo) = two_models_and_a_feature_branch();
    let (code, doc) = check(dir.path(), &["--changed-since", "main"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(ids(&doc, "models"), ["a"]);
    assert_eq!(ids(&doc, "skipped"), ["b"]);
    let reason = doc["skipped"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("changed since main"), "{reason}");
    assert_eq!(doc["changed_since"]["base"], "main");
    assert_eq!(doc["changed_since"]["files"], 1);
    assert_eq!(doc["changed_since"]["policy_files_changed"], false);

    // An uncommitted edit counts: the card is read from the work tree.
    write(
        &repo,
        "models/b/model-card.yaml",
        b"governance:\n  owner: \"@x\"\n",
    );
    let (code, doc) = check(dir.path(), &["--changed-since", "main"]);
    assert_eq!(code, 1, "{doc}");
    assert_eq!(ids(&doc, "models"), ["a", "b"]);
}

#[test]
fn nothing_changed_is_allowed_and_says_what_was_skipped() {
    let (dir, repo) = two_models_and_a_feature_branch();
    checkout(&repo, "main");
    let (code, doc) = check(dir.path(), &["--changed-since", "main"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(ids(&doc, "models"), Vec::<String>::new());
    assert_eq!(ids(&doc, "skipped"), ["a", "b"]);
    assert_eq!(doc["decision"], "allowed");
}

#[test]
fn a_change_to_the_policy_pack_checks_every_model() {
    let (dir, repo) = two_models_and_a_feature_branch();
    write(
        &repo,
        "policies/extra.cedar",
        b"// a new gate would go here\n",
    );
    commit(&repo, "Policy change", OMAR);
    let (_, doc) = check(dir.path(), &["--changed-since", "main"]);
    assert_eq!(ids(&doc, "models"), ["a", "b"]);
    assert_eq!(doc["changed_since"]["policy_files_changed"], true);
}

#[test]
fn an_unknown_base_is_an_error_not_nothing_changed() {
    let (dir, _repo) = two_models_and_a_feature_branch();
    let (code, doc) = check(dir.path(), &["--changed-since", "origin/main"]);
    assert_eq!(code, 2);
    let e = &doc["errors"][0];
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("--changed-since origin/main")
    );
    assert!(e["help"].as_str().unwrap().contains("fetch-depth: 0"));
}

#[test]
fn a_shallow_clone_that_does_not_reach_the_base_is_an_error() {
    let (dir, repo) = two_models_and_a_feature_branch();
    // Make main move on, then cut the feature branch's history as a depth-1 clone would:
    // its commit is listed in .git/shallow, so its parent is not part of the history.
    let feature_head = repo.head().unwrap().peel_to_commit().unwrap().id();
    checkout(&repo, "main");
    write(
        &repo,
        "models/c/model-card.yaml",
        &card("sentiment-classifier/model-card.yaml"),
    );
    commit(&repo, "Another model", JANE);
    checkout(&repo, "feature");
    std::fs::write(repo.path().join("shallow"), format!("{feature_head}\n")).unwrap();
    let repo = Repository::open(dir.path()).unwrap();
    assert!(repo.is_shallow());
    let (code, doc) = check(dir.path(), &["--changed-since", "main"]);
    assert_eq!(code, 2, "{doc}");
    let e = &doc["errors"][0];
    assert!(e["message"].as_str().unwrap().contains("shallow"), "{e}");
    assert!(
        e["help"].as_str().unwrap().contains("fetch-depth: 0"),
        "{e}"
    );
}

#[test]
fn changed_since_outside_a_repository_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("model-card.yaml"),
        card("sentiment-classifier/model-card.yaml"),
    )
    .unwrap();
    let (code, doc) = check(dir.path(), &["--changed-since", "main"]);
    assert_eq!(code, 2);
    assert!(
        doc["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not inside a git repository")
    );
}

/// Copies this repository's `policies/` into `repo`'s work tree.
fn copy_policies(repo: &Repository) {
    for entry in common::files(&root().join("policies")) {
        let rel = entry
            .strip_prefix(root())
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        write(repo, &rel, &std::fs::read(&entry).unwrap());
    }
}

#[test]
fn a_change_that_weakens_a_policy_is_still_judged_by_the_protected_branch() {
    let (dir, repo) = repo();
    copy_policies(&repo);
    let card = String::from_utf8(card("sentiment-classifier/model-card.yaml")).unwrap();
    let ownerless = card.replacen("\n  owner: \"@acme/support-ml\"\n", "\n", 1);
    assert_ne!(card, ownerless);
    write(&repo, "models/m/model-card.yaml", ownerless.as_bytes());
    commit(&repo, "Model and policies", JANE);

    // The pull request drops the owner requirement and the owner together.
    checkout_new_branch(&repo, "weaken");
    let gate = root().join("policies/gates/owner-assigned.cedar");
    let weakened = std::fs::read_to_string(gate)
        .unwrap()
        .replace("when { !(resource has owner) }", "when { false }");
    write(
        &repo,
        "policies/gates/owner-assigned.cedar",
        weakened.as_bytes(),
    );
    commit(&repo, "Owners are optional now", OMAR);

    let (code, doc) = check(dir.path(), &["--policies", "policies"]);
    assert_eq!(code, 0, "the work tree's weakened pack allows it: {doc}");
    let (code, doc) = check(dir.path(), &["--policies-ref", "main"]);
    assert_eq!(code, 1, "{doc}");
    assert_eq!(gates(&doc, "m"), ["owner-assigned"]);
    assert_eq!(doc["policies"], "main:policies");
    let finding = &doc["models"][0]["findings"][0];
    assert_eq!(
        finding["policy"]["path"],
        "main:policies/gates/owner-assigned.cedar"
    );

    // Uncommitted edits to the pack do not reach the ref either.
    write(
        &repo,
        "policies/gates/owner-assigned.cedar",
        weakened.as_bytes(),
    );
    let (code, _) = check(dir.path(), &["--policies-ref", "main"]);
    assert_eq!(code, 1);
}

#[test]
fn a_protected_ref_without_a_pack_uses_the_embedded_one_and_a_named_one_must_exist() {
    let (dir, repo) = repo();
    write(
        &repo,
        "models/m/model-card.yaml",
        &card("sentiment-classifier/model-card.yaml"),
    );
    commit(&repo, "No policies here", JANE);
    // No pack at the ref, none named: the embedded pack judges, and waivers would still come
    // from the ref.
    let (code, doc) = check(dir.path(), &["--protected-ref", "main"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["policies"], "embedded");
    assert_eq!(doc["protected_ref"]["ref"], "refs/heads/main");
    // A pack named but not at the ref is an error.
    let (code, doc) = check(
        dir.path(),
        &["--protected-ref", "main", "--policies", "policies"],
    );
    assert_eq!(code, 2);
    assert!(
        doc["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("`policies` does not exist at main"),
        "{doc}"
    );
    let (code, doc) = check(dir.path(), &["--policies-ref", "no-such-branch"]);
    assert_eq!(code, 2);
    assert!(
        doc["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("no ref or commit `no-such-branch`"),
        "{doc}"
    );
}

/// The example card with `line` as the first line of its governance block.
fn card_with(line: &str) -> Vec<u8> {
    let text = String::from_utf8(card("sentiment-classifier/model-card.yaml")).unwrap();
    text.replacen("governance:\n", &format!("governance:\n  {line}\n"), 1)
        .into_bytes()
}

#[test]
fn a_changed_card_claiming_the_id_of_one_read_only_for_its_identity_is_caught() {
    let (dir, repo) = repo();
    let policies = std::fs::read(root().join("policies/aims.cedarschema")).unwrap();
    write(&repo, "policies/aims.cedarschema", &policies);
    // Ids as an unchanged card may give them: plain, through an escape (read from the
    // event stream), through an alias, and from the folder (both read whole).
    write(
        &repo,
        "models/plain/model-card.yaml",
        &card_with("id: first"),
    );
    write(
        &repo,
        "models/escaped/model-card.yaml",
        &card_with("id: \"s\\x65cond\""),
    );
    let aliased = String::from_utf8(card_with("id: *third")).unwrap();
    write(
        &repo,
        "models/aliased/model-card.yaml",
        format!("name: &third third\n{aliased}").as_bytes(),
    );
    write(
        &repo,
        "models/fourth/model-card.yaml",
        &card("sentiment-classifier/model-card.yaml"),
    );
    // An unchanged card read for its identity alone is not looked at for the rest of it.
    write(
        &repo,
        "models/typo/model-card.yaml",
        &card_with("id: fifth\n  risk_tier: 12"),
    );
    commit(&repo, "Five models", JANE);
    checkout_new_branch(&repo, "feature");
    let (code, doc) = check(dir.path(), &["--changed-since", "main"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(
        ids(&doc, "skipped"),
        ["third", "second", "fourth", "first", "fifth"]
    );
    // The ids read with certainty are remembered in the git directory, by content; the
    // others (an alias, the folder) are read whole every time.
    let index = dir.path().join(".git/aimsgate/ids");
    let remembered = std::fs::read_to_string(&index).unwrap();
    let lines: Vec<&str> = remembered.lines().collect();
    let mut remembered: Vec<&str> = lines[1..lines.len() - 1]
        .iter()
        .map(|l| l.rsplit(' ').next().unwrap())
        .collect();
    remembered.sort_unstable();
    assert_eq!(remembered, ["fifth", "first", "second"]);
    // A run that reads them from the index reports exactly what reading the cards did, and
    // so does a run given an index that is not one.
    let (code, again) = check(dir.path(), &["--changed-since", "main"]);
    assert_eq!((code, &again), (0, &doc));
    std::fs::write(&index, "aimsgate card ids 1\nnot an entry\n").unwrap();
    let (code, again) = check(dir.path(), &["--changed-since", "main"]);
    assert_eq!((code, &again), (0, &doc));
    // Under CI the index is neither read nor written (a fresh clone gains nothing from it; a
    // reused workspace is where a planted one would last).
    std::fs::remove_file(&index).unwrap();
    let ci = Aimsgate::check(dir.path())
        .json()
        .staging()
        .args(&["--changed-since", "main"])
        .env("CI", "true")
        .run();
    assert_eq!((ci.code, &ci.json()), (0, &doc));
    assert!(!index.exists(), "an index written under CI");
    let (code, _) = check(dir.path(), &["--changed-since", "main"]);
    assert_eq!(code, 0);
    assert!(index.exists(), "an index written on a developer's machine");
    // Every check below reads the unchanged cards' ids from the index the run before wrote.
    for id in ["first", "second", "third", "fourth", "fifth"] {
        write(
            &repo,
            "models/new/model-card.yaml",
            &card_with(&format!("id: {id}")),
        );
        let (code, doc) = check(dir.path(), &["--changed-since", "main"]);
        assert_eq!(code, 2, "{id}: {doc}");
        let message = doc["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("model id `{id}` is also the id of")),
            "{id}: {message}"
        );
    }
    // The new card (not yet added to git: found among the untracked files git's status
    // lists) comes first in path order, so the error is the skipped card's, whose text the
    // run did not keep: it is read again to be quoted.
    let human = Aimsgate::check(dir.path())
        .staging()
        .args(&["--changed-since", "main"])
        .env("CI", "true")
        .run();
    assert_eq!(human.code, 2, "{}", human.output());
    let out = human.output();
    assert!(
        out.contains("[models/typo/model-card.yaml:1:1]")
            && out.contains("# A standalone card: the governance block"),
        "{out}"
    );
}

#[test]
fn a_card_that_is_a_link_is_judged_when_the_change_edits_what_it_leads_to() {
    let (dir, repo) = repo();
    let policies = std::fs::read(root().join("policies/aims.cedarschema")).unwrap();
    write(&repo, "policies/aims.cedarschema", &policies);
    write(&repo, "shared/c.yaml", &card_with("id: cee"));
    std::fs::create_dir_all(dir.path().join("models/c")).unwrap();
    std::os::unix::fs::symlink(
        "../../shared/c.yaml",
        dir.path().join("models/c/model-card.yaml"),
    )
    .unwrap();
    commit(&repo, "A linked card", JANE);
    checkout_new_branch(&repo, "feature");
    let (code, doc) = check(dir.path(), &["--changed-since", "main"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(
        ids(&doc, "models"),
        ["cee"],
        "a link is judged, never skipped"
    );
    // The change edits only the file the card leads to, outside the card's folder.
    let text = String::from_utf8(card_with("id: cee")).unwrap();
    write(
        &repo,
        "shared/c.yaml",
        text.replacen("\n  owner: \"@acme/support-ml\"\n", "\n", 1)
            .as_bytes(),
    );
    commit(&repo, "Weaken the linked card", OMAR);
    let (code, doc) = check(dir.path(), &["--changed-since", "main"]);
    assert_eq!(code, 1, "{doc}");
    assert_eq!(ids(&doc, "models"), ["cee"]);
    write(&repo, "shared/c.yaml", format!("{text}bad: [\n").as_bytes());
    let (code, doc) = check(dir.path(), &["--changed-since", "main"]);
    assert_eq!(code, 2, "{doc}");
}
