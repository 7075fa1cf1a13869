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

use git2::{Oid, Repository};

use crate::card::{self, Card, Keys};

mod git;

use crate::error::{CardError, EvidenceError, InputError, IoError, Kind};
use crate::span::Span;
use git::{from_git, untracked_in};
pub(crate) use git::{path_of, untracked_files};

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
    /// Gives back `bytes` taken for a card that is read again (see
    /// [`Candidate::identify_charging`]).
    pub fn refund(&self, bytes: u64) {
        self.0
            .fetch_add(bytes, std::sync::atomic::Ordering::Relaxed);
    }

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
pub enum Loaded<T = Box<Card>> {
    /// A card: read whole, or only its identity.
    Card(T),
    /// Not a card; `changed` when git tracks it and the work tree's bytes are not the
    /// committed blob's (the committed version must then be looked at: it may be a card).
    NotACard { changed: bool },
}

impl Candidate {
    /// Reads and parses it. A symbolic link is followed only to a regular file inside the
    /// repository, and a path that is not a regular file (a FIFO, a device) is refused rather
    /// than opened: anything else where a card may be is an error, never "not a card".
    pub fn load(&self, keys: &Keys, budget: &Budget) -> Result<Loaded, Vec<InputError>> {
        self.read(budget, &mut 0, |bytes| {
            Ok(
                card::from_bytes(bytes, &self.file, &self.shown, self.explicit, keys)?
                    .map(Box::new),
            )
        })
    }

    /// Whether it is a symbolic link (as far as can be told: an error is not a link).
    pub fn is_link(&self) -> bool {
        std::fs::symlink_metadata(&self.file).is_ok_and(|m| m.file_type().is_symlink())
    }

    /// Reads it for the identity of the card it is, as [`Candidate::load`] reads it whole
    /// (see [`card::identity_of`]).
    pub fn identify(
        &self,
        keys: &Keys,
        budget: &Budget,
        ids: &card::ids::IdIndex,
    ) -> Result<Loaded<card::Identity>, Vec<InputError>> {
        self.identify_charging(keys, budget, ids, &mut 0)
    }

    /// [`Candidate::identify`], saying what it took from `budget` (in `charged`): a run that
    /// reads the card whole after all gives it back ([`Budget::refund`]).
    pub fn identify_charging(
        &self,
        keys: &Keys,
        budget: &Budget,
        ids: &card::ids::IdIndex,
        charged: &mut u64,
    ) -> Result<Loaded<card::Identity>, Vec<InputError>> {
        self.read(budget, charged, |bytes| {
            card::identity_of(bytes, &self.file, &self.shown, self.explicit, keys, ids)
        })
    }

    /// Its text read again, to quote at `span` what an earlier read found there; `None` when
    /// it can no longer be read as text holding that span (it changed or went meanwhile).
    pub fn text_again(&self, span: Span) -> Option<Arc<str>> {
        let read = self.read(&Budget::default(), &mut 0, |bytes| {
            Ok(String::from_utf8(bytes).map_err(std::string::FromUtf8Error::into_bytes))
        });
        match read {
            Ok(Loaded::Card(text))
                if span.end <= text.len()
                    && text.is_char_boundary(span.start.offset)
                    && text.is_char_boundary(span.end) =>
            {
                Some(Arc::from(text))
            }
            _ => None,
        }
    }

