//! Model files in the repository — weights and serialized models, Git LFS pointers included —
//! and which of them no model card covers. An AI inventory is only as good as its
//! completeness: a model file that no card governs is reported by `inventory` and, as the
//! engine finding `ungoverned-artifact`, by `check`. A card covers the files under its folder.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{EvidenceError, InputError};

/// A model file found in the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelFile {
    /// Relative to the repository root.
    pub path: String,
    /// What it is: `safetensors`, `onnx`, `pytorch`, `pickle`, `gguf`, `keras`, `tensorflow`,
    /// `coreml`, `tflite`, or `weights` (a `.bin` beside a model's `config.json` or an
    /// adapter's `adapter_config.json`).
    pub kind: &'static str,
    /// A Git LFS pointer: the file stands for an object stored elsewhere.
    pub lfs: bool,
}

/// The kind of model file a name is, by extension (case and trailing spaces aside, and through
/// a compression suffix: `model.safetensors.gz`); `.bin` counts only beside a `config.json` or
/// an `adapter_config.json`, which `has_config` says.
pub fn kind_of(name: &str, has_config: bool) -> Option<&'static str> {
    // Compared without copying: a repository's every file name passes through here.
    let name = name.rsplit('/').next().unwrap_or(name).trim();
    let without = |name: &'_ str, suffix: &str| -> Option<usize> {
        let dot = name.len().checked_sub(suffix.len() + 1)?;
        let tail = name.get(dot..)?;
        (tail.starts_with('.') && tail[1..].eq_ignore_ascii_case(suffix)).then_some(dot)
    };
    let name = ["gz", "zst", "xz", "bz2", "zip"]
        .iter()
        .find_map(|c| without(name, c))
        .map_or(name, |dot| &name[..dot]);
    let ext = name.rsplit_once('.')?.1;
    const KINDS: &[(&str, &str)] = &[
        ("safetensors", "safetensors"),
        ("onnx", "onnx"),
        ("pt", "pytorch"),
        ("pth", "pytorch"),
        ("ckpt", "pytorch"),
        ("pkl", "pickle"),
        ("pickle", "pickle"),
        ("joblib", "pickle"),
        ("gguf", "gguf"),
        ("h5", "keras"),
        ("keras", "keras"),
        ("pb", "tensorflow"),
        ("mlmodel", "coreml"),
        ("tflite", "tflite"),
    ];
    if let Some((_, kind)) = KINDS.iter().find(|(e, _)| ext.eq_ignore_ascii_case(e)) {
        return Some(kind);
    }
    (has_config && ext.eq_ignore_ascii_case("bin")).then_some("weights")
}

