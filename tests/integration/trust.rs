//! The trust boundary, tried as the author of a pull request whose model is blocked: someone
//! who controls every file of their branch, its commits and the tags they push, but not the
//! protected branch or the CI set-up. Every test builds a CI-like clone with the real `git`
//! (a remote, fetched tags, and as HEAD the test merge commit GitHub checks out for a pull
//! request), tries one variant of one class of bypass, and asserts that the model is blocked
//! or the run fails — never "allowed".

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::common;
use crate::common::root;
use crate::common::server::{recorded, route, serve};

const NOW: &str = "2026-11-20";

/// One variant of an attack: what the change does to the author's checkout.
type Edit = Box<dyn Fn(&Path)>;
const MAIN: &str = "refs/remotes/origin/main";

/// A card that passes every release gate.
fn good() -> String {
    std::fs::read_to_string(
        root().join("fixtures/example/models/sentiment-classifier/model-card.yaml"),
    )
    .unwrap()
}

/// The good card as a Markdown README with model `id`, without its owner: it fails only
/// `owner-assigned` on a release.
fn ownerless(id: &str) -> String {
    let yaml = good()
        .replacen("\n  owner: \"@acme/support-ml\"\n", "\n", 1)
        .replacen("governance:\n", &format!("governance:\n  id: {id}\n"), 1);
    common::markdown_of(&yaml, id)
}

/// The good card as a Markdown README with model `id`.
fn passing(id: &str) -> String {
    let yaml = good().replacen("governance:\n", &format!("governance:\n  id: {id}\n"), 1);
    common::markdown_of(&yaml, id)
}

/// Runs `git` in `dir` with a clean, fixed identity and no user or system configuration.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=Dev",
            "-c",
            "user.email=dev@acme.example",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "protocol.file.allow=always",
            "-c",
            "advice.detachedHead=false",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "tag.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn put(dir: &Path, path: &str, content: &str) {
    let full = dir.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, content).unwrap();
}

/// The protected branch of a model repository, and a CI clone of it.
struct Ci {
    _tmp: tempfile::TempDir,
    origin: PathBuf,
    clone: PathBuf,
}

impl Ci {
    /// `origin` with `main` holding `files`, cloned as `actions/checkout` with
    /// `fetch-depth: 0` would: every branch and tag fetched.
    fn new(files: &[(&str, &str)]) -> Ci {
        let tmp = tempfile::tempdir().unwrap();
        let origin = tmp.path().join("origin");
        std::fs::create_dir_all(&origin).unwrap();
        git(&origin, &["init", "-q"]);
        for (path, content) in files {
            put(&origin, path, content);
        }
        git(&origin, &["add", "-A"]);
        git(&origin, &["commit", "-qm", "Protected main"]);
        let clone = tmp.path().join("clone");
        git(
            tmp.path(),
            &["clone", "-q", origin.to_str().unwrap(), "clone"],
        );
        Ci {
            _tmp: tmp,
            origin,
            clone,
        }
    }

    /// The author's branch `feature` from main, with `edit` applied and committed; then, as
    /// GitHub does for a pull request, HEAD is the test merge of it into main (detached).
    /// Returns the branch's head commit.
    fn pull_request(&self, edit: impl FnOnce(&Path)) -> String {
        git(&self.clone, &["checkout", "-q", "-b", "feature"]);
        edit(&self.clone);
        git(&self.clone, &["add", "-A"]);
        git(
            &self.clone,
            &["commit", "-qm", "The change", "--allow-empty"],
        );
        let head = git(&self.clone, &["rev-parse", "HEAD"]);
        // As a fresh CI checkout would be: no submodule checked out until asked for.
        git(
            &self.clone,
            &["submodule", "deinit", "-q", "--force", "--all"],
        );
        git(&self.clone, &["clean", "-ffdq"]);
        git(&self.clone, &["checkout", "-q", "--detach", MAIN]);
        git(
            &self.clone,
            &[
                "merge",
                "-q",
                "--no-ff",
                "-m",
                "Merge feature into main",
                "feature",
            ],
        );
        head
    }

    /// A pull request event payload for the branch whose head is `head`.
    fn event(&self, head: &str) -> PathBuf {
        let mut event: Value = serde_json::from_str(&recorded("event-pull-request.json")).unwrap();
        event["pull_request"]["head"]["sha"] = json!(head);
        event["pull_request"]["head"]["ref"] = json!("feature");
        let path = self.clone.parent().unwrap().join("event.json");
        std::fs::write(&path, event.to_string()).unwrap();
        path
    }
}

struct Run {
    code: i32,
    doc: Value,
    stderr: String,
}

impl Run {
    fn decision(&self, model: &str) -> Option<String> {
        self.doc["models"]
            .as_array()?
            .iter()
            .find(|m| m["id"] == model)
            .and_then(|m| m["decision"].as_str().map(str::to_string))
    }

    fn gates(&self, model: &str) -> Vec<String> {
        self.doc["models"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["id"] == model)
            .flat_map(|m| m["findings"].as_array().unwrap().iter())
            .filter(|f| f["waived"].is_null())
            .map(|f| f["gate"].as_str().unwrap().to_string())
            .collect()
    }

    fn errors(&self) -> String {
        self.doc["errors"].to_string()
    }
}

/// `aimsgate check` in `dir` as the action runs it on a pull request: release, JSON, the
/// protected ref and the change's base named in full, a pull request event.
fn check(dir: &Path, event: &Path, extra: &[&str]) -> Run {
    let mut args = vec![
        "check",
        "--now",
        NOW,
        "--format",
        "json",
        "--protected-ref",
        MAIN,
        "--changed-since",
        MAIN,
    ];
    args.extend_from_slice(extra);
    run(dir, &args, event)
}

