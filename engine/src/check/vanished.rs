//! Models that would leave the run unjudged: a card the checkout hides or that was edited to
//! stop being one, and under `--changed-since` a card removed (or made no longer a card) while
//! its model's folder still holds files.

use std::path::Path;
use std::sync::Arc;

use git2::Repository;

use super::identity::folder_of;
use crate::card::{self, Keys};
use crate::discover;
use crate::error::{CardError, InputError};
use crate::report::{Finding, ModelReport, Skipped, short};

/// For a tracked file that is not a card in the work tree but whose bytes are not its
/// committed blob: if the committed version is a card, the checkout hides it (an encoding or
/// filter in `.gitattributes`), or the card was edited to stop being one — an error either
/// way, never "not a card".
pub(super) fn committed_card(candidate: &discover::Candidate, keys: &Keys) -> Option<InputError> {
    let tracked = candidate.tracked.as_ref()?;
    let repo = Repository::open(tracked.repo.as_path()).ok()?;
    let blob = repo.find_blob(tracked.blob).ok()?;
    let text = std::str::from_utf8(blob.content()).ok()?;
    let was_card = matches!(
        card::parse(
            &candidate.shown,
            Arc::from(text),
            card::Format::of(&candidate.file),
            false,
            "model",
            keys,
        ),
        Ok(Some(_)) | Err(_)
    );
    was_card.then(|| {
        InputError::new(
            Some(&candidate.shown),
            CardError::Encoding("the file in the work tree is not a model card, but the version git has committed is one: a `.gitattributes` encoding or filter changes it on checkout, or it was edited and not committed".into()),
        )
        .with_help("cards are judged as git holds them: remove the `working-tree-encoding` or filter for cards, or commit the change (removing a card's governance block is itself reported)")
    })
}

/// The cards the change removed: every file that was a card at the merge base, changed in the
/// change, and is not a card now. While its folder still holds tracked files (or a submodule)
/// the model is blocked (`card-removed`); so it is when the folder went but its files moved
/// to a folder with no card. With its folder gone, it is listed as removed.
pub(super) fn removed_cards(
    repo: &Repository,
    change: &crate::evidence::ChangeSet,
    present: &std::collections::HashSet<&str>,
    keys: &Keys,
) -> (Vec<ModelReport>, Vec<Skipped>) {
    let mut blocked = Vec::new();
    let mut gone = Vec::new();
    let root = repo.workdir().map(Path::to_path_buf).unwrap_or_default();
    for before in &change.before {
        let path = &before.path;
        let name = path.rsplit('/').next().unwrap_or(path);
        if !discover::card_name(name) || present.contains(path.as_str()) {
            continue;
        }
        // The blob is in the repository's objects, or in the submodule's it was inside.
        let owner = match &before.submodule {
            None => None,
            Some(sub) => match Repository::open(root.join(sub)) {
                Ok(r) => Some(r),
                Err(_) => continue,
            },
        };
        let odb = owner.as_ref().unwrap_or(repo);
        let Ok(blob) = odb.find_blob(before.blob) else {
            continue;
        };
        let Ok(text) = std::str::from_utf8(blob.content()) else {
            continue;
        };
        let file = Path::new(path);
        let source: Arc<str> = Arc::from(text);
        let Some((id, anchor)) = card::identify(
            path,
            &source,
            card::Format::of(file),
            &folder_of(file),
            keys,
        ) else {
            continue;
        };
        let folder = path.rsplit_once('/').map_or("", |(f, _)| f);
        let now_what = if root.join(path).exists() {
            "is no longer a model card"
        } else {
            "was deleted"
        };
        let base = short(&change.merge_base);
        // Where the model's files are now: still in the folder (in its repository's index,
        // the submodule's for a card inside one), or moved elsewhere unchanged.
        let (index_repo, inner_folder) = match &before.submodule {
            Some(sub) => (
                owner.as_ref(),
                folder
                    .strip_prefix(sub.as_str())
                    .map(|f| f.trim_start_matches('/')),
            ),
            None => (Some(repo), Some(folder)),
        };
        let remains = match (index_repo.and_then(|r| r.index().ok()), inner_folder) {
            (Some(index), Some(inner)) => holds_files(&index, inner),
            _ => false,
        };
        let moved_to: std::collections::BTreeSet<&str> = change
            .moved
            .iter()
            .filter(|(from, _)| folder.is_empty() || from.starts_with(&format!("{folder}/")))
            .map(|(_, to)| to.rsplit_once('/').map_or("", |(f, _)| f))
            .collect();
        let card_where_moved = moved_to.iter().any(|dest| {
            present
                .iter()
                .any(|p| p.rsplit_once('/').map_or("", |(f, _)| f) == *dest)
        });
        let holder = if folder.is_empty() {
            "the repository".to_string()
        } else {
            format!("`{folder}/`")
        };
        let message = if remains {
            Some(format!(
                "`{path}` was the card of model `{id}` at the merge base {base} and {now_what} in this change, while {holder} still holds the model's files"
            ))
        } else if !moved_to.is_empty() && !card_where_moved {
            Some(format!(
                "`{path}` was the card of model `{id}` at the merge base {base} and {now_what} in this change, while the files of {holder} moved to {} with no model card there",
                moved_to
                    .iter()
                    .map(|d| format!("`{d}/`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        } else {
            None
        };
        match message {
            Some(message) => blocked.push(ModelReport {
                id,
                path: path.clone(),
                decision: crate::report::Decision::Blocked,
                findings: vec![Finding::card_removed(path, anchor, message)],
                source,
            }),
            None => gone.push(Skipped {
                id,
                path: path.clone(),
                reason: if moved_to.is_empty() {
                    format!("the card and its folder were removed since the merge base {base}")
                } else {
                    format!(
                        "the card and its folder were moved since the merge base {base}, to {}",
                        moved_to.iter().copied().collect::<Vec<_>>().join(", ")
                    )
                },
            }),
        }
    }
    (blocked, gone)
}

/// Whether the index lists anything in `folder` (or the folder itself, as a submodule);
/// everything, for the repository's root.
fn holds_files(index: &git2::Index, folder: &str) -> bool {
    let inside = format!("{folder}/");
    index.iter().any(|e| {
        let p = String::from_utf8_lossy(&e.path);
        folder.is_empty() || p == folder || p.starts_with(&inside)
    })
}
