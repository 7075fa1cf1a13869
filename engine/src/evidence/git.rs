//! Git evidence through `git2`, in process (no `git` executable): the HEAD commit, its branch
//! and tags, what a change touched since the merge base with a ref, and a policy pack read from
//! a ref's tree (so a pull request cannot weaken the gate that judges it).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use git2::{Delta, DiffOptions, ObjectType, Oid, Repository, Tree};

use crate::date::Instant;
use crate::error::{EvidenceError, InputError, Kind};
use crate::setting::{self, Setting};

/// A person in a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub email: String,
}

/// What git says about HEAD.
#[derive(Debug, Clone, PartialEq)]
pub struct GitFacts {
    /// The work tree's root: report paths are relative to it.
    pub root: PathBuf,
    /// HEAD's commit id (hex).
    pub commit: String,
    pub author: Person,
    pub committer: Person,
    pub time: Instant,
    /// Whether the commit object carries a signature (`gpgsig`); it is not verified.
    pub signed: bool,
    /// `Key: value` lines of the message's closing trailer block (`Reviewed-by: …`).
    pub trailers: Vec<String>,
    /// The checked-out branch; `None` on a detached HEAD.
    pub branch: Option<String>,
    /// Tags pointing at HEAD, sorted.
    pub tags: Vec<String>,
    /// The branch `refs/remotes/origin/HEAD` names (the remote's default branch), if set.
    pub origin_head: Option<String>,
    /// The URL of the `origin` remote, if any.
    pub origin_url: Option<String>,
}

/// What a change touched: files changed between the merge base of a ref and HEAD, plus
/// uncommitted changes in the work tree (so a card edited but not committed is never skipped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeSet {
    /// The ref as given (`origin/main`).
    pub base: String,
    /// The ref it resolved to, without ambiguity, and its commit.
    pub base_ref: Resolved,
    /// The merge base of that ref and HEAD.
    pub merge_base: String,
    /// Changed paths relative to the work tree root, `/`-separated, sorted.
    pub files: BTreeSet<String>,
    /// Submodules whose pointer changed: everything inside them counts as changed.
    pub submodules: BTreeSet<String>,
    /// Files that changed (or went) with their blob at the merge base: where a card may have
    /// been before the change.
    pub before: Vec<Before>,
    /// Files moved unchanged (exact renames), from and to.
    pub moved: Vec<(String, String)>,
    /// The work tree's untracked files (git's ignore rules leave in), relative to it, when
    /// git's status of the work tree listed them one by one; `None` when it did not.
    pub untracked: Option<Vec<Vec<u8>>>,
}

impl ChangeSet {
    /// Whether the change touches `path` or anything below it (`path` is a file or folder),
    /// or a submodule that holds it.
    pub fn touches(&self, path: &str) -> bool {
        let folder = format!("{}/", path.trim_end_matches('/'));
        self.files.contains(path)
            || self
                .files
                .range(folder.clone()..)
                .next()
                .is_some_and(|f| f.starts_with(&folder))
            || self
                .submodules
                .iter()
                .any(|s| path.starts_with(&format!("{s}/")))
    }
}

/// Opens the repository containing `dir`; `Err` says why there is none.
pub fn open(dir: &Path) -> Result<Repository, EvidenceError> {
    Repository::discover(dir).map_err(|e| {
        EvidenceError::Git(match e.code() {
            git2::ErrorCode::NotFound => "not inside a git repository".to_string(),
            _ => format!("the git repository cannot be opened ({})", e.message()),
        })
    })
}