    /// Reads its bytes and makes of them what `make` does: a card (of some kind), or its
    /// bytes back when they are not one.
    fn read<T>(
        &self,
        budget: &Budget,
        charged: &mut u64,
        make: impl FnOnce(Vec<u8>) -> Result<Result<T, Vec<u8>>, Vec<InputError>>,
    ) -> Result<Loaded<T>, Vec<InputError>> {
        let one = |k: Kind, help: &str| vec![InputError::new(Some(&self.shown), k).with_help(help)];
        let link = match std::fs::symlink_metadata(&self.file) {
            Ok(link) => link,
            // A file git tracks that the work tree lacks (deleted and not yet committed, or
            // outside a sparse checkout) is not there to be a card: `--changed-since` reports
            // a card that went missing.
            Err(e)
                if !self.explicit
                    && self.tracked.is_some()
                    && matches!(
                        e.kind(),
                        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                    ) =>
            {
                return Ok(Loaded::NotACard { changed: false });
            }
            Err(e) => {
                return Err(one(
                    IoError::Read(format!("cannot read: {e}")).into(),
                    "name a card that exists",
                ));
            }
        };
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
        // What a link leads to is looked at anew; anything else was looked at already.
        let meta = if link.file_type().is_symlink() {
            std::fs::metadata(&self.file).map_err(|e| {
                one(
                    IoError::Read(format!("cannot read: {e}")).into(),
                    "name a card that exists",
                )
            })?
        } else {
            link
        };
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
        let size = meta.len().min(card::MAX_CARD_BYTES + 1);
        budget
            .spend(size)
            .inspect(|()| *charged = size)
            .map_err(|e| {
                one(
                    e.into(),
                    "check fewer cards at once (name folders), or make the cards smaller",
                )
            })?;
        let bytes = card::read_bytes(&self.file, &self.shown)?;
        match make(bytes)? {
            Ok(c) => Ok(Loaded::Card(c)),
            // Whether the work tree's bytes are the committed blob's matters only for a file
            // that is not a card now (its committed version may be one): hashed only then.
            Err(bytes) => Ok(Loaded::NotACard {
                changed: self.tracked.as_ref().is_some_and(|t| {
                    Oid::hash_object(git2::ObjectType::Blob, &bytes).is_ok_and(|oid| oid != t.blob)
                }),
            }),
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
    let (mut candidates, mut errors, untracked) = tracked(cwd, root, paths, opaque);
    let (more, more_errors) = untracked.finish(&candidates);
    if !more.is_empty() {
        candidates.extend(more);
        candidates.sort_by(|a, b| a.file.cmp(&b.file));
    }
    if !more_errors.is_empty() {
        errors.extend(more_errors);
        errors.sort_by_key(InputError::message);
    }
    (candidates, errors)
}

/// Two lists of candidates (each in path order, with what was made of each) as one, in path
/// order.
pub fn merge<T>(first: Vec<(Candidate, T)>, second: Vec<(Candidate, T)>) -> Vec<(Candidate, T)> {
    let mut all = first;
    all.extend(second);
    all.sort_by(|a, b| a.0.file.cmp(&b.0.file));
    all
}

/// The untracked candidates (those git's ignore rules leave in), found on a thread of their own while the
/// tracked ones are read: listing them walks the whole work tree.
#[derive(Debug)]
pub struct Untracked {
    job: Option<std::thread::JoinHandle<git::Listing>>,
    root: Arc<PathBuf>,
    /// The repository's own work tree, when its untracked files are left to the caller (see
    /// [`tracked_but_top`]): with the repository's root and the folders in scope.
    top: Option<(PathBuf, PathBuf, Vec<PathBuf>)>,
}

impl Untracked {
    /// The untracked candidates (in path order; none that is already among `known`, which
    /// named files are), and what could not be listed.
    pub fn finish(self, known: &[Candidate]) -> (Vec<Candidate>, Vec<InputError>) {
        self.finish_with(known, None)
    }

    /// [`Untracked::finish`], given the untracked files of the repository's own work tree
    /// when they are known (`listed`: paths relative to it, as git's status of the work tree
    /// lists them; see [`tracked_but_top`]). Not known, they are listed here.
    pub fn finish_with(
        self,
        known: &[Candidate],
        listed: Option<&[Vec<u8>]>,
    ) -> (Vec<Candidate>, Vec<InputError>) {
        let (mut found, mut errors) = match self.job {
            Some(job) => job.join().unwrap_or_else(|_| {
            (
                Vec::new(),
                vec![InputError::new(
                    None,
                    EvidenceError::Git(
                        "internal: listing the untracked files failed, so cards not yet added to git cannot be found"
                            .into(),
                    ),
                )],
                )
            }),
            None => (Vec::new(), Vec::new()),
        };
        if let Some((work, root, scope)) = self.top {
            match listed {
                Some(listed) => found.extend(
                    listed
                        .iter()
                        // A repository of its own (`dir/`) holds no card of this one.
                        .filter(|rel| !rel.ends_with(b"/"))
                        .map(|rel| work.join(path_of(rel)))
                        .filter(|abs| candidate(abs) && scope.iter().any(|s| abs.starts_with(s)))
                        .map(|abs| {
                            let shown = display(&root, &abs, &abs);
                            (abs, shown)
                        }),
                ),
                None => {
                    let (more, more_errors) = untracked_in(&[work], &root, &scope);
                    found.extend(more);
                    errors.extend(more_errors);
                }
            }
        }
        let known: HashSet<&Path> = known.iter().map(|c| c.file.as_path()).collect();
        let mut more: Vec<Candidate> = found
            .into_iter()
            .filter(|(file, _)| !known.contains(file.as_path()))
            .map(|(file, shown)| Candidate {
                file,
                shown,
                explicit: false,
                tracked: None,
                root: Arc::clone(&self.root),
            })
            .collect();
        more.sort_by(|a, b| a.file.cmp(&b.file));
        more.dedup_by(|a, b| a.file == b.file);
        (more, errors)
    }
}

/// The candidates known without walking the work tree — files named, and in a git repository
/// the files its index (and each checked-out submodule's) tracks — in path order, each once,
/// with what could not be listed; and the untracked ones, being found meanwhile. Nothing is
/// read yet.
pub fn tracked(
    cwd: &Path,
    root: &Path,
    paths: &[PathBuf],
    opaque: &[String],
) -> (Vec<Candidate>, Vec<InputError>, Untracked) {
    listed(cwd, root, paths, opaque, true)
}

/// [`tracked`], but the untracked files of the repository's own work tree (not those of its
/// submodules) are not listed meanwhile: a `--changed-since` run has them from git's status of
/// the work tree, which it reads anyway ([`Untracked::finish_with`]).
pub fn tracked_but_top(
    cwd: &Path,
    root: &Path,
    paths: &[PathBuf],
    opaque: &[String],
) -> (Vec<Candidate>, Vec<InputError>, Untracked) {
    listed(cwd, root, paths, opaque, false)
}

fn listed(
    cwd: &Path,
    root: &Path,
    paths: &[PathBuf],
    opaque: &[String],
    top: bool,
) -> (Vec<Candidate>, Vec<InputError>, Untracked) {
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
    let mut untracked = Untracked {
        job: None,
        root: Arc::clone(&canonical_root),
        top: None,
    };
    if !dirs.is_empty() {
        let git = root.join(".git");
        if std::fs::symlink_metadata(&git).is_ok() {
            match Repository::open(root) {
                Ok(repo) => {
                    let scope: Vec<&Path> = dirs.iter().map(|(d, _)| d.as_path()).collect();
                    let mut repos = Vec::new();
                    if let Err(e) = from_git(&repo, root, &scope, opaque, &mut found, &mut repos) {
                        errors.push(e);
                    }
                    let scope: Vec<PathBuf> = dirs.iter().map(|(d, _)| d.clone()).collect();
                    let root = root.to_path_buf();
                    if !top && let Some(at) = repo.workdir().and_then(|w| {
                        repos.iter().position(|r| r.as_path() == w)
                    }) {
                        let work = repos.remove(at);
                        untracked.top = Some((work, root.clone(), scope.clone()));
                    }
                    if !repos.is_empty() {
                        untracked.job = Some(std::thread::spawn(move || {
                            untracked_in(&repos, &root, &scope)
                        }));
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
    // A file named twice, or named and also found under a directory, is read once; named wins
    // (and knows what git tracks of it).
    let mut candidates: Vec<Candidate> = named
        .into_iter()
        .map(|(file, shown)| (file, shown, true, None))
        .chain(
            found
                .into_iter()
                .map(|(file, shown, t)| (file, shown, false, t)),
        )
        .map(|(file, shown, explicit, tracked)| Candidate {
            file,
            shown,
            explicit,
            tracked,
            root: Arc::clone(&canonical_root),
        })
        .collect();
    candidates.sort_by(|a, b| (&a.file, !a.explicit).cmp(&(&b.file, !b.explicit)));
    candidates.dedup_by(|later, first| {
        let same = later.file == first.file;
        if same && first.tracked.is_none() {
            first.tracked = later.tracked.take();
        }
        same
    });
    errors.sort_by_key(InputError::message);
    (candidates, errors, untracked)
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
    use super::git::path_of;
    use super::*;

    /// The walk finds exactly the untracked cards `git status` (libgit2's) lists, in a work
    /// tree that has every case the walk decides: ignored folders and files, a re-included
    /// file under an ignored folder, a tracked file under an ignored folder, `info/exclude`,
    /// a nested repository, untracked folders, links, names that are not ASCII.
    #[test]
    fn untracked_cards_are_what_git_status_lists() {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().canonicalize().unwrap();
        let repo = Repository::init(&work).unwrap();
        let write = |rel: &str, text: &str| {
            let file = work.join(rel);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, text).unwrap();
        };
        write(
            ".gitignore",
            "build/\n*.draft.md\nignored-dir/\n!ignored-dir/keep.md\nlogs\n/top-only.md\n",
        );
        write(".git/info/exclude", "secret.md\n");
        let tracked = [
            "models/a/README.md",
            "models/b/model-card.yaml",
            "build/tracked.md",
            "keep/x/y/README.md",
        ];
        let untracked = [
            "models/a/new.md",
            "models/c/README.md",
            "models/c/x.draft.md",
            "build/untracked.md",
            "ignored-dir/keep.md",
            "logs/y.md",
            "nested/z.md",
            "deep/er/est/model-card.yml",
            "secret.md",
            "models/secret.md",
            "top-only.md",
            "models/top-only.md",
            "docs/notes.txt",
            "a b/\u{fc}.md",
            ".hidden/h.md",
            "keep/x/new/README.md",
            "keep/x/y/model-card.json",
        ];
        for rel in tracked.iter().chain(&untracked) {
            write(rel, "---\ngovernance: {}\n---\n");
        }
        Repository::init(work.join("nested")).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(work.join("models/a/README.md"), work.join("link.md")).unwrap();
        let mut index = repo.index().unwrap();
        for rel in tracked {
            index.add_path(Path::new(rel)).unwrap();
        }
        index.write().unwrap();

        let mut options = git2::StatusOptions::new();
        options
            .include_untracked(true)
            .recurse_untracked_dirs(true)
            .include_ignored(false)
            .exclude_submodules(true);
        let mut expected: Vec<PathBuf> = repo
            .statuses(Some(&mut options))
            .unwrap()
            .iter()
            .filter(|s| s.status().contains(git2::Status::WT_NEW))
            .map(|s| work.join(path_of(s.path_bytes())))
            .filter(|p| candidate(p))
            .collect();
        expected.sort();
        assert!(
            expected.len() >= 5,
            "the case has untracked cards: {expected:?}"
        );

        let (mut candidates, errors, pending) = super::tracked(&work, &work, &[], &[]);
        assert!(errors.is_empty(), "{errors:?}");
        let (more, errors) = pending.finish(&candidates);
        assert!(errors.is_empty(), "{errors:?}");
        let mut found: Vec<PathBuf> = more.iter().map(|c| c.file.clone()).collect();
        found.sort();
        assert_eq!(found, expected);
        // And the tracked ones are the index's.
        candidates.retain(|c| c.tracked.is_some());
        assert_eq!(candidates.len(), tracked.len());
    }

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
