//! Who a model was: the id its card had at the protected ref, so that a change that renames a
//! model does not inherit another identity's waivers.

use std::path::Path;
use std::sync::Arc;

use git2::Repository;

use crate::card::{self, Keys};
use crate::error::EvidenceError;

/// The id the card at `path` has in the tree of `commit`: `Ok(None)` when there is no file
/// there (a new model), `Err` when it cannot be read as a card.
pub(super) fn id_at(
    repo: &Repository,
    commit: &str,
    path: &str,
    keys: &Keys,
) -> Result<Option<String>, EvidenceError> {
    let git = |e: git2::Error| EvidenceError::Git(e.message().to_string());
    let tree = git2::Oid::from_str(commit)
        .and_then(|oid| repo.find_commit(oid))
        .and_then(|c| c.tree())
        .map_err(git)?;
    let entry = match tree.get_path(Path::new(path)) {
        Ok(e) => e,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
        Err(e) => return Err(git(e)),
    };
    let blob = repo.find_blob(entry.id()).map_err(git)?;
    let text = std::str::from_utf8(blob.content())
        .map_err(|_| EvidenceError::Git(format!("`{path}` is not UTF-8 at {commit}")))?;
    let file = Path::new(path);
    let source: Arc<str> = Arc::from(text);
    Ok(card::identify(
        path,
        &source,
        card::Format::of(file),
        &folder_of(file),
        keys,
    )
    .map(|(id, _)| id))
}

/// The name of a file's folder: a card's id when it declares none.
pub(super) fn folder_of(file: &Path) -> String {
    file.parent()
        .and_then(Path::file_name)
        .map_or_else(|| "model".to_string(), |n| n.to_string_lossy().into_owned())
}