fn run(dir: &Path, args: &[&str], event: &Path) -> Run {
    let event = event.to_string_lossy();
    run_env(
        dir,
        args,
        &[
            ("GITHUB_EVENT_PATH", &event),
            ("GITHUB_EVENT_NAME", "pull_request"),
        ],
    )
}

/// The real `aimsgate` in `dir` with an environment of `PATH` and `env` only: its exit code,
/// its JSON report (or null) and its standard error. Never a panic (exit 101).
fn run_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let (code, stdout, stderr) = common::Aimsgate::new(dir)
        .args(args)
        .envs(env)
        .run()
        .parts();
    let doc = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    Run {
        code,
        doc,
        stderr: format!("{stdout}{stderr}"),
    }
}

/// The model `victim` is blocked (or the run could not evaluate): never allowed.
fn assert_not_allowed(r: &Run, model: &str) {
    assert_ne!(r.code, 0, "the change passed itself: {}{}", r.doc, r.stderr);
    if r.code == 1 {
        assert_eq!(
            r.decision(model).as_deref(),
            Some("blocked"),
            "{model}: {}",
            r.doc
        );
    }
}

const WAIVERS_ON_MAIN: &str = "waivers:\n  - gate: owner-assigned\n    model: \"legacy-*\"\n    reason: \"Legacy models keep their original owners' sign-off until migrated\"\n    approved_by: \"@acme/ai-governance\"\n    approved_on: 2026-11-01\n    expires: 2026-12-31\n";

/// A protected main with a blocked model (`victim`), a passing one and a waived legacy one.
fn repository() -> Ci {
    Ci::new(&[
        ("models/victim/README.md", &ownerless("victim")),
        ("models/victim/weights.bin", "weights"),
        ("models/fraud/README.md", &passing("fraud")),
        ("models/legacy-a/README.md", &ownerless("legacy-a")),
        (".aimsgate/waivers.yaml", WAIVERS_ON_MAIN),
    ])
}

/// Touches the victim's card so that the change concerns it.
fn touch_victim(dir: &Path) {
    let card = dir.join("models/victim/README.md");
    let mut text = std::fs::read_to_string(&card).unwrap();
    text.push_str("\nRetrained.\n");
    std::fs::write(card, text).unwrap();
}

fn waiver(gate: &str, model: &str, expires: &str) -> String {
    format!(
        "  - gate: {gate}\n    model: \"{model}\"\n    reason: \"it is fine, trust me\"\n    approved_by: \"@someone-else\"\n    approved_on: 2026-11-15\n    expires: {expires}\n"
    )
}

// ---- 1. Self-service waivers and configuration --------------------------------------------

#[test]
fn a_waiver_added_or_widened_by_the_change_does_not_apply() {
    let variants: Vec<(&str, Edit)> = vec![
        (
            "a new waiver for the model",
            Box::new(|d: &Path| {
                touch_victim(d);
                let w = format!(
                    "{WAIVERS_ON_MAIN}{}",
                    waiver("owner-assigned", "victim", "2026-12-10")
                );
                put(d, ".aimsgate/waivers.yaml", &w);
            }),
        ),
        (
            "the glob widened to every model",
            Box::new(|d: &Path| {
                touch_victim(d);
                put(
                    d,
                    ".aimsgate/waivers.yaml",
                    &WAIVERS_ON_MAIN.replace("legacy-*", "*"),
                );
            }),
        ),
        (
            "a configuration file naming another waivers file",
            Box::new(|d: &Path| {
                touch_victim(d);
                put(d, ".aimsgate/config.yaml", "waivers: ops/exceptions.yaml\n");
                let w = format!(
                    "waivers:\n{}",
                    waiver("owner-assigned", "victim", "2026-12-10")
                );
                put(d, "ops/exceptions.yaml", &w);
            }),
        ),
        (
            "a configuration file naming a weakened pack",
            Box::new(|d: &Path| {
                touch_victim(d);
                let pack = common::pack_with("owner-assigned", |t| {
                    t.replace("!(resource has owner)", "false")
                });
                let dest = d.join("policies");
                for f in common::files(pack.path()) {
                    let rel = f.strip_prefix(pack.path()).unwrap();
                    put(
                        &dest,
                        rel.to_str().unwrap(),
                        &std::fs::read_to_string(&f).unwrap(),
                    );
                }
                put(d, ".aimsgate/config.yaml", "policies: policies\n");
            }),
        ),
    ];
    for (what, edit) in variants {
        let ci = repository();
        let head = ci.pull_request(edit);
        let r = check(&ci.clone, &ci.event(&head), &[]);
        assert_not_allowed(&r, "victim");
        assert!(
            r.gates("victim").contains(&"owner-assigned".to_string()),
            "{what}: {}",
            r.doc
        );
        // Touching governance configuration is itself a policy change: it needs an
        // independent approval, which nobody gave.
        assert!(
            r.gates("victim")
                .contains(&"policy-change-reviewed".to_string()),
            "{what}: {}",
            r.doc
        );
        assert_eq!(r.doc["policies"], "embedded", "{what}");
        assert_eq!(
            r.doc["changed_since"]["policy_files_changed"], true,
            "{what}"
        );
    }
}