/// The HEAD facts of `repo`; `Err` says why they could not be read.
pub fn facts(repo: &Repository) -> Result<GitFacts, EvidenceError> {
    let root = repo
        .workdir()
        .ok_or(EvidenceError::Git(
            "the repository is bare: there is no work tree".into(),
        ))?
        .to_path_buf();
    let head = repo
        .head()
        .map_err(|e| EvidenceError::Git(format!("HEAD cannot be read ({})", e.message())))?;
    let commit = head
        .peel_to_commit()
        .map_err(|e| EvidenceError::Git(format!("HEAD is not a commit ({})", e.message())))?;
    let person = |s: git2::Signature<'_>| Person {
        name: String::from_utf8_lossy(s.name_bytes()).into_owned(),
        email: String::from_utf8_lossy(s.email_bytes()).into_owned(),
    };
    let time = Instant::from_unix_seconds(commit.time().seconds()).ok_or(EvidenceError::Git(
        "the HEAD commit's time is out of range".into(),
    ))?;
    let branch = head
        .is_branch()
        .then(|| head.shorthand().map(str::to_string))
        .flatten();
    let message = String::from_utf8_lossy(commit.message_bytes()).into_owned();
    Ok(GitFacts {
        root,
        commit: commit.id().to_string(),
        author: person(commit.author()),
        committer: person(commit.committer()),
        time,
        signed: repo.extract_signature(&commit.id(), None).is_ok(),
        trailers: trailers(&message),
        branch,
        tags: tags_at(repo, commit.id()),
        origin_head: repo
            .find_reference("refs/remotes/origin/HEAD")
            .ok()
            .and_then(|r| r.symbolic_target().map(str::to_string))
            .and_then(|t| t.strip_prefix("refs/remotes/origin/").map(str::to_string)),
        origin_url: repo
            .find_remote("origin")
            .ok()
            .and_then(|r| r.url().map(str::to_string)),
    })
}

fn tags_at(repo: &Repository, head: Oid) -> Vec<String> {
    let Ok(names) = repo.tag_names(None) else {
        return Vec::new();
    };
    let mut tags: Vec<String> = names
        .iter()
        .flatten()
        .filter(|name| {
            repo.revparse_single(&format!("refs/tags/{name}"))
                .and_then(|o| o.peel_to_commit())
                .is_ok_and(|c| c.id() == head)
        })
        .map(str::to_string)
        .collect();
    tags.sort();
    tags
}

