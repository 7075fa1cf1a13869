//! Shared by the integration tests: reading the expectations a fixture states about itself,
//! and running the library check on one card.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of this module"
)]

pub(crate) mod server;

use std::path::{Path, PathBuf};

use aimsgate::check::{CheckOptions, check};
use aimsgate::date::Instant;
use aimsgate::error::EvidenceError;
use aimsgate::evaluate::RequestSpec;
use aimsgate::evidence::git::{GitFacts, Person};
use aimsgate::evidence::{ChangeSet, Evidence, Reviews};
use aimsgate::pack::Pack;
use aimsgate::report::{Action, Report};

/// The repository root (where `Cargo.toml` is).
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What a fixture says about itself, in lines such as `# expect: owner-assigned`
/// (also `<!-- key: value -->`, or a JSON string `"__x": "key: value"`).
#[derive(Debug, Default, Clone)]
pub(crate) struct Expectations {
    /// `aimsgate-test:` the request (`--action`, `--env`, `--now`).
    pub args: Vec<String>,
    /// `expect:` the exact set of gate ids (`none` for no finding).
    pub gates: Option<Vec<String>>,
    /// `decision:` allowed | blocked | error (default: blocked when gates are expected, else allowed).
    pub decision: Option<String>,
    /// `at:` gate:line pairs.
    pub at: Vec<(String, usize)>,
    /// `error-at:` the line of the first input error.
    pub error_at: Option<usize>,
    /// Evidence lines: `git: unavailable`, `git-tags:`, `tag-on-default-branch:` (true by
    /// default, `false` or `unknown`), `branch:`, `default-branch:`,
    /// `review:` (approvers, `none`, or `unavailable`), `policies-changed: true`.
    pub evidence: Vec<(String, String)>,
}

pub(crate) fn expectations(text: &str) -> Expectations {
    let mut e = Expectations::default();
    for line in text.lines() {
        let line = line.trim().trim_end_matches("-->").trim_end_matches(',');
        let line = line.trim().trim_end_matches('"');
        let body = if let Some(rest) = line.strip_prefix('#') {
            rest
        } else if let Some(rest) = line.strip_prefix("<!--") {
            rest
        } else if let Some((_, rest)) = line
            .split_once("\": \"")
            .filter(|_| line.starts_with("\"__"))
        {
            rest
        } else {
            continue;
        };
        let Some((key, value)) = body.trim().split_once(':') else {
            continue;
        };
        let value = value.trim();
        let list = || -> Vec<String> {
            value
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        };
        match key.trim() {
            "aimsgate-test" => e.args = value.split_whitespace().map(str::to_string).collect(),
            "expect" if value == "none" => e.gates = Some(Vec::new()),
            "expect" => {
                let mut g = list();
                g.sort();
                e.gates = Some(g);
            }
            "decision" => e.decision = Some(value.to_string()),
            "at" => {
                for pair in list() {
                    let (gate, line) = pair.rsplit_once(':').expect("at: gate:line");
                    e.at.push((gate.to_string(), line.parse().expect("a line number")));
                }
            }
            "error-at" => e.error_at = Some(value.parse().expect("a line number")),
            k @ ("git"
            | "git-tags"
            | "tag-on-default-branch"
            | "branch"
            | "default-branch"
            | "review"
            | "policies-changed") => {
                e.evidence.push((k.to_string(), value.to_string()));
            }
            _ => {}
        }
    }
    e
}

/// The request a fixture's `aimsgate-test:` line asks for.
pub(crate) fn request(args: &[String]) -> RequestSpec {
    let mut spec = RequestSpec {
        action: Action::Release,
        environment: None,
        now: Instant::parse("2026-11-20").expect("a date"),
        actor: "test".into(),
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().expect("a value after each flag");
        match flag.as_str() {
            "--action" if value == "deploy" => spec.action = Action::Deploy,
            "--action" => spec.action = Action::Release,
            "--env" => spec.environment = Some(value.clone()),
            "--now" => spec.now = Instant::parse(value).expect("--now"),
            other => panic!("unknown flag {other} in a fixture"),
        }
    }
    spec
}

