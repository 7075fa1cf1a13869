//! Finds model cards: files named on the command line, and under directories every
//! `model-card.{yaml,yml,json}` and every Markdown file whose front matter makes it a card.
//!
//! In a git repository the candidates are what git tracks — the index, and the index of every
//! checked-out submodule — whatever any ignore file says, plus untracked files that git's own
//! ignore rules do not exclude: a change cannot hide a committed card by listing it in
//! `.gitignore`, `.ignore` or `.git/info/exclude`. Outside a repository every file is walked.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use git2::{Oid, Repository, StatusOptions};

use crate::card::{self, Card, Keys};
use crate::error::{CardError, EvidenceError, InputError, IoError, Kind};

/// The root that paths in reports are relative to: the enclosing git repository's work tree,
/// or `cwd` outside a repository.
pub fn repository_root(cwd: &Path) -> PathBuf {
    let mut dir = Some(cwd);
    while let Some(d) = dir {
        if d.join(".git").exists() {
            return d.to_path_buf();
        }
        dir = d.parent();
    }
    cwd.to_path_buf()
}

/// `path` made absolute against `cwd`, with `.` and `..` resolved lexically.
pub fn absolute(cwd: &Path, path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in cwd.join(path).components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// How a path is shown: relative to `root` with `/`, or as given when outside it.
pub fn display(root: &Path, abs: &Path, given: &Path) -> String {
    match abs.strip_prefix(root) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
        Ok(_) => ".".to_string(),
        Err(_) => given.to_string_lossy().into_owned(),
    }
}

/// Whether a file may be a card by its name.
pub fn card_name(name: &str) -> bool {
    matches!(
        name,
        "model-card.yaml" | "model-card.yml" | "model-card.json"
    ) || Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("md"))
}

fn candidate(path: &Path) -> bool {
    // Read lossily: a file name that is not UTF-8 may still be a card's.
    path.file_name()
        .is_some_and(|n| card_name(&n.to_string_lossy()))
}

/// Where a tracked candidate's committed content is: the blob the index lists, in the
/// repository (a submodule's, for a file inside one) whose work tree is `repo`.
#[derive(Debug, Clone)]
pub struct Tracked {
    pub repo: Arc<PathBuf>,
    pub blob: Oid,
    /// Why the checked-out file cannot stand for the blob: a `.gitattributes` entry that
    /// transforms it on checkout (`working-tree-encoding`, `filter`, `ident`). Git and GitHub
    /// show the blob; the run would read something else.
    pub transformed: Option<String>,
}

/// Attributes that make a checked-out file differ from its blob in more than line endings.
const TRANSFORMING: &[&str] = &["working-tree-encoding", "filter", "ident"];

/// Whether any `.gitattributes` git tracks mentions a transforming attribute: if none does,
/// no file needs asking (a cheap test before a per-file one).
fn mentions_transforms(repo: &Repository, index: &git2::Index) -> bool {
    index.iter().any(|e| {
        e.path.ends_with(b".gitattributes")
            && repo.find_blob(e.id).is_ok_and(|b| {
                let text = String::from_utf8_lossy(b.content());
                TRANSFORMING.iter().any(|a| text.contains(a))
            })
    })
}

/// The transforming attributes `.gitattributes` gives `rel`, as `name=value` words.
fn transforms(repo: &Repository, rel: &Path) -> Option<String> {
    let set: Vec<String> = TRANSFORMING
        .iter()
        .filter_map(|name| {
            let value = repo
                .get_attr_bytes(rel, name, git2::AttrCheckFlags::FILE_THEN_INDEX)
                .ok()?;
            match git2::AttrValue::from_bytes(value) {
                git2::AttrValue::True => Some((*name).to_string()),
                git2::AttrValue::String(v) => Some(format!("{name}={v}")),
                git2::AttrValue::Bytes(v) => Some(format!("{name}={}", String::from_utf8_lossy(v))),
                git2::AttrValue::False | git2::AttrValue::Unspecified => None,
            }
        })
        .collect();
    (!set.is_empty()).then(|| set.join(", "))
}

/// How many bytes of cards one run reads at most: each card is bounded, and so is their sum,
/// since the run keeps every judged card's text to quote it. Far above a monorepo of 10,000
/// ordinary cards (35 MB); far below what would exhaust a CI runner's memory.
pub const MAX_TOTAL_CARD_BYTES: u64 = 512 * 1024 * 1024;

/// The bytes of cards a run may still read, shared by the threads that read them.
#[derive(Debug)]
pub struct Budget(std::sync::atomic::AtomicU64);