/// The model files under `scope` (absolute folders; the whole of `root` when empty): those git
/// tracks, in a git repository, else every file walked (links not followed).
pub fn model_files(root: &Path, scope: &[PathBuf]) -> Result<Vec<ModelFile>, InputError> {
    let paths: Vec<String> = if root.join(".git").exists() {
        let repo = git2::Repository::open(root).map_err(|e| {
            InputError::new(
                Some(".git"),
                EvidenceError::Git(format!(
                    "the git repository cannot be opened ({}), so the model files it tracks cannot be listed",
                    e.message()
                )),
            )
        })?;
        let index = repo.index().map_err(|e| {
            InputError::new(
                Some(".git"),
                EvidenceError::Git(format!("cannot read git's index ({})", e.message())),
            )
        })?;
        index
            .iter()
            .filter(|e| e.mode != 0o160_000)
            .map(|e| String::from_utf8_lossy(&e.path).into_owned())
            .collect()
    } else {
        let mut out = Vec::new();
        walk(root, root, &mut out);
        out
    };
    let configs: std::collections::HashSet<&str> = paths
        .iter()
        .filter(|p| {
            matches!(
                p.rsplit('/').next(),
                Some("config.json" | "adapter_config.json")
            )
        })
        .map(|p| p.rsplit_once('/').map_or("", |(dir, _)| dir))
        .collect();
    let in_scope = |p: &str| scope.is_empty() || scope.iter().any(|s| root.join(p).starts_with(s));
    let mut out: Vec<ModelFile> = paths
        .iter()
        .filter(|p| in_scope(p))
        .filter_map(|p| {
            let dir = p.rsplit_once('/').map_or("", |(dir, _)| dir);
            let kind = kind_of(p, configs.contains(dir))?;
            Some(ModelFile {
                path: p.clone(),
                kind,
                lfs: is_lfs_pointer(&root.join(p)),
            })
        })
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if kind.is_dir() {
            if entry.file_name() != ".git" {
                walk(root, &path, out);
            }
        } else if (kind.is_file() || kind.is_symlink())
            && let Ok(rel) = path.strip_prefix(root)
        {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

/// Whether the file is a Git LFS pointer (read no further than a pointer can be long, never
/// through a link or from a FIFO).
fn is_lfs_pointer(file: &Path) -> bool {
    let Ok(meta) = std::fs::symlink_metadata(file) else {
        return false;
    };
    if !meta.is_file() || meta.len() >= 1024 {
        return false;
    }
    let mut head = Vec::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(1024).read_to_end(&mut head))
        .is_ok()
        && crate::attest::subjects::lfs_oid(&head).is_some()
}

/// The folders a run looks in for model files, from the paths it names: every folder named (the
/// whole repository, as an empty list, when it names nothing); `None` when it names only card
/// files or paths that are no folder, so that there is nowhere to look.
pub fn scope(cwd: &Path, paths: &[PathBuf]) -> Option<Vec<PathBuf>> {
    if paths.is_empty() {
        return Some(Vec::new());
    }
    let dirs: Vec<PathBuf> = paths
        .iter()
        .map(|p| crate::discover::absolute(cwd, p))
        .filter(|p| p.is_dir())
        .collect();
    (!dirs.is_empty()).then_some(dirs)
}

/// The model files no card covers: none of `cards` (card paths relative to the root) stands in
/// a folder that holds them.
pub fn ungoverned<'a>(files: &'a [ModelFile], cards: &[&str]) -> Vec<&'a ModelFile> {
    let folders: Vec<&str> = cards
        .iter()
        .map(|c| c.rsplit_once('/').map_or("", |(dir, _)| dir))
        .collect();
    files
        .iter()
        .filter(|f| {
            !folders.iter().any(|d| {
                d.is_empty()
                    || f.path
                        .strip_prefix(d)
                        .is_some_and(|rest| rest.starts_with('/'))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_extension_and_bin_only_beside_a_config() {
        assert_eq!(kind_of("m/model.safetensors", false), Some("safetensors"));
        assert_eq!(kind_of("m/model.PTH", false), Some("pytorch"));
        assert_eq!(kind_of("m/pytorch_model.bin", true), Some("weights"));
        assert_eq!(kind_of("m/data.bin", false), None);
        assert_eq!(kind_of("m/readme.md", true), None);
        assert_eq!(kind_of("noextension", true), None);
        assert_eq!(
            kind_of("m/model.Safetensors.GZ", false),
            Some("safetensors")
        );
        assert_eq!(kind_of("m/model.onnx ", false), Some("onnx"));
        assert_eq!(kind_of("m/model.ckpt", false), Some("pytorch"));
        assert_eq!(kind_of("m/clf.joblib", false), Some("pickle"));
    }

    #[test]
    fn a_card_covers_the_files_under_its_folder_only() {
        let file = |p: &str| ModelFile {
            path: p.into(),
            kind: "onnx",
            lfs: false,
        };
        let files = [
            file("models/a/m.onnx"),
            file("models/ab/m.onnx"),
            file("x.onnx"),
        ];
        let left: Vec<&str> = ungoverned(&files, &["models/a/model-card.yaml"])
            .iter()
            .map(|f| f.path.as_str())
            .collect();
        assert_eq!(left, ["models/ab/m.onnx", "x.onnx"]);
        assert!(ungoverned(&files, &["model-card.yaml"]).is_empty());
    }
}