/// The trailer block: the message's last paragraph, when every line of it is `Key: value`.
fn trailers(message: &str) -> Vec<String> {
    let body = message.trim_end();
    let Some(last) = body.rsplit("\n\n").next().filter(|_| body.contains("\n\n")) else {
        return Vec::new();
    };
    let lines: Vec<&str> = last.lines().map(str::trim_end).collect();
    let is_trailer = |l: &&str| {
        l.split_once(": ").is_some_and(|(k, v)| {
            !k.is_empty()
                && !v.trim().is_empty()
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
    };
    if lines.is_empty() || !lines.iter().all(is_trailer) {
        return Vec::new();
    }
    lines.into_iter().map(str::to_string).collect()
}

/// A ref resolved without ambiguity: the name as given, the one full ref it stands for (none
/// for a commit id), and the commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub given: String,
    pub full: Option<String>,
    pub commit: String,
}

impl Resolved {
    /// How it is shown: `origin/main (refs/remotes/origin/main at 3f1c2a9b8e7d)`.
    pub fn describe(&self) -> String {
        let short = crate::report::short(&self.commit);
        match &self.full {
            Some(full) if *full != self.given => format!("{} ({full} at {short})", self.given),
            Some(full) => format!("{full} at {short}"),
            None => format!("commit {short}"),
        }
    }
}

/// Resolves `given` (a ref, a short ref name, or a commit id, optionally followed by `~N` or
/// `^N`) to one commit. A short name is looked up where git looks (`refs/NAME`,
/// `refs/tags/NAME`, `refs/heads/NAME`, `refs/remotes/NAME`, `refs/remotes/NAME/HEAD`), and
/// git takes the first that exists — so a pushed tag `origin/main` would shadow the
/// remote-tracking branch `origin/main`. Here a name that matches more than one ref (or a ref
/// and a commit id) is an error naming them all: a protected ref must not be one the change
/// being judged can shadow.
pub fn resolve(repo: &Repository, given: &str) -> Result<Resolved, EvidenceError> {
    let name = given.trim();
    if name.is_empty() {
        return Err(EvidenceError::Ref("an empty ref".into()));
    }
    let split = name.find(['~', '^']).unwrap_or(name.len());
    let (base, suffix) = name.split_at(split);
    if base.contains("@{") || base.contains(':') || base.contains("..") {
        return Err(EvidenceError::Ref(format!(
            "`{name}` is a revision expression; name a ref (refs/remotes/origin/main) or a commit id"
        )));
    }
    let exists = |full: &str| repo.find_reference(full).is_ok();
    let mut refs: Vec<String> = if base.starts_with("refs/") || base == "HEAD" {
        vec![base.to_string()]
            .into_iter()
            .filter(|r| exists(r))
            .collect()
    } else {
        [
            format!("refs/{base}"),
            format!("refs/tags/{base}"),
            format!("refs/heads/{base}"),
            format!("refs/remotes/{base}"),
            format!("refs/remotes/{base}/HEAD"),
        ]
        .into_iter()
        .filter(|r| exists(r))
        .collect()
    };
    refs.dedup();
    let hex = base.len() >= 4 && base.len() <= 40 && base.bytes().all(|b| b.is_ascii_hexdigit());
    let object = if hex {
        repo.find_object_by_prefix(base, None).ok().map(|o| o.id())
    } else {
        None
    };
    let full = match (refs.as_slice(), object) {
        ([], None) => {
            return Err(EvidenceError::Ref(format!(
                "no ref or commit `{base}` in this repository"
            )));
        }
        ([], Some(_)) => None,
        ([one], None) => Some(one.clone()),
        (many, object) => {
            let mut names: Vec<String> = many.to_vec();
            if let Some(oid) = object {
                names.push(format!("commit {oid}"));
            }
            return Err(EvidenceError::Ref(format!(
                "`{base}` is ambiguous: it names {} — a ref pushed by anyone could shadow the one meant; name it in full (for example `{}`)",
                names.join(", "),
                many.iter()
                    .find(|r| r.starts_with("refs/remotes/"))
                    .unwrap_or(&many[0])
            )));
        }
    };
    let spec = match &full {
        Some(r) => format!("{r}{suffix}"),
        None => format!(
            "{}{suffix}",
            object.map(|o| o.to_string()).unwrap_or_default()
        ),
    };
    let commit = repo
        .revparse_single(&spec)
        .and_then(|o| o.peel_to_commit())
        .map_err(|e| EvidenceError::Ref(format!("`{name}` is not a commit ({})", e.message())))?;
    Ok(Resolved {
        given: name.to_string(),
        full,
        commit: commit.id().to_string(),
    })
}

/// Whether `head` is on the default branch as the remote has it: equal to, or an ancestor of,
/// `refs/remotes/origin/<default>`. A tag pushed to an unreviewed commit is not; `Err` says why
/// it cannot be known (no default branch, or its remote-tracking ref was not fetched).
pub fn reachable_from_default(
    repo: &Repository,
    head: &str,
    default: Option<&str>,
) -> Result<bool, EvidenceError> {
    let default = default.ok_or(EvidenceError::Unavailable(
        "the default branch is unknown".into(),
    ))?;
    let tracking = format!("refs/remotes/origin/{default}");
    let tip = repo
        .find_reference(&tracking)
        .and_then(|r| r.peel_to_commit())
        .map_err(|_| {
            EvidenceError::Unavailable(format!(
                "`{tracking}` is not in this clone (fetch it: in GitHub Actions, `fetch-depth: 0`)"
            ))
        })?
        .id();
    let head = Oid::from_str(head).map_err(|e| {
        EvidenceError::Unavailable(format!("HEAD is not a commit id ({})", e.message()))
    })?;
    if tip == head {
        return Ok(true);
    }
    repo.graph_descendant_of(tip, head).map_err(|e| {
        EvidenceError::Unavailable(format!("cannot walk the history ({})", e.message()))
    })
}

/// Why the change's base could not be honoured: a clear error, never "nothing changed".
fn change_error(base: &str, e: EvidenceError) -> Box<InputError> {
    Box::new(InputError::new(
        None,
        Kind::from(e).context(&format!(
            "{} {base}: ",
            setting::name(Setting::ChangedSince)
        )),
    ))
}

/// The files changed between the merge base of `base` and HEAD, and in the work tree.
pub fn changed_since(repo: &Repository, base: &str) -> Result<ChangeSet, Box<InputError>> {
    let shallow_help = "in GitHub Actions, check out with `fetch-depth: 0` (actions/checkout) so the history reaches the base";
    let head = repo.head().and_then(|h| h.peel_to_commit()).map_err(|e| {
        change_error(
            base,
            EvidenceError::Git(format!("HEAD cannot be read ({})", e.message())),
        )
    })?;
    let resolved = resolve(repo, base).map_err(|m| {
        Box::new(change_error(base, m).with_help(
            "fetch it first (in GitHub Actions use `fetch-depth: 0` so the base branch is present), and name it in full: refs/remotes/origin/main",
        ))
    })?;
    let target = repo
        .find_commit(Oid::from_str(&resolved.commit).map_err(|e| {
            change_error(
                base,
                EvidenceError::Git(format!("not a commit id ({})", e.message())),
            )
        })?)
        .map_err(|e| {
            change_error(
                base,
                EvidenceError::Git(format!("cannot read the commit ({})", e.message())),
            )
        })?;
    let merge_base = repo.merge_base(head.id(), target.id()).map_err(|e| {
        if repo.is_shallow() {
            Box::new(
                change_error(
                    base,
                    EvidenceError::Git("this clone is shallow and its history does not reach the base, so what changed cannot be known".into()),
                )
                .with_help(shallow_help),
            )
        } else {
            change_error(
                base,
                EvidenceError::Git(format!("it shares no history with HEAD ({})", e.message())),
            )
        }
    })?;
    let base_tree = repo
        .find_commit(merge_base)
        .and_then(|c| c.tree())
        .map_err(|e| {
            change_error(
                base,
                EvidenceError::Git(format!("the merge base cannot be read ({})", e.message())),
            )
        })?;
    let head_tree = head.tree().map_err(|e| {
        change_error(
            base,
            EvidenceError::Git(format!("HEAD's tree cannot be read ({})", e.message())),
        )
    })?;
    let workdir = repo
        .workdir()
        .ok_or_else(|| {
            change_error(
                base,
                EvidenceError::Git("the repository has no work tree".into()),
            )
        })?
        .to_path_buf();
    let mut seen = Collected::default();
    diff_trees(repo, &base_tree, &head_tree, "", None, &workdir, &mut seen)
        .map_err(|m| change_error(base, m))?;
    let work = super::worktree::status(repo, &head_tree).map_err(|e| change_error(base, e))?;
    for (p, status) in &work.entries {
        seen.files.insert(p.clone());
        // A file deleted or changed in the work tree but unchanged since the merge base was,
        // at the merge base, what it is in HEAD's tree.
        if status.intersects(super::worktree::CHANGED)
            && !seen.before.contains_key(p)
            && let Ok(e) = base_tree.get_path(Path::new(p))
            && e.kind() == Some(ObjectType::Blob)
            && e.filemode() != i32::from(git2::FileMode::Link)
        {
            seen.before.insert(
                p.clone(),
                Before {
                    path: p.clone(),
                    blob: e.id(),
                    submodule: None,
                },
            );
        }
    }
    Ok(ChangeSet {
        base: base.to_string(),
        base_ref: resolved,
        merge_base: merge_base.to_string(),
        files: seen.files,
        submodules: seen.submodules,
        before: seen.before.into_values().collect(),
        moved: seen.moved,
        untracked: work.untracked,
    })
}

/// A file as it was at the merge base, which changed or went: where a card may have been.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Before {
    /// Relative to the repository's root.
    pub path: String,
    pub blob: Oid,
    /// The submodule (its path) whose objects hold the blob; `None`: the repository's own.
    pub submodule: Option<String>,
}

