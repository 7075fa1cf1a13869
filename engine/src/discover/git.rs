//! What git knows of the work tree: the files its indexes track, and the untracked files
//! its ignore rules leave in.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use git2::Repository;

use super::{Tracked, candidate, card_name, display};
use crate::error::{CardError, EvidenceError, InputError};

/// The mode of a submodule in git's index and trees.
const GITLINK: u32 = 0o160_000;

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

/// The candidates git tracks under `scope`: every file with a card's name in the index of
/// `repo` and, recursively, of each checked-out submodule, whose work trees are added to
/// `repos` (their untracked files are listed by [`untracked_in`]). A tracked file missing from
/// the work tree is listed, and reading it says it is not there.
pub(super) fn from_git(
    repo: &Repository,
    root: &Path,
    scope: &[&Path],
    opaque: &[String],
    out: &mut Vec<(PathBuf, String, Option<Tracked>)>,
    repos: &mut Vec<PathBuf>,
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
    // The index is in path order, the stages of a conflicted file one after another.
    let mut previous: Vec<u8> = Vec::new();
    for entry in index.iter() {
        if entry.path == previous {
            continue; // another stage of a conflicted file
        }
        previous.clone_from(&entry.path);
        let gitlink = entry.mode & 0o170_000 == GITLINK;
        // Most files are not cards by their name: passed over before any path is made.
        let name = entry.path.rsplit(|b| *b == b'/').next().unwrap_or_default();
        if !gitlink && !card_name(&String::from_utf8_lossy(name)) {
            continue;
        }
        let rel = path_of(&entry.path);
        let abs = work.join(&rel);
        if !in_scope(&abs) {
            continue;
        }
        if gitlink {
            // A submodule: its own index lists its files. One that is not checked out could
            // hold any card; it is an error unless the configuration says it holds none.
            let shown = display(root, &abs, &abs);
            match Repository::open(&abs) {
                Ok(sub)
                    if sub
                        .workdir()
                        .is_some_and(|w| w == abs.as_path() || w == abs.join("")) =>
                {
                    from_git(&sub, root, scope, opaque, out, repos)?;
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
        if !scope.iter().any(|s| abs.starts_with(s)) {
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
    repos.push(work);
    Ok(())
}

/// A work tree and what its index tracks: file paths (submodules' too), the submodules, and
/// the folders that hold them, as git writes paths (bytes, `/`-separated).
struct WorkTree {
    work: PathBuf,
    files: HashSet<Vec<u8>>,
    submodules: HashSet<Vec<u8>>,
    dirs: HashSet<Vec<u8>>,
}

impl WorkTree {
    fn read(work: &Path, repo: &Repository) -> Result<WorkTree, git2::Error> {
        let mut tree = WorkTree {
            work: work.to_path_buf(),
            files: HashSet::new(),
            submodules: HashSet::new(),
            dirs: HashSet::new(),
        };
        for entry in repo.index()?.iter() {
            if entry.mode & 0o170_000 == GITLINK {
                tree.submodules.insert(entry.path.clone());
            }
            let mut at = 0;
            while let Some(slash) = entry.path[at..].iter().position(|b| *b == b'/') {
                at += slash;
                if !tree.dirs.contains(&entry.path[..at]) {
                    tree.dirs.insert(entry.path[..at].to_vec());
                }
                at += 1;
            }
            tree.files.insert(entry.path);
        }
        Ok(tree)
    }
}

/// The untracked files with a card's name under `scope`, in the work trees `repos`, that git's
/// ignore rules do not exclude — what `git status --untracked-files=all` lists of them — and
/// what could not be listed.
///
/// The work tree is walked by its folders' entries alone (no file is looked at): a folder
/// that holds tracked files is entered; an untracked folder is entered unless git ignores it
/// or it is a repository of its own (git lists neither's files); a submodule is its own work
/// tree. Only an untracked file with a card's name is asked about, and git (libgit2, with every
/// ignore file and setting it reads) answers whether it is ignored.
pub(super) fn untracked_in(repos: &[PathBuf], root: &Path, scope: &[PathBuf]) -> Listing {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for work in repos {
        let shown = display(root, work, work);
        let (repo, tree) = match Repository::open(work)
            .and_then(|repo| WorkTree::read(work, &repo).map(|tree| (repo, tree)))
        {
            Ok(opened) => opened,
            Err(e) => {
                errors.push(cannot_list(&shown, e.message()));
                continue;
            }
        };
        let mut walk = Walk {
            tree: &tree,
            repo: &repo,
            scope,
            shown: &shown,
            all: false,
            found: Vec::new(),
            listed: Vec::new(),
            asked: std::cell::Cell::new(0),
        };
        match walk.folder(&tree.work, &[]) {
            Ok(()) => found.extend(walk.found.into_iter().map(|abs| {
                let shown = display(root, &abs, &abs);
                (abs, shown)
            })),
            Err(e) => errors.push(e),
        }
    }
    (found, errors)
}

/// The error of a work tree (shown as `shown`) whose untracked files cannot be listed.
fn cannot_list(shown: &str, why: impl std::fmt::Display) -> InputError {
    InputError::new(
        Some(shown),
        EvidenceError::Git(format!("cannot list the untracked files ({why})")),
    )
}

/// Files found (each with how it is shown), and what could not be listed.
pub(super) type Listing = (Vec<(PathBuf, String)>, Vec<InputError>);

/// Every untracked file of the work tree of `repo` that git's ignore rules leave in, as
/// libgit2's status lists them (`git status --untracked-files=all`): paths relative to the
/// work tree, and a repository of its own inside it that holds anything as its folder's path
/// with a `/` after it (git lists none of its files). Untracked files of submodules are not
/// among them (git's status of the submodule says whether it has any). `None` when there are
/// too many paths to ask git's ignore rules about one by one (see [`ASK_AT_MOST`]).
pub(crate) fn untracked_files(repo: &Repository) -> Result<Option<Vec<Vec<u8>>>, InputError> {
    let work = repo
        .workdir()
        .ok_or_else(|| cannot_list("", "the repository has no work tree"))?;
    let shown = work.display().to_string();
    let tree = WorkTree::read(work, repo).map_err(|e| cannot_list(&shown, e.message()))?;
    let scope = [tree.work.clone()];
    let mut walk = Walk {
        tree: &tree,
        repo,
        scope: &scope,
        shown: &shown,
        all: true,
        found: Vec::new(),
        listed: Vec::new(),
        asked: std::cell::Cell::new(0),
    };
    walk.folder(&tree.work, &[])?;
    Ok((!walk.gave_up()).then_some(walk.listed))
}

/// One work tree's walk for [`untracked_in`] and [`untracked_files`].
struct Walk<'a> {
    tree: &'a WorkTree,
    repo: &'a Repository,
    scope: &'a [PathBuf],
    shown: &'a str,
    /// Whether every untracked file is listed (in `listed`), or only a card's (in `found`).
    all: bool,
    found: Vec<PathBuf>,
    listed: Vec<Vec<u8>>,
    /// How many paths git was asked about (listing every untracked file): past
    /// [`ASK_AT_MOST`], the listing gives up.
    asked: std::cell::Cell<usize>,
}

/// Beyond this many paths to ask git's ignore rules about, one by one, libgit2's own walk of
/// the work tree (which reads the rules folder by folder) is the cheaper listing. A listing
/// that meets a folder it cannot read gives up too.
const ASK_AT_MOST: usize = 2_000;

impl Walk<'_> {
    fn ignored(&self, rel: &[u8]) -> Result<bool, InputError> {
        if self.all {
            self.asked.set(self.asked.get() + 1);
            if self.gave_up() {
                return Ok(true);
            }
        }
        self.repo
            .status_should_ignore(&path_of(rel))
            .map_err(|e| cannot_list(self.shown, e.message()))
    }

    /// Whether the listing of every untracked file gave up (see [`ASK_AT_MOST`]).
    fn gave_up(&self) -> bool {
        self.asked.get() > ASK_AT_MOST
    }

    /// The folder `dir` (`rel` in the work tree; empty for its root).
    fn folder(&mut self, dir: &Path, rel: &[u8]) -> Result<(), InputError> {
        let unreadable = |at: &Path, e: std::io::Error| {
            cannot_list(self.shown, format!("{}: {e}", at.display()))
        };
        // Listing every untracked file, a folder that cannot be read is left to libgit2's walk,
        // which passes over it as `git status` does.
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(_) if self.all => {
                self.asked.set(ASK_AT_MOST + 1);
                return Ok(());
            }
            Err(e) => return Err(unreadable(dir, e)),
        };
        for entry in entries {
            if self.gave_up() {
                return Ok(());
            }
            let entry = match entry {
                Ok(entry) => entry,
                Err(_) if self.all => {
                    self.asked.set(ASK_AT_MOST + 1);
                    return Ok(());
                }
                Err(e) => return Err(unreadable(dir, e)),
            };
            let name = entry.file_name();
            let name = bytes_of(&name);
            if *name == *b".git" {
                continue;
            }
            let mut path = Vec::with_capacity(rel.len() + 1 + name.len());
            if !rel.is_empty() {
                path.extend_from_slice(rel);
                path.push(b'/');
            }
            path.extend_from_slice(&name);
            let abs = entry.path();
            let kind = entry.file_type().map_err(|e| unreadable(&abs, e))?;
            if kind.is_dir() {
                let related = self
                    .scope
                    .iter()
                    .any(|s| abs.starts_with(s) || s.starts_with(&abs));
                if !related || self.tree.submodules.contains(&path) {
                    continue; // out of scope, or a submodule: a work tree of its own
                }
                if !self.tree.dirs.contains(&path) {
                    if std::fs::symlink_metadata(abs.join(".git")).is_ok() {
                        // A repository of its own: libgit2 lists the folder, none of its files,
                        // when it holds anything (here: anything but `.git`, ignored or not).
                        if self.all && holds_more_than_git(&abs) && !self.ignored(&path)? {
                            path.push(b'/');
                            self.listed.push(path);
                        }
                        continue;
                    }
                    if self.ignored(&path)? {
                        continue;
                    }
                }
                self.folder(&abs, &path)?;
            } else if (self.all || candidate(&abs))
                && !self.tree.files.contains(&path)
                && self.scope.iter().any(|s| abs.starts_with(s))
                && !self.ignored(&path)?
            {
                if self.all {
                    self.listed.push(path);
                } else {
                    self.found.push(abs);
                }
            }
        }
        Ok(())
    }
}

/// Whether the folder `dir` holds an entry other than `.git` (or cannot be read: then it may).
fn holds_more_than_git(dir: &Path) -> bool {
    std::fs::read_dir(dir).map_or(true, |mut entries| {
        entries.any(|e| e.map_or(true, |e| e.file_name() != ".git"))
    })
}

/// A file name's bytes, as git stores them.
#[cfg(unix)]
fn bytes_of(name: &std::ffi::OsStr) -> std::borrow::Cow<'_, [u8]> {
    use std::os::unix::ffi::OsStrExt;
    std::borrow::Cow::Borrowed(name.as_bytes())
}

#[cfg(not(unix))]
fn bytes_of(name: &std::ffi::OsStr) -> std::borrow::Cow<'_, [u8]> {
    std::borrow::Cow::Owned(name.to_string_lossy().into_owned().into_bytes())
}

/// A path as git stores it (bytes, `/`-separated), as a path of this system.
#[cfg(unix)]
pub(crate) fn path_of(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

#[cfg(not(unix))]
pub(crate) fn path_of(bytes: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}