/// The evidence a fixture states. Unless it says otherwise, the change is HEAD of `main`, the
/// default branch, with no tags, by `commit-author`, in pull request #7 by `pr-author`,
/// approved by two independent reviewers (`jane` and `omar`).
pub(crate) fn evidence(e: &Expectations) -> Evidence {
    let person = Person {
        name: "Commit Author".into(),
        email: "commit-author@acme.example".into(),
    };
    let mut git = GitFacts {
        root: root(),
        commit: "0".repeat(40),
        author: person.clone(),
        committer: person,
        time: Instant::parse("2026-11-19").expect("a date"),
        signed: false,
        trailers: Vec::new(),
        branch: Some("main".into()),
        tags: Vec::new(),
        origin_head: Some("main".into()),
        origin_url: None,
    };
    let mut reviews = Reviews {
        pr_number: 7,
        pr_author: "pr-author".into(),
        approvers: vec!["jane".into(), "omar".into()],
        stale_approvers: Vec::new(),
        changes_requested: Vec::new(),
        commit_author: Some("commit-author".into()),
    };
    let mut evidence = Evidence::unavailable("");
    let (mut git_ok, mut review_ok) = (true, true);
    let mut default_branch = Some("main".to_string());
    let mut tag_on_default: Result<bool, EvidenceError> = Ok(true);
    let list = |v: &str| -> Vec<String> {
        v.split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    };
    for (key, value) in &e.evidence {
        match (key.as_str(), value.as_str()) {
            ("git", "unavailable") => git_ok = false,
            ("git-tags", v) => git.tags = list(v),
            ("tag-on-default-branch", "unknown") => {
                tag_on_default = Err(EvidenceError::Unavailable(
                    "the fixture says it is unknown".into(),
                ));
            }
            ("tag-on-default-branch", v) => tag_on_default = Ok(v == "true"),
            ("branch", v) => git.branch = Some(v.to_string()),
            ("default-branch", "none") => default_branch = None,
            ("default-branch", v) => default_branch = Some(v.to_string()),
            ("review", "unavailable") => review_ok = false,
            ("review", "none") => reviews.approvers.clear(),
            ("review", v) => reviews.approvers = list(v),
            ("policies-changed", "true") => {
                evidence.change = Some(ChangeSet {
                    base: "main".into(),
                    base_ref: aimsgate::evidence::git::Resolved {
                        given: "main".into(),
                        full: Some("refs/heads/main".into()),
                        commit: "1".repeat(40),
                    },
                    merge_base: "1".repeat(40),
                    files: ["policies/gates/owner-assigned.cedar".to_string()].into(),
                    submodules: Default::default(),
                    before: Vec::new(),
                    moved: Vec::new(),
                });
                evidence.policies_changed = true;
            }
            (k, v) => panic!("unknown evidence line `{k}: {v}` in a fixture"),
        }
    }
    evidence.git = if git_ok {
        Ok(git)
    } else {
        Err(EvidenceError::Unavailable(
            "the fixture says git evidence is unavailable".into(),
        ))
    };
    evidence.review = if review_ok {
        Ok(reviews)
    } else {
        Err(EvidenceError::Unavailable(
            "the fixture says reviews are unavailable".into(),
        ))
    };
    evidence.default_branch = default_branch;
    let tagged = git_ok && !evidence.git.as_ref().is_ok_and(|g| g.tags.is_empty());
    evidence.tag_reachable = if tagged {
        tag_on_default.map(Some)
    } else {
        Ok(None)
    };
    evidence
}

/// Checks one card with the embedded pack, as its expectations ask.
pub(crate) fn check_card(pack: &Pack, card: &Path, e: &Expectations) -> Report {
    check(
        pack,
        &CheckOptions {
            paths: vec![card.to_path_buf()],
            request: request(&e.args),
            cwd: root(),
            evidence: evidence(e),
            governance: None,
        },
    )
}

/// Every file below `dir`, sorted.
pub(crate) fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("a readable fixtures dir") {
            let p = entry.expect("an entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Runs the real `aimsgate` in `dir` with an environment of `PATH` and `env` only; never a
/// panic (exit 101). Returns the exit code, standard output and standard error.
pub(crate) fn binary(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_aimsgate"));
    cmd.args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("the binary runs");
    let code = out.status.code().expect("an exit code, not a signal");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_ne!(code, 101, "the binary panicked: {stderr}");
    (
        code,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    )
}

/// The default pack copied into a scratch folder, with `edit` applied to one gate's file.
pub(crate) fn pack_with(gate: &str, edit: impl Fn(String) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    for file in files(&root().join("policies")) {
        let rel = file
            .strip_prefix(root().join("policies"))
            .expect("under policies");
        let target = dir.path().join(rel);
        std::fs::create_dir_all(target.parent().expect("a parent")).expect("mkdir");
        let text = std::fs::read_to_string(&file).expect("readable");
        let text = if rel.ends_with(format!("{gate}.cedar")) {
            edit(text)
        } else {
            text
        };
        std::fs::write(target, text).expect("write");
    }
    dir
}

// ---- git repositories built by the tests ---------------------------------------------------

use git2::{Oid, Repository, RepositoryInitOptions, Signature};

/// A repository on branch `main` in a fresh temporary folder.
pub(crate) fn repo() -> (tempfile::TempDir, Repository) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let repo = Repository::init_opts(
        dir.path(),
        RepositoryInitOptions::new().initial_head("main"),
    )
    .expect("git init");
    (dir, repo)
}

pub(crate) fn write(repo: &Repository, path: &str, content: &[u8]) {
    let full = repo.workdir().expect("a work tree").join(path);
    std::fs::create_dir_all(full.parent().expect("a parent")).expect("mkdir");
    std::fs::write(full, content).expect("write");
}

/// Commits every file of the work tree on HEAD, as `author`.
pub(crate) fn commit(repo: &Repository, message: &str, author: (&str, &str)) -> Oid {
    let mut index = repo.index().expect("index");
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .expect("add");
    index.update_all(["*"], None).expect("update");
    index.write().expect("write index");
    let tree = repo
        .find_tree(index.write_tree().expect("tree"))
        .expect("tree");
    let sig = Signature::now(author.0, author.1).expect("signature");
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
        .expect("commit")
}

/// Points `refs/remotes/origin/<branch>` at HEAD, as a clone's remote-tracking branch would:
/// the protected ref that CI names in full.
pub(crate) fn track_origin(repo: &Repository, branch: &str) {
    let head = repo
        .head()
        .expect("HEAD")
        .peel_to_commit()
        .expect("a commit");
    repo.reference(
        &format!("refs/remotes/origin/{branch}"),
        head.id(),
        true,
        "as fetched",
    )
    .expect("remote-tracking ref");
}