/// What a diff found, across the repository and the submodules whose pointer moved.
#[derive(Default)]
struct Collected {
    files: BTreeSet<String>,
    submodules: BTreeSet<String>,
    before: std::collections::BTreeMap<String, Before>,
    moved: Vec<(String, String)>,
}

/// Adds what changed between two trees of `repo` (the repository, or a submodule at `prefix`)
/// to `seen`; a submodule whose pointer moved is diffed too, between its old and new commits,
/// so that what changed inside it (a card removed there) is known. Exact renames are found,
/// so that files moved away from a removed card are known.
fn diff_trees(
    repo: &Repository,
    old: &Tree<'_>,
    new: &Tree<'_>,
    prefix: &str,
    submodule: Option<&str>,
    workdir: &Path,
    seen: &mut Collected,
) -> Result<(), EvidenceError> {
    let mut diff = repo
        .diff_tree_to_tree(Some(old), Some(new), Some(&mut DiffOptions::new()))
        .map_err(|e| EvidenceError::Git(format!("cannot diff ({})", e.message())))?;
    diff.find_similar(Some(
        git2::DiffFindOptions::new()
            .renames(true)
            .exact_match_only(true),
    ))
    .map_err(|e| EvidenceError::Git(format!("cannot find renames ({})", e.message())))?;
    for delta in diff.deltas() {
        if delta.status() == Delta::Unmodified {
            continue;
        }
        let path_of = |f: &git2::DiffFile<'_>| f.path().map(|p| format!("{prefix}{}", slash(p)));
        for file in [delta.old_file(), delta.new_file()] {
            if let Some(p) = path_of(&file) {
                if file.mode() == git2::FileMode::Commit {
                    seen.submodules.insert(p.clone());
                }
                seen.files.insert(p);
            }
        }
        let (old_file, new_file) = (delta.old_file(), delta.new_file());
        if delta.status() == Delta::Renamed
            && let (Some(from), Some(to)) = (path_of(&old_file), path_of(&new_file))
        {
            seen.moved.push((from, to));
        }
        if let Some(p) = path_of(&old_file)
            && matches!(
                old_file.mode(),
                git2::FileMode::Blob | git2::FileMode::BlobExecutable
            )
            && !old_file.id().is_zero()
        {
            seen.before.insert(
                p.clone(),
                Before {
                    path: p,
                    blob: old_file.id(),
                    submodule: submodule.map(str::to_string),
                },
            );
        }
        // A submodule whose pointer moved: what changed inside it.
        if old_file.mode() == git2::FileMode::Commit
            && new_file.mode() == git2::FileMode::Commit
            && !old_file.id().is_zero()
            && !new_file.id().is_zero()
            && let Some(p) = path_of(&new_file)
        {
            let dir = workdir.join(&p);
            let inner = Repository::open(&dir).map_err(|_| {
                EvidenceError::Git(format!(
                    "the submodule `{p}` changed but is not checked out, so what changed inside it cannot be known (check out submodules: `submodules: recursive`)"
                ))
            })?;
            let tree_of = |id: Oid| {
                inner.find_commit(id).and_then(|c| c.tree()).map_err(|_| {
                    EvidenceError::Git(format!(
                        "the submodule `{p}` changed, and its commit {} is not in its clone, so what changed inside it cannot be known (fetch its history: `fetch-depth: 0` applies to submodules too)",
                        &id.to_string()[..12]
                    ))
                })
            };
            let (old_tree, new_tree) = (tree_of(old_file.id())?, tree_of(new_file.id())?);
            diff_trees(
                &inner,
                &old_tree,
                &new_tree,
                &format!("{p}/"),
                Some(&p),
                workdir,
                seen,
            )?;
        }
    }
    Ok(())
}

