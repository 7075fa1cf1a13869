//! Model files no card covers, as `ungoverned-artifact` findings: within what the run looks
//! at (the folders named, or the repository), and under `--changed-since` only the files the
//! change touched.

use std::path::{Path, PathBuf};

use crate::artifacts;
use crate::error::InputError;
use crate::evidence::Evidence;
use crate::report::{Finding, Severity};

/// The findings, or why the model files could not be listed.
pub(super) fn findings(
    cwd: &Path,
    root: &Path,
    paths: &[PathBuf],
    cards: &[&str],
    evidence: &Evidence,
    blocks: bool,
) -> Result<Vec<Finding>, InputError> {
    // Only card files were named: no folder to look in.
    let Some(scope) = artifacts::scope(cwd, paths) else {
        return Ok(Vec::new());
    };
    let files = artifacts::model_files(root, &scope)?;
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
