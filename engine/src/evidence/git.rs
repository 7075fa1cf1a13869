//! Git evidence through `git2`, in process (no `git` executable): the HEAD commit, its branch
//! and tags, what a change touched since the merge base with a ref, and a policy pack read from
//! a ref's tree (so a pull request cannot weaken the gate that judges it).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use git2::{Delta, DiffOptions, ObjectType, Oid, Repository, StatusOptions, Tree, TreeWalkMode};

use crate::date::Instant;
use crate::error::InputError;
use crate::pack::PackFile;

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
    /// The merge base of that ref and HEAD.
    pub merge_base: String,
    /// Changed paths relative to the work tree root, `/`-separated, sorted.
    pub files: BTreeSet<String>,
}

impl ChangeSet {
    /// Whether the change touches `path` or anything below it (`path` is a file or folder).
    pub fn touches(&self, path: &str) -> bool {
        let folder = format!("{}/", path.trim_end_matches('/'));
        self.files.contains(path)
            || self
                .files
                .range(folder.clone()..)
                .next()
                .is_some_and(|f| f.starts_with(&folder))
    }
}

/// Opens the repository containing `dir`; `Err` says why there is none.
pub fn open(dir: &Path) -> Result<Repository, String> {
    Repository::discover(dir).map_err(|e| match e.code() {
        git2::ErrorCode::NotFound => "not inside a git repository".to_string(),
        _ => format!("the git repository cannot be opened ({})", e.message()),
    })
}

/// The HEAD facts of `repo`; `Err` says why they could not be read.
pub fn facts(repo: &Repository) -> Result<GitFacts, String> {
    let root = repo
        .workdir()
        .ok_or("the repository is bare: there is no work tree")?
        .to_path_buf();
    let head = repo
        .head()
        .map_err(|e| format!("HEAD cannot be read ({})", e.message()))?;
    let commit = head
        .peel_to_commit()
        .map_err(|e| format!("HEAD is not a commit ({})", e.message()))?;
    let person = |s: git2::Signature<'_>| Person {
        name: String::from_utf8_lossy(s.name_bytes()).into_owned(),
        email: String::from_utf8_lossy(s.email_bytes()).into_owned(),
    };
    let time = Instant::from_unix_seconds(commit.time().seconds())
        .ok_or("the HEAD commit's time is out of range")?;
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

/// Why `--changed-since` could not be honoured: a clear error, never "nothing changed".
fn change_error(base: &str, message: String) -> Box<InputError> {
    Box::new(InputError::new(
        None,
        format!("--changed-since {base}: {message}"),
    ))
}

/// The files changed between the merge base of `base` and HEAD, and in the work tree.
pub fn changed_since(repo: &Repository, base: &str) -> Result<ChangeSet, Box<InputError>> {
    let shallow_help = "in GitHub Actions, check out with `fetch-depth: 0` (actions/checkout) so the history reaches the base";
    let head = repo
        .head()
        .and_then(|h| h.peel_to_commit())
        .map_err(|e| change_error(base, format!("HEAD cannot be read ({})", e.message())))?;
    let target = repo
        .revparse_single(base)
        .and_then(|o| o.peel_to_commit())
        .map_err(|e| {
            let err = change_error(
                base,
                format!("no such commit or ref in this repository ({})", e.message()),
            );
            Box::new(err.with_help(
                "fetch it first; in GitHub Actions use `fetch-depth: 0` so the base branch is present",
            ))
        })?;
    let merge_base = repo.merge_base(head.id(), target.id()).map_err(|e| {
        if repo.is_shallow() {
            Box::new(
                change_error(
                    base,
                    "this clone is shallow and its history does not reach the base, so what changed cannot be known".into(),
                )
                .with_help(shallow_help),
            )
        } else {
            change_error(
                base,
                format!("it shares no history with HEAD ({})", e.message()),
            )
        }
    })?;
    let base_tree = repo
        .find_commit(merge_base)
        .and_then(|c| c.tree())
        .map_err(|e| {
            change_error(
                base,
                format!("the merge base cannot be read ({})", e.message()),
            )
        })?;
    let head_tree = head.tree().map_err(|e| {
        change_error(
            base,
            format!("HEAD's tree cannot be read ({})", e.message()),
        )
    })?;
    let mut files = BTreeSet::new();
    let diff = repo
        .diff_tree_to_tree(
            Some(&base_tree),
            Some(&head_tree),
            Some(&mut DiffOptions::new()),
        )
        .map_err(|e| change_error(base, format!("cannot diff ({})", e.message())))?;
    for delta in diff.deltas() {
        if delta.status() == Delta::Unmodified {
            continue;
        }
        for file in [delta.old_file(), delta.new_file()] {
            if let Some(p) = file.path() {
                files.insert(slash(p));
            }
        }
    }
    let mut opts = StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false);
    let statuses = repo.statuses(Some(&mut opts)).map_err(|e| {
        change_error(
            base,
            format!("cannot read the work tree's status ({})", e.message()),
        )
    })?;
    for entry in statuses.iter() {
        if let Some(p) = entry.path() {
            files.insert(p.to_string());
        }
    }
    Ok(ChangeSet {
        base: base.to_string(),
        merge_base: merge_base.to_string(),
        files,
    })
}