#[test]
fn a_waiver_on_main_edited_by_the_change_keeps_its_protected_terms() {
    // On main the waiver for `victim` expired on 2026-11-10 and waives another gate.
    let on_main = format!(
        "waivers:\n{}{}",
        waiver("owner-assigned", "victim", "2026-11-10"),
        waiver("bias-tests-passed", "victim", "2026-12-10")
    );
    for edited in [
        // A longer expiry.
        on_main.replacen("2026-11-10", "2026-12-12", 1),
        // The other waiver moved to the gate that fires.
        on_main.replace("bias-tests-passed", "owner-assigned"),
    ] {
        let ci = Ci::new(&[
            ("models/victim/README.md", &ownerless("victim")),
            (".aimsgate/waivers.yaml", &on_main),
        ]);
        let head = ci.pull_request(|d| {
            touch_victim(d);
            put(d, ".aimsgate/waivers.yaml", &edited);
        });
        let r = check(&ci.clone, &ci.event(&head), &[]);
        assert_not_allowed(&r, "victim");
        let finding = r.doc["models"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["gate"] == "owner-assigned")
            .cloned()
            .unwrap();
        assert!(finding["waived"].is_null(), "{finding}");
        assert_eq!(
            finding["expired_waiver"]["expires"], "2026-11-10",
            "{finding}"
        );
        assert!(
            finding["expired_waiver"]["path"]
                .as_str()
                .unwrap()
                .starts_with("refs/remotes/origin/main:"),
            "{finding}"
        );
    }
}

#[test]
fn without_a_protected_ref_a_pull_request_is_warned_in_every_format() {
    let ci = repository();
    let head = ci.pull_request(touch_victim);
    let event = ci.event(&head);
    let r = run(
        &ci.clone,
        &["check", "--now", NOW, "--format", "json"],
        &event,
    );
    assert_eq!(r.code, 1, "{}", r.doc);
    let warnings = r.doc["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{}", r.doc);
    assert!(
        warnings[0]["message"]
            .as_str()
            .unwrap()
            .contains("read from the pull request itself"),
        "{}",
        r.doc
    );
    for format in ["human", "github", "markdown", "sarif", "junit"] {
        let out = run(
            &ci.clone,
            &["check", "--now", NOW, "--format", format],
            &event,
        );
        let text = out.stderr;
        assert_eq!(
            text.matches("read from the pull request itself").count(),
            1,
            "{format}: {text}"
        );
    }
    // With the protected ref named, no warning.
    let r = check(&ci.clone, &event, &[]);
    assert_eq!(r.doc["warnings"], json!([]), "{}", r.doc);
    assert_eq!(r.doc["protected_ref"]["ref"], MAIN);
    let main = git(&ci.origin, &["rev-parse", "HEAD"]);
    assert_eq!(r.doc["protected_ref"]["commit"], main.as_str());
}

// ---- 2. A protected ref that the change can shadow -----------------------------------------

#[test]
fn a_ref_the_change_can_shadow_is_ambiguous_and_refused() {
    for (shadow, name) in [
        ("refs/tags/origin/main", "origin/main"),
        ("refs/heads/origin/main", "origin/main"),
        ("refs/tags/main", "main"),
    ] {
        let ci = repository();
        let head = ci.pull_request(touch_victim);
        // The author pushed a tag (or branch) of that name at their own commit, and CI
        // fetched it.
        git(&ci.clone, &["update-ref", shadow, &head]);
        if name == "main" {
            git(&ci.clone, &["branch", "-q", "-f", "main", MAIN]);
        }
        let event = ci.event(&head);
        for flags in [vec!["--changed-since", name], vec!["--protected-ref", name]] {
            let mut args = vec!["check", "--now", NOW, "--format", "json"];
            args.extend(&flags);
            let r = run(&ci.clone, &args, &event);
            assert_eq!(r.code, 2, "{shadow} {flags:?}: {}", r.doc);
            let errors = r.errors();
            assert!(errors.contains("is ambiguous"), "{errors}");
            assert!(errors.contains(shadow), "{errors}");
        }
        // Named in full, the shadow is beside the point: judged by main, still blocked; the
        // report and the decision record name the full refs and commits used.
        let record = ci.clone.parent().unwrap().join("decisions.jsonl");
        let r = check(&ci.clone, &event, &["--record", record.to_str().unwrap()]);
        assert_not_allowed(&r, "victim");
        let main = git(&ci.origin, &["rev-parse", "HEAD"]);
        assert_eq!(r.doc["changed_since"]["ref"], MAIN);
        assert_eq!(r.doc["changed_since"]["commit"], main.as_str());
        assert_eq!(r.doc["protected_ref"]["ref"], MAIN);
        let line = std::fs::read_to_string(&record).unwrap();
        let rec: Value = serde_json::from_str(line.trim()).unwrap();
        assert_eq!(rec["protected_ref"]["ref"], MAIN, "{rec}");
        assert_eq!(rec["protected_ref"]["commit"], main.as_str(), "{rec}");
        assert_eq!(rec["changed_since"]["ref"], MAIN, "{rec}");
        assert_eq!(rec["event"]["pr_number"], 42, "{rec}");
        assert_eq!(rec["event"]["head_sha"], head.as_str(), "{rec}");
        assert_eq!(rec["branch"], "feature", "{rec}");
    }
}

// ---- 3. Identity and exceptions ------------------------------------------------------------