impl Default for Budget {
    fn default() -> Self {
        Budget(std::sync::atomic::AtomicU64::new(MAX_TOTAL_CARD_BYTES))
    }
}

impl Budget {
    /// Takes `bytes` from the budget, or says that the run's cards are too large together.
    pub fn spend(&self, bytes: u64) -> Result<(), IoError> {
        use std::sync::atomic::Ordering;
        self.0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(bytes)
            })
            .map(|_| ())
            .map_err(|_| {
                IoError::TooLarge(format!(
                    "the cards of this run total more than {} MiB: it is refused rather than read",
                    MAX_TOTAL_CARD_BYTES / (1024 * 1024)
                ))
            })
    }
}

/// A file that may be a card.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub file: PathBuf,
    /// How it is shown: relative to the repository root.
    pub shown: String,
    /// Named on the command line (then a Markdown file is a card even without governance).
    pub explicit: bool,
    /// For a file git tracks: its blob in the index.
    pub tracked: Option<Tracked>,
    /// The repository's root, canonical: a card that is a symbolic link is read only when
    /// it leads to a file inside it.
    root: Arc<PathBuf>,
}

/// What reading a candidate gave.
#[derive(Debug)]
pub enum Loaded {
    Card(Box<Card>),
    /// Not a card; `changed` when git tracks it and the work tree's bytes are not the
    /// committed blob's (the committed version must then be looked at: it may be a card).
    NotACard {
        changed: bool,
    },
}

impl Candidate {
    /// Reads and parses it. A symbolic link is followed only to a regular file inside the
    /// repository, and a path that is not a regular file (a FIFO, a device) is refused rather
    /// than opened: anything else where a card may be is an error, never "not a card".
    pub fn load(&self, keys: &Keys, budget: &Budget) -> Result<Loaded, Vec<InputError>> {
        let one = |k: Kind, help: &str| vec![InputError::new(Some(&self.shown), k).with_help(help)];
        let link = std::fs::symlink_metadata(&self.file).map_err(|e| {
            one(
                IoError::Read(format!("cannot read: {e}")).into(),
                "name a card that exists",
            )
        })?;
        if link.file_type().is_symlink() {
            let inside = self
                .file
                .canonicalize()
                .is_ok_and(|target| target.starts_with(self.root.as_path()));
            if !inside {
                return Err(one(
                    IoError::Link("is a symbolic link that leads outside the repository (or nowhere); it is not followed".into()).into(),
                    "a card must be a file inside the repository; replace the link with the card itself",
                ));
            }
        }
        let meta = std::fs::metadata(&self.file).map_err(|e| {
            one(
                IoError::Read(format!("cannot read: {e}")).into(),
                "name a card that exists",
            )
        })?;
        if !meta.is_file() {
            return Err(one(
                IoError::NotAFile("is not a regular file (a FIFO, a device or a socket cannot be a card); it is not opened".into()).into(),
                "a card must be a regular file",
            ));
        }
        if let Some(attrs) = self.tracked.as_ref().and_then(|t| t.transformed.as_ref()) {
            return Err(one(
                CardError::Encoding(format!(
                    "`.gitattributes` gives this file `{attrs}`, so the checked-out file is not what git holds and GitHub shows; a card is judged as git holds it"
                )).into(),
                "remove the attribute for model cards (keep cards as plain UTF-8 files in git)",
            ));
        }
        budget
            .spend(meta.len().min(card::MAX_CARD_BYTES + 1))
            .map_err(|e| {
                one(
                    e.into(),
                    "check fewer cards at once (name folders), or make the cards smaller",
                )
            })?;
        let bytes = card::read_bytes(&self.file, &self.shown)?;
        let changed = self.tracked.as_ref().is_some_and(|t| {
            Oid::hash_object(git2::ObjectType::Blob, &bytes).is_ok_and(|oid| oid != t.blob)
        });
        match card::from_bytes(bytes, &self.file, &self.shown, self.explicit, keys)? {
            Some(c) => Ok(Loaded::Card(Box::new(c))),
            None => Ok(Loaded::NotACard { changed }),
        }
    }
}