fn slash(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The `.cedarschema` and `.cedar` files under `dir` in the tree of `reference`, read from the
/// object database (the work tree is never looked at). Names are shown as `REF:dir/file`.
pub fn pack_at_ref(
    repo: &Repository,
    reference: &str,
    dir: &str,
) -> Result<Vec<PackFile>, Box<InputError>> {
    let fail = |m: String| {
        Box::new(InputError::new(
            None,
            format!("--policies-ref {reference}: {m}"),
        ))
    };
    let tree = repo
        .revparse_single(reference)
        .and_then(|o| o.peel_to_tree())
        .map_err(|e| fail(format!("no such commit or ref ({})", e.message())))?;
    let dir = dir.trim_matches('/');
    let sub: Tree<'_> = if dir.is_empty() || dir == "." {
        tree
    } else {
        let entry = tree
            .get_path(Path::new(dir))
            .map_err(|_| fail(format!("`{dir}` does not exist at {reference}")))?;
        entry
            .to_object(repo)
            .and_then(|o| o.peel_to_tree())
            .map_err(|_| fail(format!("`{dir}` at {reference} is not a directory")))?
    };
    let mut found: Vec<(String, Oid)> = Vec::new();
    sub.walk(TreeWalkMode::PreOrder, |parent, entry| {
        let name = entry.name().unwrap_or("");
        if entry.kind() == Some(ObjectType::Blob)
            && (name.ends_with(".cedar") || name.ends_with(".cedarschema"))
        {
            found.push((format!("{parent}{name}"), entry.id()));
        }
        git2::TreeWalkResult::Ok
    })
    .map_err(|e| fail(format!("cannot walk `{dir}` ({})", e.message())))?;
    found.sort();
    let mut files = Vec::new();
    for (rel, oid) in found {
        let blob = repo
            .find_blob(oid)
            .map_err(|e| fail(format!("cannot read `{rel}` ({})", e.message())))?;
        let text = std::str::from_utf8(blob.content())
            .map_err(|_| fail(format!("`{rel}` is not UTF-8")))?;
        let shown = if dir.is_empty() || dir == "." {
            rel
        } else {
            format!("{dir}/{rel}")
        };
        files.push(PackFile {
            name: format!("{reference}:{shown}"),
            text: Arc::from(text),
        });
    }
    if files.is_empty() {
        return Err(fail(format!(
            "no policy pack (`.cedarschema` and `.cedar` files) under `{dir}`"
        )));
    }
    Ok(files)
}

/// The version a release tag gives model `id`: `v1.2.3` (every model), `<id>/v1.2.3` or
/// `<id>-v1.2.3` (that model; these win over a bare tag). Two tags that give the model
/// different versions are ambiguous: `Err` names them.
pub fn tag_version(tags: &[String], id: &str) -> Result<Option<String>, String> {
    let version = |t: &str| -> Option<String> {
        let v = t.strip_prefix('v')?;
        let mut parts = v.split(['-', '+']).next()?.split('.');
        let numeric = parts
            .next()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            && parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        numeric.then(|| v.to_string())
    };
    let specific: BTreeSet<(String, &String)> = tags
        .iter()
        .filter_map(|t| {
            let rest = t
                .strip_prefix(id)
                .and_then(|r| r.strip_prefix('/').or_else(|| r.strip_prefix('-')))?;
            version(rest).map(|v| (v, t))
        })
        .collect();
    let bare: BTreeSet<(String, &String)> = tags
        .iter()
        .filter_map(|t| version(t).map(|v| (v, t)))
        .collect();
    let chosen = if specific.is_empty() { bare } else { specific };
    let versions: BTreeSet<&String> = chosen.iter().map(|(v, _)| v).collect();
    match versions.len() {
        0 => Ok(None),
        1 => Ok(versions.into_iter().next().cloned()),
        _ => Err(format!(
            "the release tags at HEAD give model `{id}` different versions: {}",
            chosen
                .iter()
                .map(|(_, t)| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn tags(t: &[&str]) -> Vec<String> {
        t.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn release_tags_in_three_forms() {
        assert_eq!(
            tag_version(&tags(&["v1.2.3"]), "fraud").unwrap().as_deref(),
            Some("1.2.3")
        );
        assert_eq!(
            tag_version(&tags(&["v1.0.0", "fraud/v2.0.0"]), "fraud")
                .unwrap()
                .as_deref(),
            Some("2.0.0")
        );
        assert_eq!(
            tag_version(&tags(&["fraud-v2.1.0-rc.1"]), "fraud")
                .unwrap()
                .as_deref(),
            Some("2.1.0-rc.1")
        );
        assert_eq!(
            tag_version(&tags(&["other/v9.0.0"]), "fraud").unwrap(),
            None
        );
        assert_eq!(
            tag_version(&tags(&["release", "vnext", "v1.x"]), "fraud").unwrap(),
            None
        );
        let e = tag_version(&tags(&["fraud/v1.0.0", "fraud-v1.1.0"]), "fraud").unwrap_err();
        assert!(
            e.contains("`fraud-v1.1.0`") && e.contains("`fraud/v1.0.0`"),
            "{e}"
        );
    }

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
            merge_base: "0".into(),
            files: ["models/a/README.md", "models/ab/x.yaml"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        };
        assert!(c.touches("models/a/README.md"));
        assert!(c.touches("models/a"));
        assert!(c.touches("models/ab"));
        assert!(!c.touches("models/b"));
        assert!(!c.touches("models/a/x"));
    }
}