#[test]
fn a_model_that_takes_a_waived_id_does_not_inherit_the_waiver() {
    // The victim renames itself into the waived `legacy-*` family.
    let ci = repository();
    let head = ci.pull_request(|d| {
        put(d, "models/victim/README.md", &ownerless("legacy-victim"));
    });
    let r = check(&ci.clone, &ci.event(&head), &[]);
    assert_not_allowed(&r, "legacy-victim");
    assert_eq!(r.gates("legacy-victim"), ["owner-assigned"], "{}", r.doc);
    let warnings = r.doc["warnings"].to_string();
    assert!(
        warnings.contains("was `victim` at refs/remotes/origin/main"),
        "{warnings}"
    );

    // A new model in the family is not covered by the glob either.
    let ci = repository();
    let head = ci.pull_request(|d| {
        put(d, "models/legacy-new/README.md", &ownerless("legacy-new"));
    });
    let r = check(&ci.clone, &ci.event(&head), &[]);
    assert_not_allowed(&r, "legacy-new");

    // The model the waiver was granted to keeps it when it changes.
    let ci = repository();
    let head = ci.pull_request(|d| {
        let card = d.join("models/legacy-a/README.md");
        let text = std::fs::read_to_string(&card).unwrap() + "\nNew notes.\n";
        std::fs::write(card, text).unwrap();
    });
    let r = check(&ci.clone, &ci.event(&head), &[]);
    assert_eq!(r.code, 0, "{}", r.doc);
    assert_eq!(r.decision("legacy-a").as_deref(), Some("allowed"));
}

// ---- 4. Models that leave the run ----------------------------------------------------------

#[test]
fn a_committed_card_hidden_by_ignore_rules_is_still_judged() {
    for (file, rule) in [
        (".gitignore", "models/victim/\n"),
        (".ignore", "README.md\n"),
        (".git/info/exclude", "models/\n"),
    ] {
        let ci = repository();
        let head = ci.pull_request(|d| {
            touch_victim(d);
            if !file.starts_with(".git/") {
                put(d, file, rule);
            }
        });
        if file.starts_with(".git/") {
            put(&ci.clone, file, rule);
        }
        let event = ci.event(&head);
        let r = check(&ci.clone, &event, &[]);
        assert_not_allowed(&r, "victim");
        assert_eq!(r.code, 1, "{file}: {}", r.doc);
        // Judged as the card it is, not merely missed.
        assert_eq!(r.gates("victim"), ["owner-assigned"], "{file}: {}", r.doc);
        // And in a full run, with no change to compare with.
        let r = run(
            &ci.clone,
            &[
                "check",
                "--now",
                NOW,
                "--format",
                "json",
                "--protected-ref",
                MAIN,
            ],
            &event,
        );
        assert_eq!(r.gates("victim"), ["owner-assigned"], "{file}: {}", r.doc);
    }
}

#[test]
fn a_card_that_goes_away_while_its_model_stays_is_blocked() {
    let variants: Vec<(&str, Edit)> = vec![
        (
            "deleted",
            Box::new(|d: &Path| std::fs::remove_file(d.join("models/victim/README.md")).unwrap()),
        ),
        (
            "renamed to a name that is not a card's",
            Box::new(|d: &Path| {
                std::fs::rename(
                    d.join("models/victim/README.md"),
                    d.join("models/victim/README.txt"),
                )
                .unwrap();
            }),
        ),
        (
            "stripped of its front matter",
            Box::new(|d: &Path| {
                put(
                    d,
                    "models/victim/README.md",
                    "# victim\n\nJust prose now.\n",
                )
            }),
        ),
        (
            "its governance key renamed",
            Box::new(|d: &Path| {
                let text = std::fs::read_to_string(d.join("models/victim/README.md")).unwrap();
                let text = text
                    .replace("governance:", "x_notes:")
                    .replace("base_model:", "x_base:")
                    .replace("model-index:", "x_index:");
                put(d, "models/victim/README.md", &text);
            }),
        ),
        (
            "replaced by a link to a file that is not a card",
            Box::new(|d: &Path| {
                std::fs::remove_file(d.join("models/victim/README.md")).unwrap();
                put(d, "models/victim/notes.txt", "notes\n");
                #[cfg(unix)]
                std::os::unix::fs::symlink("notes.txt", d.join("models/victim/README.md")).unwrap();
            }),
        ),
    ];
    for (what, edit) in variants {
        let ci = repository();
        let head = ci.pull_request(edit);
        let r = check(&ci.clone, &ci.event(&head), &[]);
        assert_eq!(r.code, 1, "{what}: {}{}", r.doc, r.stderr);
        assert_eq!(r.gates("victim"), ["card-removed"], "{what}: {}", r.doc);
        let finding = &r.doc["models"][0]["findings"][0];
        assert_eq!(finding["location"]["path"], "models/victim/README.md");
        assert!(
            finding["message"]
                .as_str()
                .unwrap()
                .contains("still holds the model's files"),
            "{finding}"
        );
    }
}

#[test]
fn a_model_card_stripped_of_its_governance_block_is_still_a_card() {
    // Without `governance`, a Hugging Face card (it has `model-index` and `base_model`) is
    // still a model card: judged, and failing every gate that needs the block.
    let ci = repository();
    let head = ci.pull_request(|d| {
        let text = std::fs::read_to_string(d.join("models/victim/README.md")).unwrap();
        let (front, _) = text.split_once("governance:").unwrap();
        put(
            d,
            "models/victim/README.md",
            &format!("{front}---\n# victim\n"),
        );
    });
    let r = check(&ci.clone, &ci.event(&head), &[]);
    assert_not_allowed(&r, "victim");
    let gates = r.gates("victim");
    assert!(gates.contains(&"owner-assigned".to_string()), "{gates:?}");
    assert!(
        gates.contains(&"risk-tier-declared".to_string()),
        "{gates:?}"
    );
}

#[test]
fn a_model_removed_with_its_folder_is_listed_not_judged() {
    let ci = repository();
    let head = ci.pull_request(|d| std::fs::remove_dir_all(d.join("models/victim")).unwrap());
    let r = check(&ci.clone, &ci.event(&head), &[]);
    assert_eq!(r.code, 0, "{}", r.doc);
    assert_eq!(r.doc["removed"][0]["id"], "victim", "{}", r.doc);
    assert_eq!(r.doc["removed"][0]["path"], "models/victim/README.md");
}