/// The files under `paths` (the repository root when empty) that may be cards, in path order,
/// each once, and what could not be listed. Nothing is read yet.
///
/// A submodule that is not checked out is an error — the cards inside it cannot be judged —
/// unless it is one of `opaque` (repository-relative paths the protected configuration says
/// hold no model cards).
pub fn candidates(
    cwd: &Path,
    root: &Path,
    paths: &[PathBuf],
    opaque: &[String],
) -> (Vec<Candidate>, Vec<InputError>) {
    let mut errors = Vec::new();
    let canonical_root = Arc::new(root.canonicalize().unwrap_or_else(|_| root.to_path_buf()));
    let targets: Vec<PathBuf> = if paths.is_empty() {
        vec![root.to_path_buf()]
    } else {
        paths.to_vec()
    };
    let mut named = Vec::new();
    let mut dirs = Vec::new();
    for given in &targets {
        let abs = absolute(cwd, given);
        let shown = display(root, &abs, given);
        match std::fs::metadata(&abs) {
            Ok(m) if m.is_dir() => dirs.push((abs, shown)),
            // A named file (or link, or FIFO) is a candidate; reading it says what it is.
            Ok(_) => named.push((abs, shown)),
            Err(_) if std::fs::symlink_metadata(&abs).is_ok() => named.push((abs, shown)),
            Err(e) => errors.push(InputError::new(
                Some(&shown),
                IoError::Read(format!("cannot read: {e}")),
            )),
        }
    }
    let mut found: Vec<(PathBuf, String, Option<Tracked>)> = Vec::new();
    if !dirs.is_empty() {
        let git = root.join(".git");
        if std::fs::symlink_metadata(&git).is_ok() {
            match Repository::open(root) {
                Ok(repo) => {
                    let scope: Vec<&Path> = dirs.iter().map(|(d, _)| d.as_path()).collect();
                    if let Err(e) = from_git(&repo, root, &scope, opaque, &mut found) {
                        errors.push(e);
                    }
                }
                Err(e) => errors.push(InputError::new(
                    Some(".git"),
                    EvidenceError::Git(format!(
                        "the git repository cannot be opened ({}), so the files it tracks cannot be listed",
                        e.message()
                    )),
                )),
            }
        } else {
            for (dir, shown) in &dirs {
                walk(root, dir, shown, &mut found, &mut errors);
            }
        }
    }
    // A file named twice, or named and also found under a directory, is read once; named wins.
    let tracked_by_path: std::collections::HashMap<PathBuf, Tracked> = found
        .iter()
        .filter_map(|(p, _, t)| t.clone().map(|t| (p.clone(), t)))
        .collect();
    let mut files: Vec<(PathBuf, String, bool)> = named
        .into_iter()
        .map(|(p, s)| (p, s, true))
        .chain(found.into_iter().map(|(p, s, _)| (p, s, false)))
        .collect();
    files.sort_by(|a, b| (&a.0, !a.2).cmp(&(&b.0, !b.2)));
    let mut seen = HashSet::new();
    files.retain(|(p, _, _)| seen.insert(p.clone()));
    let candidates = files
        .into_iter()
        .map(|(file, shown, explicit)| Candidate {
            tracked: tracked_by_path.get(&file).cloned(),
            file,
            shown,
            explicit,
            root: Arc::clone(&canonical_root),
        })
        .collect();
    errors.sort_by_key(InputError::message);
    (candidates, errors)
}

