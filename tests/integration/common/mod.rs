//! Shared by the integration tests: the fixture cases, files, the binary, scratch repositories.

pub(crate) mod runner;
pub(crate) mod server;

pub(crate) use runner::{Aimsgate, Run};

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use aimsgate::yaml::{Node, Value};

/// The repository root (where `Cargo.toml` is).
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The cases of `fixtures/cases.yaml`: each fixture card (relative to `fixtures/`) and the
/// gates its case expects.
pub(crate) fn fixture_cases() -> Vec<(String, BTreeSet<String>)> {
    let text: std::sync::Arc<str> =
        std::sync::Arc::from(std::fs::read_to_string(root().join("fixtures/cases.yaml")).unwrap());
    let doc = aimsgate::yaml::parse_file("fixtures/cases.yaml", &text)
        .expect("fixtures/cases.yaml is YAML")
        .expect("a document");
    let scalar = |n: &Node| match &n.value {
        Value::Scalar { text, .. } => text.clone(),
        _ => String::new(),
    };
    let Some(Value::Seq(cases)) = doc.get("cases").map(|e| &e.value.value) else {
        panic!("fixtures/cases.yaml has no `cases` list");
    };
    cases
        .iter()
        .map(|case| {
            let card = case
                .get("card_file")
                .map(|e| scalar(&e.value))
                .unwrap_or_default();
            let gates = match case
                .get("expect")
                .and_then(|e| e.value.get("gates"))
                .map(|e| &e.value.value)
            {
                Some(Value::Seq(items)) => items.iter().map(scalar).collect(),
                _ => BTreeSet::new(),
            };
            (card, gates)
        })
        .collect()
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

/// A standalone YAML card as a Markdown card's front matter and body: its
/// `governance.documentation` (which a Markdown card may not hold) becomes the body's sections.
/// `yaml` starts with a comment line, which is dropped.
pub(crate) fn markdown_of(yaml: &str, title: &str) -> String {
    let mut front = String::new();
    let mut body = format!("# {title}\n");
    let mut in_docs = false;
    for line in yaml.lines().skip(1) {
        if line.starts_with("  documentation:") {
            in_docs = true;
            continue;
        }
        if in_docs && line.starts_with("    ") {
            let (key, value) = line.trim().split_once(": ").expect("a documentation entry");
            let heading = match key {
                "training_details" => "Training Details",
                "evaluation" => "Evaluation",
                "how_to_get_started" => "How to Get Started with the Model",
                "bias_risks_limitations" => "Bias, Risks, and Limitations",
                other => panic!("no heading for `{other}`"),
            };
            body.push_str(&format!("\n## {heading}\n\n{}\n", value.trim_matches('"')));
            continue;
        }
        in_docs = false;
        if line
            .trim_start()
            .starts_with("# A standalone card has no Markdown body")
        {
            continue;
        }
        front.push_str(line);
        front.push('\n');
    }
    format!("---\n{front}---\n{body}")
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