#[test]
fn a_governance_key_spelled_with_a_lookalike_is_an_error() {
    for key in ["g\u{043E}vernance", "governance\u{200B}", "Governance"] {
        let ci = repository();
        let head = ci.pull_request(|d| {
            let text = std::fs::read_to_string(d.join("models/victim/README.md")).unwrap();
            put(
                d,
                "models/victim/README.md",
                &text.replacen("governance:", &format!("{key}:"), 1),
            );
        });
        let r = check(&ci.clone, &ci.event(&head), &[]);
        assert_eq!(r.code, 2, "{key:?}: {}", r.doc);
        assert!(
            r.errors()
                .contains("is not `governance`, though it looks like it"),
            "{}",
            r.errors()
        );
    }
}

#[test]
fn a_card_linked_inside_the_repository_is_read_through_the_link() {
    let ci = repository();
    let head = ci.pull_request(|d| {
        // The card's content moves to a file with another name; the card becomes a link.
        std::fs::rename(
            d.join("models/victim/README.md"),
            d.join("models/victim/card.txt"),
        )
        .unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink("card.txt", d.join("models/victim/README.md")).unwrap();
    });
    let r = check(&ci.clone, &ci.event(&head), &[]);
    assert_not_allowed(&r, "victim");
    assert_eq!(r.gates("victim"), ["owner-assigned"], "{}", r.doc);
}

#[test]
fn a_card_checked_out_in_another_encoding_is_an_error() {
    let ci = repository();
    let head = ci.pull_request(|d| {
        put(
            d,
            ".gitattributes",
            "models/victim/README.md working-tree-encoding=UTF-16LE\n",
        );
        // In the author's checkout the card is UTF-16; git stores it as UTF-8, which is what
        // GitHub shows a reviewer.
        let text =
            std::fs::read_to_string(d.join("models/victim/README.md")).unwrap() + "\nRetrained.\n";
        let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        std::fs::write(d.join("models/victim/README.md"), utf16).unwrap();
    });
    let blob = git(&ci.clone, &["show", "HEAD:models/victim/README.md"]);
    assert!(
        blob.starts_with("---\ngovernance:") || blob.contains("governance:"),
        "{blob}"
    );
    let bytes = std::fs::read(ci.clone.join("models/victim/README.md")).unwrap();
    assert!(bytes.contains(&0), "git wrote UTF-16");
    let r = check(&ci.clone, &ci.event(&head), &[]);
    assert_eq!(r.code, 2, "{}", r.doc);
    assert!(r.errors().contains("UTF-16"), "{}", r.errors());
}

/// A repository `sub` holding the model `vendored` (passing, with weights), vendored as the
/// submodule `vendor/sub` on the protected main of `ci`, and checked out in its clone.
fn vendored(ci: &Ci) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let sub = tmp.path().join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    git(&sub, &["init", "-q"]);
    put(&sub, "models/vendored/README.md", &passing("vendored"));
    put(&sub, "models/vendored/weights.bin", "w1");
    git(&sub, &["add", "-A"]);
    git(&sub, &["commit", "-qm", "A passing vendored model"]);
    git(
        &ci.origin,
        &[
            "submodule",
            "add",
            "-q",
            sub.to_str().unwrap(),
            "vendor/sub",
        ],
    );
    git(&ci.origin, &["commit", "-qm", "Vendor the submodule"]);
    git(&ci.clone, &["pull", "-q"]);
    git(&ci.clone, &["submodule", "update", "-q", "--init"]);
    (tmp, sub)
}

#[test]
fn a_card_inside_a_submodule_changed_by_a_bump_is_judged() {
    let ci = repository();
    let (_tmp, sub) = vendored(&ci);
    // The author makes the vendored model fail in the submodule, and bumps the pointer.
    put(&sub, "models/vendored/README.md", &ownerless("vendored"));
    git(&sub, &["commit", "-qam", "Drop the owner"]);
    let head = ci.pull_request(|d| {
        let inner = d.join("vendor/sub");
        git(&inner, &["pull", "-q", "origin", "main"]);
    });
    git(&ci.clone, &["submodule", "update", "-q", "--init"]);
    let r = check(&ci.clone, &ci.event(&head), &[]);
    assert_not_allowed(&r, "vendored");
    assert_eq!(r.gates("vendored"), ["owner-assigned"], "{}", r.doc);
    assert_eq!(
        r.doc["models"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == "vendored")
            .unwrap()["path"],
        "vendor/sub/models/vendored/README.md"
    );
}

// ---- 5. Keys that look right ---------------------------------------------------------------

#[test]
fn keys_that_look_right_are_errors_at_their_line() {
    // A failing ratio whose `direction` is misspelled would read as `at_most` and pass.
    let failing_ratio = "      - metric: disparate_impact_ratio\n        value: 0.60\n        threshold: 0.80\n        KEY: at_least\n";
    for (key, expect) in [
        ("d\u{0456}rection", "is not `direction`: it looks like it"),
        ("direction\u{200B}", "invisible characters (U+200B)"),
        ("directoin", "did you mean `direction`?"),
    ] {
        let ci = repository();
        let head = ci.pull_request(|d| {
            let text = std::fs::read_to_string(d.join("models/victim/README.md")).unwrap();
            let text = text
                .replacen("governance:\n", "governance:\n  owner: \"@acme/ml\"\n", 1)
                .replacen(
                    "        threshold: 0.05\n",
                    &format!(
                        "        threshold: 0.05\n{}",
                        failing_ratio.replace("KEY", key)
                    ),
                    1,
                );
            put(d, "models/victim/README.md", &text);
        });
        let r = check(&ci.clone, &ci.event(&head), &[]);
        assert_eq!(r.code, 2, "{key:?}: {}", r.doc);
        let error = &r.doc["errors"][0];
        assert_eq!(error["path"], "models/victim/README.md");
        assert!(error["line"].as_u64().is_some(), "{error}");
        assert!(
            error["message"].as_str().unwrap().contains(expect),
            "{error}"
        );
    }
    // Elsewhere in the block too: a source's `personal_data` with a Cyrillic `а`.
    let ci = repository();
    let head = ci.pull_request(|d| {
        let text = std::fs::read_to_string(d.join("models/victim/README.md")).unwrap();
        put(
            d,
            "models/victim/README.md",
            &text.replace("personal_data: false", "person\u{0430}l_data: false"),
        );
    });
    let r = check(&ci.clone, &ci.event(&head), &[]);
    assert_eq!(r.code, 2, "{}", r.doc);
    assert!(
        r.errors().contains("is not `personal_data`"),
        "{}",
        r.errors()
    );
}

