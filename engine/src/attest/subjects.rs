//! The subjects of a model's attestation: every file of the model's folder with its SHA-256.
//! In a git repository, the files git tracks there (the card included); a Git LFS pointer
//! stands for its object, so weights verify against the attestation without the gate fetching
//! them. Outside git, every file under the folder. Links are never followed (a tracked link is
//! its target's text, as git stores it), FIFOs and devices never opened, and the bytes hashed
//! are bounded.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

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

/// The subjects of the model whose folder is `folder` (relative to `root`, `""` for the root),
/// hashing at most `max_bytes`. Sorted by name.
pub fn of_folder(root: &Path, folder: &str, max_bytes: u64) -> Result<Vec<Subject>, AttestError> {
    let mut budget = Budget {
        left: max_bytes,
        limit: max_bytes,
    };
    let mut subjects = match git2::Repository::open(root) {
        Ok(repo) if !repo.is_bare() => tracked(&repo, root, folder, &mut budget)?,
        _ => walked(root, folder, &mut budget)?,
    };
    subjects.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(subjects)
}

fn inside(path: &str, folder: &str) -> bool {
    folder.is_empty()
        || path
            .strip_prefix(folder)
            .is_some_and(|rest| rest.starts_with('/'))
}

fn tracked(
    repo: &git2::Repository,
    root: &Path,
    folder: &str,
    budget: &mut Budget,
) -> Result<Vec<Subject>, AttestError> {
    let index = repo
        .index()
        .map_err(|e| AttestError::Subject(format!("cannot read git's index ({})", e.message())))?;
    let mut out = Vec::new();
    for entry in index.iter() {
        let path = String::from_utf8_lossy(&entry.path).into_owned();
        if !inside(&path, folder) {
            continue;
        }
        if out.len() == MAX_FILES {
            return Err(AttestError::Subject(format!(
                "{folder}: the model's folder tracks more than {MAX_FILES} files"
            )));
        }
        // A submodule (gitlink) is named by its commit.
        if entry.mode == 0o160_000 {
            out.push(Subject {
                name: path,
                digest: BTreeMap::from([("gitCommit".to_string(), entry.id.to_string())]),
            });
            continue;
        }
        let digest = digest(&root.join(&path), &path, budget)?;
        out.push(Subject {
            name: path,
            digest: BTreeMap::from([("sha256".to_string(), digest)]),
        });
    }
    Ok(out)
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
            if !(kind.is_file() || kind.is_symlink()) {
                continue;
            }
            let name = full
                .strip_prefix(root)
                .unwrap_or(&full)
                .to_string_lossy()
                .replace('\\', "/");
            if out.len() == MAX_FILES {
                return Err(AttestError::Subject(format!(
                    "{folder}: the model's folder holds more than {MAX_FILES} files"
                )));
            }
            let digest = digest(&full, &name, budget)?;
            out.push(Subject {
                name,
                digest: BTreeMap::from([("sha256".to_string(), digest)]),
            });
        }
    }
    Ok(out)
}

/// The SHA-256 a subject carries: of the file's bytes, of a link's target text, or the object
/// id an LFS pointer names.
fn digest(file: &Path, path: &str, budget: &mut Budget) -> Result<String, AttestError> {
    let cannot = |e: std::io::Error| AttestError::Subject(format!("{path}: cannot be read: {e}"));
    let meta = std::fs::symlink_metadata(file).map_err(cannot)?;
    if meta.file_type().is_symlink() {
        let target = std::fs::read_link(file).map_err(cannot)?;
        return Ok(crate::record::sha256(target.to_string_lossy().as_bytes()));
    }
    if !meta.is_file() {
        return Err(AttestError::Subject(format!(
            "{path}: not a regular file (a FIFO, a device or a folder where git tracks a file)"
        )));
    }
    let mut f = open_regular(file).map_err(cannot)?;
    budget.take(meta.len(), path)?;
    let mut hasher = Sha256::new();
    let mut head = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut read: u64 = 0;
    loop {
        let n = f.read(&mut buf).map_err(cannot)?;
        if n == 0 {
            break;
        }
        read += n as u64;
        if read > meta.len() {
            // It grew while being read: count what it grew by.
            budget.take(n as u64, path)?;
        }
        if head.len() < LFS_POINTER_MAX {
            head.extend_from_slice(&buf[..n.min(LFS_POINTER_MAX + 1 - head.len())]);
        }
        hasher.update(&buf[..n]);
    }
    if let Some(oid) = lfs_oid(&head) {
        return Ok(oid);
    }
    Ok(crate::record::hex(&hasher.finalize()))
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
    oid.filter(|h| size && h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(|h| h.to_ascii_lowercase())
}

/// The digest a file being deployed is matched by: as [`of_folder`] gives its subject (an LFS
/// pointer stands for its object), without a bound on its size.
pub fn file_digest(file: &Path, shown: &str) -> Result<String, AttestError> {
    let mut budget = Budget {
        left: u64::MAX,
        limit: u64::MAX,
    };
    digest(file, shown, &mut budget)
}

/// Opens a regular file for reading, never through a link and never waiting on a FIFO.
fn open_regular(file: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC);
    }
    let f = options.open(file)?;
    if !f.metadata()?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
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