/// The candidates git knows under `scope`: every tracked file with a card's name (in the
/// index of `repo` and, recursively, of each checked-out submodule), and every untracked one
/// that git's ignore rules do not exclude. A tracked file missing from the work tree (deleted
/// and not yet committed, or outside a sparse checkout) is not a candidate: `--changed-since`
/// reports a card that went missing.
fn from_git(
    repo: &Repository,
    root: &Path,
    scope: &[&Path],
    opaque: &[String],
    out: &mut Vec<(PathBuf, String, Option<Tracked>)>,
) -> Result<(), InputError> {
    let Some(work) = repo.workdir().map(Path::to_path_buf) else {
        return Ok(());
    };
    let fail = |what: &str, e: git2::Error| {
        InputError::new(
            Some(&display(root, &work, &work)),
            EvidenceError::Git(format!("cannot read git's {what} ({})", e.message())),
        )
    };
    let in_scope = |p: &Path| scope.iter().any(|s| p.starts_with(s) || s.starts_with(p));
    let this = Arc::new(work.clone());
    let index = repo.index().map_err(|e| fail("index", e))?;
    let transforming = mentions_transforms(repo, &index);
    let mut listed = HashSet::new();
    for entry in index.iter() {
        let rel = path_of(&entry.path);
        if !listed.insert(rel.clone()) {
            continue; // another stage of a conflicted file
        }
        let abs = work.join(&rel);
        if !in_scope(&abs) {
            continue;
        }
        const GITLINK: u32 = 0o160_000;
        if entry.mode & 0o170_000 == GITLINK {
            // A submodule: its own index lists its files. One that is not checked out could
            // hold any card; it is an error unless the configuration says it holds none.
            let shown = display(root, &abs, &abs);
            match Repository::open(&abs) {
                Ok(sub)
                    if sub
                        .workdir()
                        .is_some_and(|w| w == abs.as_path() || w == abs.join("")) =>
                {
                    from_git(&sub, root, scope, opaque, out)?;
                }
                _ if opaque.iter().any(|o| o.trim_end_matches('/') == shown) => {}
                _ => {
                    return Err(InputError::new(
                        Some(&shown),
                        CardError::Missing(
                            "is a submodule that is not checked out: the model cards inside it cannot be judged".into(),
                        ),
                    )
                    .with_help("check out submodules (actions/checkout with `submodules: recursive`), or, if it holds no model, list it under `submodules_without_cards` in the protected branch's .aimsgate/config.yaml"));
                }
            }
            continue;
        }
        if !candidate(&abs)
            || !scope.iter().any(|s| abs.starts_with(s))
            || std::fs::symlink_metadata(&abs).is_err()
        {
            continue;
        }
        let shown = display(root, &abs, &abs);
        let transformed = if transforming {
            transforms(repo, &rel)
        } else {
            None
        };
        out.push((
            abs,
            shown,
            Some(Tracked {
                repo: Arc::clone(&this),
                blob: entry.id,
                transformed,
            }),
        ));
    }
    let mut options = StatusOptions::new();
    options
        .include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false)
        .exclude_submodules(true)
        .include_unmodified(false);
    let statuses = repo
        .statuses(Some(&mut options))
        .map_err(|e| fail("status", e))?;
    for s in statuses.iter() {
        if !s.status().contains(git2::Status::WT_NEW) {
            continue;
        }
        let abs = work.join(path_of(s.path_bytes()));
        if candidate(&abs) && scope.iter().any(|d| abs.starts_with(d)) {
            let shown = display(root, &abs, &abs);
            out.push((abs, shown, None));
        }
    }
    Ok(())
}

/// A path as git stores it (bytes, `/`-separated), as a path of this system.
#[cfg(unix)]
fn path_of(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

#[cfg(not(unix))]
fn path_of(bytes: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}

/// Outside a repository: every file under `dir` with a card's name (links included, which
/// reading resolves), on every core. No ignore file applies: nothing here is git's to ignore.
fn walk(
    root: &Path,
    dir: &Path,
    shown: &str,
    out: &mut Vec<(PathBuf, String, Option<Tracked>)>,
    errors: &mut Vec<InputError>,
) {
    let found = Mutex::new((Vec::new(), Vec::new()));
    ignore::WalkBuilder::new(dir)
        .hidden(false)
        .ignore(false)
        .git_ignore(false)
        .git_global(false)
        .git_exclude(false)
        .parents(false)
        .filter_entry(|e| e.file_name() != ".git")
        .build_parallel()
        .run(|| {
            Box::new(|entry| {
                let lock = || found.lock().unwrap_or_else(PoisonError::into_inner);
                match entry {
                    Ok(e) if e.file_type().is_some_and(|t| !t.is_dir()) && candidate(e.path()) => {
                        let p = e.path().to_path_buf();
                        let shown = display(root, &p, &p);
                        lock().0.push((p, shown, None));
                    }
                    Ok(_) => {}
                    Err(e) => lock().1.push(InputError::new(
                        Some(shown),
                        IoError::Read(format!("cannot walk the directory: {e}")),
                    )),
                }
                ignore::WalkState::Continue
            })
        });
    let (walked, walk_errors) = found.into_inner().unwrap_or_else(PoisonError::into_inner);
    out.extend(walked);
    errors.extend(walk_errors);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_cards_of_a_run_are_bounded_together() {
        let budget = Budget::default();
        let card = crate::card::MAX_CARD_BYTES;
        let fits = MAX_TOTAL_CARD_BYTES / card;
        for _ in 0..fits {
            assert!(budget.spend(card).is_ok());
        }
        let e = budget.spend(card).unwrap_err();
        assert!(
            matches!(&e, IoError::TooLarge(m) if m.contains("total more than 512 MiB")),
            "{e}"
        );
        assert!(budget.spend(0).is_ok(), "nothing more is taken");
    }
}