// ---- 6. Evidence the change can manufacture ------------------------------------------------

/// A release of HEAD, outside any pull request: the run a tag push triggers.
fn release(dir: &Path) -> Run {
    run_env(dir, &["check", "--now", NOW, "--format", "json"], &[])
}

#[test]
fn a_release_tag_on_an_unmerged_commit_is_not_a_protected_release() {
    let ci = Ci::new(&[("models/fraud/README.md", &passing("fraud"))]);
    git(&ci.clone, &["checkout", "-q", "-b", "feature"]);
    put(
        &ci.clone,
        "models/fraud/README.md",
        &(passing("fraud") + "\nUnreviewed.\n"),
    );
    git(&ci.clone, &["commit", "-qam", "Unreviewed change"]);
    for tag in ["v1.4.0", "fraud/v1.4.0"] {
        git(&ci.clone, &["tag", "-f", tag]);
        git(&ci.clone, &["checkout", "-q", "--detach", tag]);
        let r = release(&ci.clone);
        assert_eq!(r.code, 1, "{tag}: {}", r.doc);
        assert_eq!(
            r.gates("fraud"),
            ["release-from-protected-ref"],
            "{}",
            r.doc
        );
        let message = r.doc["models"][0]["findings"][0]["message"].to_string();
        assert!(message.contains("not on the default branch"), "{message}");
        git(&ci.clone, &["tag", "-d", tag]);
    }
    // The same tag on a commit of main is a protected release.
    git(&ci.clone, &["checkout", "-q", "--detach", MAIN]);
    git(&ci.clone, &["tag", "v1.4.0"]);
    let r = release(&ci.clone);
    assert_eq!(r.code, 0, "{}", r.doc);
}

fn reviews(head: &str, stale: &str) -> String {
    json!([
        { "user": { "login": "jane", "type": "User" }, "state": "APPROVED", "commit_id": stale },
        { "user": { "login": "omar", "type": "User" }, "state": "APPROVED", "commit_id": stale },
        { "user": { "login": "lee", "type": "User" }, "state": "COMMENTED", "commit_id": head }
    ])
    .to_string()
}

#[test]
fn approvals_of_an_earlier_commit_do_not_approve_the_change() {
    let stale = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567";
    let deploy = |ci: &Ci, head: &str, answers: &str| -> Run {
        let server = serve(vec![
            route("/pulls/42/reviews", 200, answers),
            route("/commits/", 200, &recorded("commit.json")),
        ]);
        let event = ci.event(head);
        let event = event.to_string_lossy();
        run_env(
            &ci.clone,
            &[
                "check",
                "--now",
                NOW,
                "--format",
                "json",
                "--action",
                "deploy",
                "--env",
                "production",
                "--protected-ref",
                MAIN,
                "models/fraud",
            ],
            &[
                ("GITHUB_EVENT_PATH", &event),
                ("GITHUB_EVENT_NAME", "pull_request"),
                ("GITHUB_API_URL", &server.url),
                ("GITHUB_TOKEN", "ghs_test"),
            ],
        )
    };
    let ci = Ci::new(&[("models/fraud/README.md", &passing("fraud"))]);
    let head = ci.pull_request(|d| {
        put(
            d,
            "models/fraud/README.md",
            &(passing("fraud") + "\nPushed after the approvals.\n"),
        );
    });
    let r = deploy(&ci, &head, &reviews(&head, stale));
    assert_eq!(r.code, 1, "{}{}", r.doc, r.stderr);
    assert_eq!(r.gates("fraud"), ["independent-approval"], "{}", r.doc);
    let message = r.doc["models"][0]["findings"][0]["message"].to_string();
    assert!(message.contains("earlier commit"), "{message}");
    // Approvals of the head itself count.
    let r = deploy(&ci, &head, &reviews(&head, &head));
    assert_eq!(r.code, 0, "{}{}", r.doc, r.stderr);

    // An organisation that opts out, on its protected branch, counts them.
    let ci = Ci::new(&[
        ("models/fraud/README.md", &passing("fraud")),
        (".aimsgate/config.yaml", "accept_stale_approvals: true\n"),
    ]);
    let head = ci.pull_request(|d| {
        put(
            d,
            "models/fraud/README.md",
            &(passing("fraud") + "\nPushed after.\n"),
        );
    });
    let r = deploy(&ci, &head, &reviews(&head, stale));
    assert_eq!(r.code, 0, "{}{}", r.doc, r.stderr);
    // ...but a change cannot opt itself out.
    let ci = Ci::new(&[("models/fraud/README.md", &passing("fraud"))]);
    let head = ci.pull_request(|d| {
        put(d, ".aimsgate/config.yaml", "accept_stale_approvals: true\n");
    });
    let r = deploy(&ci, &head, &reviews(&head, stale));
    assert_eq!(r.code, 1, "{}{}", r.doc, r.stderr);
}

