//! The subjects of a model's attestation: every file of the model's folder with its SHA-256.
//! In a git repository, the files git tracks there (the card included; inside a checked-out
//! submodule, the submodule's own index); a file git stores with Git LFS (`filter=lfs`) stands
//! for its object, so weights verify against the attestation without the gate fetching them.
//! Outside git, every file under the folder. A link is refused, never hashed for what it says
//! or followed: what it points to could change after the judgment. FIFOs and devices are never
//! opened, and the bytes hashed are bounded.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::AttestError;

/// One subject: a path relative to the repository root and its digests by algorithm
/// (`sha256`; `gitCommit` for a submodule).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Subject {
    pub name: String,
    pub digest: BTreeMap<String, String>,
}

/// The most files one model's attestation names.
const MAX_FILES: usize = 100_000;

/// Bytes hashed so far, against the bound.
struct Budget {
    left: u64,
    limit: u64,
}

impl Budget {
    fn take(&mut self, n: u64, path: &str) -> Result<(), AttestError> {
        self.left = self.left.checked_sub(n).ok_or_else(|| {
            AttestError::Subject(format!(
                "{path}: the model's folder holds more than {} bytes to hash; raise the bound with {}, or keep large files in Git LFS",
                self.limit,
                crate::setting::name(crate::setting::Setting::AttestMaxBytes)
            ))
        })?;
        Ok(())
    }
}

/// The subjects of the model whose card is `card` (relative to `root`), hashing at most
/// `max_bytes`: the files of the card's folder, sorted by name. The card itself must be one of
/// them: a statement never leaves out what was judged.
pub fn of_card(root: &Path, card: &str, max_bytes: u64) -> Result<Vec<Subject>, AttestError> {
    let folder = super::folder_of(card);
    let mut budget = Budget {
        left: max_bytes,
        limit: max_bytes,
    };
    let mut subjects = if root.join(".git").exists() {
        tracked(root, folder, &mut budget)?
    } else {
        walked(root, folder, &mut budget)?
    };
    subjects.sort_by(|a, b| a.name.cmp(&b.name));
    if !subjects.iter().any(|s| s.name == card) {
        return Err(AttestError::Subject(format!(
            "{card}: the card is not among the files git tracks in its folder; commit it before attesting"
        )));
    }
    Ok(subjects)
}

fn inside(path: &str, folder: &str) -> bool {
    folder.is_empty()
        || path
            .strip_prefix(folder)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// A repository-relative path from an index entry's bytes (not UTF-8 on some systems).
fn path_of(bytes: &[u8]) -> PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
    }
    #[cfg(not(unix))]
    {
        PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
    }
}

fn git_error(what: &str, e: &git2::Error) -> AttestError {
    AttestError::Subject(format!("cannot read {what} ({})", e.message()))
}

/// The files git tracks in `folder`: in the repository at `root`, or in the checked-out
/// submodule that holds the folder.
fn tracked(root: &Path, folder: &str, budget: &mut Budget) -> Result<Vec<Subject>, AttestError> {
    let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let top = canonical(root);
    let start = canonical(&root.join(folder));
    let repo = git2::Repository::discover(&start).map_err(|e| git_error("the repository", &e))?;
    let workdir = repo
        .workdir()
        .map(canonical)
        .ok_or_else(|| AttestError::Subject("the repository has no work tree".into()))?;
    // The repository the folder is in, relative to the root: `""`, or a submodule's path.
    let prefix = match workdir.strip_prefix(&top) {
        Ok(p) => p.to_string_lossy().replace('\\', "/"),
        Err(_) => {
            return Err(AttestError::Subject(format!(
                "{folder}: the folder is in a repository outside {}",
                root.display()
            )));
        }
    };
    let inner = start
        .strip_prefix(&workdir)
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default();
    unchanged(&repo, &inner, &prefix)?;
    let index = repo.index().map_err(|e| git_error("git's index", &e))?;
    let mut out = Vec::new();
    for entry in index.iter() {
        let path = String::from_utf8_lossy(&entry.path).into_owned();
        if !inside(&path, &inner) {
            continue;
        }
        if out.len() == MAX_FILES {
            return Err(AttestError::Subject(format!(
                "{folder}: the model's folder tracks more than {MAX_FILES} files"
            )));
        }
        let name = if prefix.is_empty() {
            path.clone()
        } else {
            format!("{prefix}/{path}")
        };
        let digest = match entry.mode {
            // A submodule (gitlink) is named by its commit.
            0o160_000 => ("gitCommit", entry.id.to_string()),
            0o120_000 => return Err(link(&name)),
            _ => {
                let lfs = repo
                    .get_attr(
                        &path_of(&entry.path),
                        "filter",
                        git2::AttrCheckFlags::FILE_THEN_INDEX,
                    )
                    .ok()
                    .flatten()
                    == Some("lfs");
                (
                    "sha256",
                    digest(&workdir.join(path_of(&entry.path)), &name, lfs, budget)?,
                )
            }
        };
        out.push(Subject {
            name,
            digest: BTreeMap::from([(digest.0.to_string(), digest.1)]),
        });
    }
    Ok(out)
}

