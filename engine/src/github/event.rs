//! The workflow's event payload (`GITHUB_EVENT_PATH`): the pull request, release or push a
//! run is about.

use std::path::Path;

use serde_json::Value;

use super::text;
use crate::error::{EvidenceError, InputError};

/// The pull request an event is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    pub number: u64,
    /// The login of the pull request's author.
    pub author: String,
    /// The branch it merges into, and the branch it comes from.
    pub base_ref: String,
    pub head_ref: String,
    pub head_sha: Option<String>,
    pub base_sha: Option<String>,
    /// `owner/name` of the repository the head branch is in (another one for a fork).
    pub head_repo: Option<String>,
}

/// What the workflow's event payload says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Event {
    /// `GITHUB_EVENT_NAME`: `pull_request`, `release`, `push`, `workflow_dispatch`, …
    pub name: String,
    /// `owner/name`.
    pub repository: Option<String>,
    pub default_branch: Option<String>,
    pub pull_request: Option<PullRequest>,
    /// A release's tag, or the tag a push created.
    pub tag: Option<String>,
    /// The branch a push or a manual run is on.
    pub branch: Option<String>,
    /// The commit the event is about: a pull request's head, else a push's `after`.
    pub sha: Option<String>,
}

/// Reads the event payload. A payload that is named but cannot be read is an error: the
/// evidence it would give must not silently go missing.
pub fn read_event(path: &Path, name: &str) -> Result<Event, Box<InputError>> {
    let shown = path.to_string_lossy();
    let fail = |m: String| Box::new(InputError::new(Some(&shown), EvidenceError::Event(m)));
    let bytes = std::fs::read(path)
        .map_err(|e| fail(format!("cannot read the GitHub event payload: {e}")))?;
    let v: Value = serde_json::from_slice(&bytes)
        .map_err(|e| fail(format!("the GitHub event payload is not JSON: {e}")))?;
    let git_ref = text(&v, &["ref"]);
    let pull_request = v.get("pull_request").and_then(|pr| {
        Some(PullRequest {
            number: pr.get("number")?.as_u64()?,
            author: text(pr, &["user", "login"])?,
            base_ref: text(pr, &["base", "ref"])?,
            head_ref: text(pr, &["head", "ref"])?,
            head_sha: text(pr, &["head", "sha"]),
            base_sha: text(pr, &["base", "sha"]),
            head_repo: text(pr, &["head", "repo", "full_name"]),
        })
    });
    if name.starts_with("pull_request") && pull_request.is_none() {
        return Err(fail(format!(
            "a `{name}` event payload without a readable `pull_request` (number, user.login, base.ref, head.ref)"
        )));
    }
    let tag = text(&v, &["release", "tag_name"]).or_else(|| {
        git_ref
            .as_deref()
            .and_then(|r| r.strip_prefix("refs/tags/"))
            .map(str::to_string)
    });
    let branch = git_ref
        .as_deref()
        .and_then(|r| r.strip_prefix("refs/heads/"))
        .map(str::to_string);
    // Worked out here once: a pull request's head (HEAD is then the test merge commit, which
    // GitHub does not show), else the commit a push names.
    let sha = pull_request
        .as_ref()
        .and_then(|p| p.head_sha.clone())
        .or_else(|| text(&v, &["after"]).filter(|s| s.bytes().any(|b| b != b'0')));
    Ok(Event {
        name: name.to_string(),
        repository: text(&v, &["repository", "full_name"]),
        default_branch: text(&v, &["repository", "default_branch"]),
        pull_request,
        tag,
        branch,
        sha,
    })
}