#[test]
fn a_planted_marker_comment_is_never_updated() {
    let ci = repository();
    let head = ci.pull_request(touch_victim);
    let planted = json!([
        { "id": 66, "body": "<!-- aimsgate:report -->\n## aimsgate: ✅ allowed", "user": { "login": "dev-alice", "type": "User" } },
        { "id": 67, "body": "<!-- aimsgate:report -->\n## aimsgate: ✅ allowed", "user": { "login": "github-actions", "type": "User" } }
    ]);
    for (identity, expect) in [
        // An Actions token cannot ask who it is: it writes as github-actions[bot], and no
        // comment by that bot exists yet, so a new one is made.
        (
            route("GET /user", 403, &recorded("error-403.json")),
            "POST /repos/acme/models/issues/42/comments",
        ),
        // A user's token that is `release-bot`: likewise, none of the comments is its own.
        (
            route(
                "GET /user",
                200,
                r#"{"login": "release-bot", "type": "User"}"#,
            ),
            "POST /repos/acme/models/issues/42/comments",
        ),
    ] {
        let server = serve(vec![
            identity,
            route(
                "GET /repos/acme/models/issues/42/comments",
                200,
                &planted.to_string(),
            ),
            route(
                "POST /repos/acme/models/issues/42/comments",
                201,
                r#"{"id": 99}"#,
            ),
        ]);
        let event = ci.event(&head);
        let event = event.to_string_lossy();
        let out = run_env(
            &ci.clone,
            &[
                "check",
                "--now",
                NOW,
                "--format",
                "json",
                "--protected-ref",
                MAIN,
                "--publish",
                "comment",
            ],
            &[
                ("GITHUB_EVENT_PATH", &event),
                ("GITHUB_EVENT_NAME", "pull_request"),
                ("GITHUB_API_URL", &server.url),
                ("GITHUB_TOKEN", "ghs_test"),
            ],
        );
        assert_eq!(out.code, 1);
        let writes: Vec<String> = server
            .requests
            .lock()
            .unwrap()
            .iter()
            .filter(|q| q.method != "GET")
            .map(|q| format!("{} {}", q.method, q.path))
            .collect();
        assert_eq!(writes, [expect], "{}", out.stderr);
    }
}

// ---- What a red-team review of the above found, each now closed ------------------------------

#[test]
fn a_card_checked_out_through_any_transforming_attribute_is_an_error() {
    for attribute in [
        // With ISO646-GB, `£` checks out as `#` and a line of the blob becomes a comment in
        // the work tree; any encoding is refused (Latin-1 is the one every iconv has).
        "working-tree-encoding=ISO-8859-1",
        "ident",
        "filter=lfs",
    ] {
        let ci = repository();
        let head = ci.pull_request(|d| {
            touch_victim(d);
            put(
                d,
                "models/victim/.gitattributes",
                &format!("README.md {attribute}\n"),
            );
        });
        let r = check(&ci.clone, &ci.event(&head), &[]);
        assert_eq!(r.code, 2, "{attribute}: {}", r.doc);
        assert!(
            r.errors()
                .contains("so the checked-out file is not what git holds"),
            "{attribute}: {}",
            r.errors()
        );
    }
}

#[test]
fn a_submodule_that_is_not_checked_out_is_an_error_unless_the_protected_branch_says_it_holds_no_card()
 {
    let tmp = tempfile::tempdir().unwrap();
    let ext = tmp.path().join("ext");
    std::fs::create_dir_all(&ext).unwrap();
    git(&ext, &["init", "-q"]);
    put(&ext, "README.md", &ownerless("victim"));
    git(&ext, &["add", "-A"]);
    git(&ext, &["commit", "-qm", "A model elsewhere"]);
    // The author turns the model's folder into a submodule that CI does not check out.
    let ci = repository();
    let head = ci.pull_request(|d| {
        git(d, &["rm", "-rq", "models/victim"]);
        git(
            d,
            &[
                "submodule",
                "add",
                "-q",
                ext.to_str().unwrap(),
                "models/victim",
            ],
        );
        git(
            d,
            &[
                "config",
                "-f",
                ".gitmodules",
                "submodule.models/victim.update",
                "none",
            ],
        );
    });
    git(
        &ci.clone,
        &["submodule", "deinit", "-q", "--force", "--all"],
    );
    let r = check(&ci.clone, &ci.event(&head), &[]);
    assert_eq!(r.code, 2, "{}", r.doc);
    assert!(
        r.errors()
            .contains("is a submodule that is not checked out"),
        "{}",
        r.errors()
    );

    // A submodule the protected branch lists as holding no card need not be checked out.
    let ci = Ci::new(&[
        ("models/fraud/README.md", &passing("fraud")),
        (
            ".aimsgate/config.yaml",
            "submodules_without_cards: [vendor/tools]\n",
        ),
    ]);
    let head = ci.pull_request(|d| {
        git(
            d,
            &[
                "submodule",
                "add",
                "-q",
                ext.to_str().unwrap(),
                "vendor/tools",
            ],
        );
    });
    git(
        &ci.clone,
        &["submodule", "deinit", "-q", "--force", "--all"],
    );
    let r = check(&ci.clone, &ci.event(&head), &[]);
    assert_eq!(r.code, 0, "{}", r.doc);
}