/// That the folder holds what HEAD holds: a statement names the commit, so the bytes it hashes
/// must be that commit's (a file edited, staged, added or deleted since is an error).
fn unchanged(repo: &git2::Repository, inner: &str, prefix: &str) -> Result<(), AttestError> {
    let mut options = git2::StatusOptions::new();
    options
        .include_untracked(false)
        .include_ignored(false)
        .exclude_submodules(true);
    if !inner.is_empty() {
        options.pathspec(inner).disable_pathspec_match(true);
    }
    let statuses = repo
        .statuses(Some(&mut options))
        .map_err(|e| git_error("git's status", &e))?;
    let changed = statuses.iter().find(|s| {
        !s.status().is_empty()
            && !s
                .status()
                .intersects(git2::Status::WT_NEW | git2::Status::IGNORED)
            && s.path().is_some_and(|p| inside(p, inner))
    });
    match changed {
        None => Ok(()),
        Some(s) => {
            let path = s.path().unwrap_or_default();
            let name = if prefix.is_empty() {
                path.to_string()
            } else {
                format!("{prefix}/{path}")
            };
            Err(AttestError::Subject(format!(
                "{name}: changed since the last commit, so a statement naming that commit would not describe it; commit the change (or restore the file) before attesting"
            )))
        }
    }
}

fn link(path: &str) -> AttestError {
    AttestError::Subject(format!(
        "{path}: a symbolic link cannot be attested, since what it points to can change after the judgment; commit the file itself (or store it with Git LFS)"
    ))
}

fn walked(root: &Path, folder: &str, budget: &mut Budget) -> Result<Vec<Subject>, AttestError> {
    let mut out = Vec::new();
    let mut stack = vec![root.join(folder)];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir)
            .map_err(|e| AttestError::Subject(format!("cannot list {}: {e}", dir.display())))?;
        for entry in entries {
            let entry = entry
                .map_err(|e| AttestError::Subject(format!("cannot list {}: {e}", dir.display())))?;
            let full = entry.path();
            let kind = entry.file_type().map_err(|e| {
                AttestError::Subject(format!("cannot read {}: {e}", full.display()))
            })?;
            if kind.is_dir() {
                if entry.file_name() != ".git" {
                    stack.push(full);
                }
                continue;
            }
            let name = full
                .strip_prefix(root)
                .unwrap_or(&full)
                .to_string_lossy()
                .replace('\\', "/");
            if kind.is_symlink() {
                return Err(link(&name));
            }
            if out.len() == MAX_FILES {
                return Err(AttestError::Subject(format!(
                    "{folder}: the model's folder holds more than {MAX_FILES} files"
                )));
            }
            // Outside git there is no LFS: every file is its bytes.
            let digest = digest(&full, &name, false, budget)?;
            out.push(Subject {
                name,
                digest: BTreeMap::from([("sha256".to_string(), digest)]),
            });
        }
    }
    Ok(out)
}

