//! A pack read from a protected ref's tree through git's object database, never from the
//! working tree: a change cannot loosen the pack that judges it.

use std::path::Path;
use std::sync::Arc;

use git2::{ObjectType, Oid, Repository, Tree, TreeWalkMode};

use super::PackFile;
use crate::error::{EvidenceError, InputError, Kind};
use crate::evidence::git::Resolved;
use crate::setting::{self, Setting};

/// The `.cedarschema` and `.cedar` files under `dir` in the tree of the resolved ref, read from
/// the object database (the work tree is never looked at). Names are shown as `REF:dir/file`.
pub fn files_at(
    repo: &Repository,
    resolved: &Resolved,
    dir: &str,
) -> Result<Vec<PackFile>, Box<InputError>> {
    let reference = resolved.given.as_str();
    let fail = |m: String| {
        Box::new(InputError::new(
            None,
            Kind::from(EvidenceError::Git(m)).context(&format!(
                "{} {reference}: ",
                setting::name(Setting::ProtectedRef)
            )),
        ))
    };
    let tree = Oid::from_str(&resolved.commit)
        .and_then(|oid| repo.find_commit(oid))
        .and_then(|c| c.tree())
        .map_err(|e| fail(format!("cannot read its commit ({})", e.message())))?;
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