#[test]
fn a_model_moved_into_a_waived_models_place_does_not_take_its_waiver() {
    let ci = repository();
    let head = ci.pull_request(|d| {
        git(d, &["mv", "models/legacy-a", "models/legacy-a-v2"]);
        git(d, &["mv", "models/victim", "models/legacy-a"]);
    });
    let r = check(&ci.clone, &ci.event(&head), &[]);
    assert_not_allowed(&r, "victim");
    assert_eq!(r.gates("victim"), ["owner-assigned"], "{}", r.doc);
    // A rename within the waived family keeps the waiver: it covers both ids.
    let ci = repository();
    let head = ci.pull_request(|d| {
        put(d, "models/legacy-a/README.md", &ownerless("legacy-a2"));
    });
    let r = check(&ci.clone, &ci.event(&head), &[]);
    assert_eq!(
        r.decision("legacy-a2").as_deref(),
        Some("allowed"),
        "{}",
        r.doc
    );
}

#[test]
fn a_card_stripped_inside_a_submodule_is_blocked() {
    let ci = repository();
    let (_tmp, sub) = vendored(&ci);
    // Inside the submodule the card becomes prose and the weights change; the pointer moves.
    put(
        &sub,
        "models/vendored/README.md",
        "# vendored\n\nprose only\n",
    );
    put(&sub, "models/vendored/weights.bin", "w2-unreviewed");
    git(&sub, &["commit", "-qam", "Strip the card"]);
    let head = ci.pull_request(|d| {
        git(&d.join("vendor/sub"), &["pull", "-q", "origin", "main"]);
    });
    git(&ci.clone, &["submodule", "update", "-q", "--init"]);
    let r = check(&ci.clone, &ci.event(&head), &[]);
    assert_eq!(r.code, 1, "{}", r.doc);
    assert_eq!(r.gates("vendored"), ["card-removed"], "{}", r.doc);
}

#[test]
fn a_models_files_moved_without_a_card_are_blocked() {
    let ci = repository();
    let head = ci.pull_request(|d| {
        git(d, &["mv", "models/victim", "models/victim-v2"]);
        git(
            d,
            &[
                "mv",
                "models/victim-v2/README.md",
                "models/victim-v2/card.txt",
            ],
        );
    });
    let r = check(&ci.clone, &ci.event(&head), &[]);
    assert_eq!(r.code, 1, "{}", r.doc);
    assert_eq!(r.gates("victim"), ["card-removed"], "{}", r.doc);
    let message = r.doc["models"][0]["findings"][0]["message"].to_string();
    assert!(
        message.contains("moved to `models/victim-v2/`"),
        "{message}"
    );
    // Moved with its card, the model is judged where it is now.
    let ci = repository();
    let head = ci.pull_request(|d| {
        git(d, &["mv", "models/victim", "models/victim-v2"]);
    });
    let r = check(&ci.clone, &ci.event(&head), &[]);
    assert_eq!(r.gates("victim"), ["owner-assigned"], "{}", r.doc);
    assert!(
        r.doc["removed"][0]["reason"].to_string().contains("moved"),
        "{}",
        r.doc
    );
}

#[test]
fn a_new_card_that_other_readers_see_is_never_passed_over() {
    let escaped = |d: &Path, name: &str| {
        let text = ownerless(name)
            .replacen("governance:", "\"go\\x76ernance\":", 1)
            .replacen("base_model:", "x_base:", 1)
            .replacen("model-index:", "x_index:", 1);
        put(d, &format!("models/{name}/README.md"), &text);
        d.join(format!("models/{name}/README.md"))
    };
    let variants: Vec<(&str, Edit)> = vec![
        (
            "a governance block behind U+2028 line breaks",
            Box::new(|d: &Path| {
                let card = ownerless("h1");
                let gov = card.split_once("governance:").unwrap().1;
                let gov = gov.split_once("\n---\n").unwrap().0;
                let text = format!(
                    "---\nlicense: mit # notes\u{2028}governance:{}\n---\n# h1\n",
                    gov.replace('\n', "\u{2028}")
                );
                put(d, "models/h1/README.md", &text);
            }),
        ),
        (
            "an escaped key beside an unsupported tag",
            Box::new(move |d: &Path| {
                let file = escaped(d, "h2");
                let text = std::fs::read_to_string(&file).unwrap();
                let text = text.replacen(
                    "license: mit",
                    "license: mit\ncreated: !!timestamp 2026-01-01",
                    1,
                );
                std::fs::write(file, text).unwrap();
            }),
        ),
        (
            "an escaped key beside a byte that is not UTF-8",
            Box::new(move |d: &Path| {
                let file = escaped(d, "h3");
                let mut bytes = std::fs::read(&file).unwrap();
                bytes.extend_from_slice(b"caf\xe9\n");
                std::fs::write(file, bytes).unwrap();
            }),
        ),
        (
            "a card larger than the bound",
            Box::new(|d: &Path| {
                let mut text = ownerless("h5");
                text.push_str(&"x".repeat(5 * 1024 * 1024));
                put(d, "models/h5/README.md", &text);
            }),
        ),
    ];
    for (what, edit) in variants {
        let ci = repository();
        let head = ci.pull_request(edit);
        let r = check(&ci.clone, &ci.event(&head), &[]);
        assert_eq!(r.code, 2, "{what}: {}", r.doc);
    }
    // A card under a file name that is not UTF-8 is a card all the same.
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let ci = repository();
        let head = ci.pull_request(|d| {
            let name = std::ffi::OsStr::from_bytes(b"README\xff.md");
            std::fs::create_dir_all(d.join("models/h4")).unwrap();
            std::fs::write(d.join("models/h4").join(name), ownerless("h4")).unwrap();
        });
        let r = check(&ci.clone, &ci.event(&head), &[]);
        assert_not_allowed(&r, "h4");
        assert_eq!(r.gates("h4"), ["owner-assigned"], "{}", r.doc);
    }
}
