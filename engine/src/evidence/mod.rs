//! Evidence about a change beyond its cards: what git says about HEAD and about what the change
//! touched. Readers here know nothing of Cedar; evidence that could not be gathered is kept as
//! the reason why, so that gates needing it fail closed and say what was missing.

pub mod git;

use std::path::Path;

use crate::discover;
use crate::error::InputError;
use crate::pack::PackFile;

pub use git::{ChangeSet, GitFacts};

/// Everything known about the change.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// Git facts about HEAD, or why there are none (not a repository, no commit yet, …).
    pub git: Result<GitFacts, String>,
    /// With `--changed-since`: what the change touched.
    pub change: Option<ChangeSet>,
    /// With `--changed-since`: whether the change touches the policy pack's directory.
    pub policies_changed: bool,
}

impl Evidence {
    /// No evidence beyond the cards, for the reason given.
    pub fn unavailable(why: &str) -> Evidence {
        Evidence {
            git: Err(why.to_string()),
            change: None,
            policies_changed: false,
        }
    }

    /// Gathers git evidence for the repository containing `cwd`. `policies` is the pack's
    /// directory as given on the command line (`policies/` of the repository by default).
    /// Outside a repository the git evidence is unavailable, which is fine unless
    /// `changed_since` asks for a diff.
    pub fn gather(
        cwd: &Path,
        changed_since: Option<&str>,
        policies: Option<&Path>,
    ) -> Result<Evidence, Box<InputError>> {
        let needs_git = |why: String| {
            Box::new(InputError::new(
                None,
                format!(
                    "--changed-since {}: {why}",
                    changed_since.unwrap_or_default()
                ),
            ))
        };
        let repo = match git::open(cwd) {
            Ok(r) => r,
            Err(why) if changed_since.is_some() => return Err(needs_git(why)),
            Err(why) => return Ok(Evidence::unavailable(&why)),
        };
        let facts = git::facts(&repo);
        if let (Err(why), Some(_)) = (&facts, changed_since) {
            return Err(needs_git(why.clone()));
        }
        let change = changed_since
            .map(|base| git::changed_since(&repo, base))
            .transpose()?;
        let policies_changed = match (&change, policy_dir(&repo, cwd, policies)) {
            (Some(c), Some(dir)) => dir.is_empty() || c.touches(&dir),
            _ => false,
        };
        Ok(Evidence {
            git: facts,
            change,
            policies_changed,
        })
    }
}

/// The pack's directory relative to the work tree root (`policies` unless `--policies` names
/// another); `None` when it lies outside the repository.
fn policy_dir(repo: &git2::Repository, cwd: &Path, policies: Option<&Path>) -> Option<String> {
    let Some(given) = policies else {
        return Some("policies".to_string());
    };
    let root = repo.workdir()?;
    let abs = discover::absolute(cwd, given);
    let rel = abs.strip_prefix(root).ok()?;
    Some(
        discover::display(root, &abs, rel)
            .trim_start_matches('.')
            .to_string(),
    )
}

/// The policy pack in the tree of `reference` (`--policies-ref`), from the pack directory
/// (`--policies`, relative to the current directory, or the repository's `policies/`).
pub fn pack_at_ref(
    cwd: &Path,
    reference: &str,
    policies: Option<&Path>,
) -> Result<Vec<PackFile>, Box<InputError>> {
    let fail = |m: String| {
        Box::new(InputError::new(
            None,
            format!("--policies-ref {reference}: {m}"),
        ))
    };
    let repo = git::open(cwd).map_err(fail)?;
    let dir = policy_dir(&repo, cwd, policies)
        .ok_or_else(|| fail("the policy directory is outside the repository".into()))?;
    git::pack_at_ref(&repo, reference, &dir)
}
