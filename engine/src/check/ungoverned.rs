//! Model files no card covers, as `ungoverned-artifact` findings: within what the run looks
//! at (the folders named, or the repository), and under `--changed-since` only the files the
//! change touched.

use std::path::{Path, PathBuf};

use crate::artifacts::{self, ModelFile};
use crate::error::{EvidenceError, InputError};
use crate::evidence::Evidence;
use crate::report::{Finding, Severity};

/// The model files the run looks at (none when only card files were named), listed on a
/// thread of their own while the cards are judged: listing them reads git's index.
pub(super) struct Listing(Option<std::thread::JoinHandle<Result<Vec<ModelFile>, InputError>>>);

/// Starts listing the model files under `paths` (the repository when empty).
pub(super) fn start(cwd: &Path, root: &Path, paths: &[PathBuf]) -> Listing {
    Listing(artifacts::scope(cwd, paths).map(|scope| {
        let root = root.to_path_buf();
        std::thread::spawn(move || artifacts::model_files(&root, &scope))
    }))
}

/// The findings, or why the model files could not be listed.
pub(super) fn findings(
    listing: Listing,
    cards: &[&str],
    evidence: &Evidence,
    blocks: bool,
) -> Result<Vec<Finding>, InputError> {
    let Some(job) = listing.0 else {
        return Ok(Vec::new());
    };
    let files = job.join().unwrap_or_else(|_| {
        Err(InputError::new(
            None,
            EvidenceError::Git(
                "internal: listing the model files failed, so files no card covers cannot be found"
                    .into(),
            ),
        ))
    })?;
    let severity = if blocks {
        Severity::Error
    } else {
        Severity::Warning
    };
    Ok(artifacts::ungoverned(&files, cards)
        .into_iter()
        .filter(|f| {
            evidence
                .change
                .as_ref()
                .is_none_or(|c| c.files.contains(&f.path))
        })
        .map(|f| Finding::ungoverned(f, severity))
        .collect())
}
