//! Finds model cards: files named on the command line, and in directories every
//! `model-card.{yaml,yml,json}` and every Markdown file whose front matter has a `governance`
//! key, walking the tree the way git sees it (`.gitignore` honoured, `.git` skipped).

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use crate::card::{self, Card};
use crate::error::InputError;

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

/// Whether a discovered file may be a card by its name.
fn candidate(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    matches!(
        name,
        "model-card.yaml" | "model-card.yml" | "model-card.json"
    ) || path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("md"))
}

/// A file that may be a card.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub file: PathBuf,
    /// How it is shown: relative to the repository root.
    pub shown: String,
    /// Named on the command line (then a Markdown file is a card even without governance).
    pub explicit: bool,
}

impl Candidate {
    /// Reads and parses it: `Ok(None)` when it is not a card after all.
    pub fn load(&self) -> Result<Option<Card>, Vec<InputError>> {
        card::load(&self.file, &self.shown, self.explicit)
    }
}

/// The files under `paths` (the repository root when empty) that may be cards, in path order,
/// each once, and what could not be walked. Nothing is read yet.
pub fn candidates(cwd: &Path, root: &Path, paths: &[PathBuf]) -> (Vec<Candidate>, Vec<InputError>) {
    let mut files: Vec<(PathBuf, String, bool)> = Vec::new();
    let mut errors = Vec::new();
    let targets: Vec<PathBuf> = if paths.is_empty() {
        vec![root.to_path_buf()]
    } else {
        paths.to_vec()
    };
    for given in &targets {
        let abs = absolute(cwd, given);
        let shown = display(root, &abs, given);
        // A named symbolic link is followed only when it leads inside the repository.
        if let Ok(link) = std::fs::symlink_metadata(&abs)
            && link.file_type().is_symlink()
        {
            let inside = match (abs.canonicalize(), root.canonicalize()) {
                (Ok(target), Ok(root)) => target.starts_with(&root),
                _ => false,
            };
            if !inside {
                errors.push(
                    InputError::new(
                        Some(&shown),
                        "is a symbolic link that leads outside the repository (or nowhere); it is not followed",
                    )
                    .with_help("name the card itself, inside the repository"),
                );
                continue;
            }
        }
        let meta = match std::fs::metadata(&abs) {
            Ok(m) => m,
            Err(e) => {
                errors.push(InputError::new(Some(&shown), format!("cannot read: {e}")));
                continue;
            }
        };
        if !meta.is_dir() {
            files.push((abs, shown, true));
            continue;
        }
        // Walked on every core: in a monorepo the walk (a few system calls a directory, for
        // its ignore files) is a good part of the run.
        let found = Mutex::new((Vec::new(), Vec::new()));
        ignore::WalkBuilder::new(&abs)
            .hidden(false)
            .filter_entry(|e| e.file_name() != ".git")
            .build_parallel()
            .run(|| {
                Box::new(|entry| {
                    let lock = || found.lock().unwrap_or_else(PoisonError::into_inner);
                    match entry {
                        Ok(e)
                            if e.file_type().is_some_and(|t| t.is_file())
                                && candidate(e.path()) =>
                        {
                            let p = e.path().to_path_buf();
                            let shown = display(root, &p, &p);
                            lock().0.push((p, shown, false));
                        }
                        Ok(_) => {}
                        Err(e) => lock().1.push(InputError::new(
                            Some(&shown),
                            format!("cannot walk the directory: {e}"),
                        )),
                    }
                    ignore::WalkState::Continue
                })
            });
        let (walked, mut walk_errors) = found.into_inner().unwrap_or_else(PoisonError::into_inner);
        files.extend(walked);
        // In a stable order, whatever order the threads met them in.
        walk_errors.sort_by(|a, b| a.message.cmp(&b.message));
        errors.extend(walk_errors);
    }
    // A file named twice, or named and also found by a walk, is read once; named wins.
    files.sort_by(|a, b| (&a.0, !a.2).cmp(&(&b.0, !b.2)));
    let mut seen = HashSet::new();
    files.retain(|(p, _, _)| seen.insert(p.clone()));
    let candidates = files
        .into_iter()
        .map(|(file, shown, explicit)| Candidate {
            file,
            shown,
            explicit,
        })
        .collect();
    (candidates, errors)
}