/// The SHA-256 a subject carries: of the file's bytes, or, for a file git stores with LFS
/// whose working copy is still its pointer, the object id the pointer names.
fn digest(file: &Path, path: &str, lfs: bool, budget: &mut Budget) -> Result<String, AttestError> {
    let cannot = |e: std::io::Error| AttestError::Subject(format!("{path}: cannot be read: {e}"));
    let meta = std::fs::symlink_metadata(file).map_err(cannot)?;
    if meta.file_type().is_symlink() {
        return Err(link(path));
    }
    if !meta.is_file() {
        return Err(AttestError::Subject(format!(
            "{path}: not a regular file (a FIFO, a device or a folder where git tracks a file)"
        )));
    }
    let f = open_regular(file, false).map_err(cannot)?;
    budget.take(meta.len(), path)?;
    let (sha, head, read) = hash(f).map_err(cannot)?;
    if read > meta.len() {
        // It grew while being read: count what it grew by.
        budget.take(read - meta.len(), path)?;
    }
    if lfs && let Some(oid) = lfs_oid(&head) {
        return Ok(oid);
    }
    Ok(sha)
}

/// The SHA-256 of what `f` holds, its first bytes (as far as an LFS pointer can be long), and
/// how many bytes it held.
fn hash(mut f: std::fs::File) -> std::io::Result<(String, Vec<u8>, u64)> {
    let mut hasher = Sha256::new();
    let mut head = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut read: u64 = 0;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        read += n as u64;
        if head.len() <= LFS_POINTER_MAX {
            head.extend_from_slice(&buf[..n.min(LFS_POINTER_MAX + 1 - head.len())]);
        }
        hasher.update(&buf[..n]);
    }
    Ok((crate::record::hex(&hasher.finalize()), head, read))
}

/// The SHA-256 of the bytes of a file being deployed: never what an LFS pointer says, since a
/// deployment holds the object itself. A link is followed to the file it names (a model cache
/// links to its blobs); a FIFO or a device is refused, never opened.
pub fn file_digest(file: &Path, shown: &str) -> Result<String, AttestError> {
    let cannot = |e: std::io::Error| AttestError::Subject(format!("{shown}: cannot be read: {e}"));
    let f = open_regular(file, true).map_err(cannot)?;
    Ok(hash(f).map_err(cannot)?.0)
}

/// A Git LFS pointer is a small text file (under 1024 bytes, by the specification).
const LFS_POINTER_MAX: usize = 1024;

/// The `oid sha256:…` of a Git LFS pointer file, if `bytes` are one.
pub fn lfs_oid(bytes: &[u8]) -> Option<String> {
    if bytes.len() >= LFS_POINTER_MAX {
        return None;
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let mut lines = text.lines();
    if !lines
        .next()?
        .starts_with("version https://git-lfs.github.com/spec/")
    {
        return None;
    }
    let mut oid = None;
    let mut size = false;
    for line in lines {
        if let Some(hex) = line.strip_prefix("oid sha256:") {
            oid = Some(hex.to_string());
        } else if let Some(n) = line.strip_prefix("size ") {
            size = n.parse::<u64>().is_ok();
        }
    }
    // The object id is lower-case hexadecimal, as LFS writes it.
    oid.filter(|h| {
        size && h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// Opens a regular file for reading, never waiting on a FIFO; through a link only when
/// `follow` says so.
pub fn open_regular(file: &Path, follow: bool) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let nofollow = if follow { 0 } else { libc::O_NOFOLLOW };
        options.custom_flags(nofollow | libc::O_NONBLOCK | libc::O_CLOEXEC);
    }
    let f = options.open(file)?;
    if !f.metadata()?.is_file() {
        return Err(std::io::Error::other(
            "not a regular file (a FIFO, a device or a folder)",
        ));
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_lfs_pointer_names_its_object() {
        let oid = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393";
        let pointer =
            format!("version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize 12345\n");
        assert_eq!(lfs_oid(pointer.as_bytes()).as_deref(), Some(oid));
        assert_eq!(lfs_oid(pointer.to_uppercase().as_bytes()), None);
        assert_eq!(lfs_oid(b"version 1\noid sha256:00\n"), None);
        let no_size = format!("version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\n");
        assert_eq!(lfs_oid(no_size.as_bytes()), None);
    }

    #[test]
    fn a_folder_holds_what_is_under_it_and_not_its_namesakes() {
        assert!(inside("models/a/card.md", "models/a"));
        assert!(!inside("models/ab/card.md", "models/a"));
        assert!(inside("anything", ""));
    }
}