fn slash(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn trailers_are_the_last_paragraph_of_key_values() {
        assert_eq!(
            trailers("Fix it\n\nBody text.\n\nReviewed-by: Jane <j@x>\nSigned-off-by: A <a@x>\n"),
            vec!["Reviewed-by: Jane <j@x>", "Signed-off-by: A <a@x>"]
        );
        assert!(trailers("Subject only\n").is_empty());
        assert!(trailers("Subject\n\nNot: a trailer\nbecause this line is prose\n").is_empty());
    }

    #[test]
    fn change_sets_touch_files_and_folders() {
        let c = ChangeSet {
            base: "main".into(),
            base_ref: Resolved {
                given: "main".into(),
                full: Some("refs/heads/main".into()),
                commit: "0".into(),
            },
            merge_base: "0".into(),
            files: ["models/a/README.md", "models/ab/x.yaml"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            submodules: ["vendor/sub".to_string()].into(),
            before: Vec::new(),
            moved: Vec::new(),
            untracked: None,
        };
        assert!(c.touches("vendor/sub/models/x/README.md"));
        assert!(!c.touches("vendor/subway/README.md"));
        assert!(c.touches("models/a/README.md"));
        assert!(c.touches("models/a"));
        assert!(c.touches("models/ab"));
        assert!(!c.touches("models/b"));
        assert!(!c.touches("models/a/x"));
    }
}
