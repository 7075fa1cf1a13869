//! Evidence about a change beyond its cards: what git says about HEAD and about what the change
//! touched, what the GitHub event says, and who approved the pull request. Readers here know
//! nothing of Cedar. Evidence that could not be gathered is kept as the reason why, so that
//! gates needing it fail closed and say what was missing — never as "no approvals".

pub mod git;
pub mod keys;
pub mod tags;
mod worktree;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::card::FieldPath;
use crate::error::{EvidenceError, InputError, Kind};
use crate::report::EvidenceNote;

use crate::github;
pub use crate::github::{Event, Reviews, Token};
use crate::setting::{self, Setting};

pub use git::{ChangeSet, GitFacts};
pub use keys::EvidenceKey;

/// Where GitHub evidence comes from. The CLI fills this from flags and the environment; the
/// library never reads the environment itself.
#[derive(Debug, Clone)]
pub struct GitHubOptions {
    /// `GITHUB_EVENT_PATH` and `GITHUB_EVENT_NAME`.
    pub event_path: Option<PathBuf>,
    pub event_name: Option<String>,
    /// `GITHUB_API_URL`, `https://api.github.com` by default.
    pub api_url: String,
    /// `--github-token` or `GITHUB_TOKEN`; without one nothing is fetched.
    pub token: Option<Token>,
    /// `--repo` or `GITHUB_REPOSITORY`; else the event's, else the `origin` remote's.
    pub repo: Option<String>,
    pub timeout: Duration,
    /// Count approvals given to earlier commits of the pull request (the configuration's
    /// `accept_stale_approvals`); by default only approvals of the commit judged count.
    pub accept_stale_approvals: bool,
}

impl Default for GitHubOptions {
    fn default() -> Self {
        GitHubOptions {
            event_path: None,
            event_name: None,
            api_url: "https://api.github.com".into(),
            token: None,
            repo: None,
            timeout: Duration::from_secs(10),
            accept_stale_approvals: false,
        }
    }
}

/// What to gather.
#[derive(Debug, Clone, Default)]
pub struct GatherOptions {
    /// `--changed-since REF`.
    pub changed_since: Option<String>,
    /// Governance configuration (the pack, `.aimsgate/`, waivers, statement), relative to the
    /// repository root: a change to any of it is a policy change.
    pub governance_paths: Vec<String>,
    /// `--default-branch`.
    pub default_branch: Option<String>,
    pub github: GitHubOptions,
}

/// Everything known about the change.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// Git facts about HEAD, or why there are none (not a repository, no commit yet, …).
    pub git: Result<GitFacts, EvidenceError>,
    /// With `--changed-since`: what the change touched.
    pub change: Option<ChangeSet>,
    /// With `--changed-since`: whether the change touches governance configuration (the
    /// policy pack's directory, `.aimsgate/`, the waivers file or the statement).
    pub policies_changed: bool,
    /// The GitHub event payload, when running in GitHub Actions.
    pub event: Option<Event>,
    /// The pull request's reviews, or why they are unknown.
    pub review: Result<Reviews, EvidenceError>,
    /// `--default-branch`, else the event's repository default branch, else `origin/HEAD`.
    pub default_branch: Option<String>,
    /// `owner/name` of the GitHub repository: `--repo` or `GITHUB_REPOSITORY`, else the
    /// event's, else the `origin` remote's.
    pub repository: Option<String>,
    /// Whether HEAD is on the default branch as the remote has it (reachable from
    /// `refs/remotes/origin/<default>`): what makes a release tag at HEAD a protected release.
    /// `Err` says why it is unknown; `Ok(None)` when HEAD carries no release tag.
    pub tag_reachable: Result<Option<bool>, EvidenceError>,
}

impl Evidence {
    /// No evidence beyond the cards, for the reason given.
    pub fn unavailable(why: &str) -> Evidence {
        Evidence {
            git: Err(EvidenceError::Unavailable(why.to_string())),
            change: None,
            policies_changed: false,
            event: None,
            review: Err(EvidenceError::Unavailable(why.to_string())),
            default_branch: None,
            repository: None,
            tag_reachable: Ok(None),
        }
    }

    /// Gathers the evidence for the repository containing `cwd`. Outside a repository the git
    /// evidence is unavailable, which is fine unless `--changed-since` asks for a diff; without
    /// a token the reviews are unavailable. Errors are what was asked for and cannot be had.
    pub fn gather(cwd: &Path, options: &GatherOptions) -> Result<Evidence, Box<InputError>> {
        let changed_since = options.changed_since.as_deref();
        let needs_git = |why: EvidenceError| {
            Box::new(InputError::new(
                None,
                Kind::from(why).context(&format!(
                    "{} {}: ",
                    setting::name(Setting::ChangedSince),
                    changed_since.unwrap_or_default()
                )),
            ))
        };
        let repo = git::open(cwd);
        let facts = repo.as_ref().map_err(Clone::clone).and_then(git::facts);
        if let (Err(why), Some(_)) = (&facts, changed_since) {
            return Err(needs_git(why.clone()));
        }
        let (change, policies_changed) = match (&repo, changed_since) {
            (Ok(repo), Some(base)) => {
                let change = git::changed_since(repo, base)?;
                let changed = options
                    .governance_paths
                    .iter()
                    .any(|dir| dir.is_empty() || change.touches(dir));
                (Some(change), changed)
            }
            _ => (None, false),
        };
        let gh = &options.github;
        let event = match &gh.event_path {
            Some(path) => Some(github::read_event(
                path,
                gh.event_name.as_deref().unwrap_or(""),
            )?),
            None => None,
        };
        let default_branch = options
            .default_branch
            .clone()
            .or_else(|| event.as_ref().and_then(|e| e.default_branch.clone()))
            .or_else(|| facts.as_ref().ok().and_then(|f| f.origin_head.clone()));
        let tagged = facts.as_ref().is_ok_and(|f| !f.tags.is_empty())
            || event.as_ref().is_some_and(|e| e.tag.is_some());
        let tag_reachable = match (&repo, &facts) {
            _ if !tagged => Ok(None),
            (Ok(repo), Ok(f)) => {
                git::reachable_from_default(repo, &f.commit, default_branch.as_deref()).map(Some)
            }
            (Err(why), _) | (_, Err(why)) => Err(why.clone()),
        };
        let repo_name = gh
            .repo
            .clone()
            .or_else(|| event.as_ref().and_then(|e| e.repository.clone()))
            .or_else(|| {
                facts
                    .as_ref()
                    .ok()
                    .and_then(|f| f.origin_url.as_deref())
                    .and_then(github::repo_of_remote)
            });
        let sha = head_sha(event.as_ref(), facts.as_ref().ok());
        let review = match (&gh.token, &repo_name) {
            (None, _) => Err(EvidenceError::GitHub(format!(
                "no GitHub token (set GITHUB_TOKEN or pass {})",
                setting::name(Setting::GithubToken)
            ))),
            (Some(_), None) => Err(EvidenceError::GitHub(format!(
                "the GitHub repository is unknown (pass {} OWNER/NAME)",
                setting::name(Setting::Repo)
            ))),
            (Some(token), Some(name)) => reviews(gh, token, name, event.as_ref(), sha.as_deref()),
        };
        Ok(Evidence {
            git: facts,
            change,
            policies_changed,
            event,
            review,
            default_branch,
            repository: repo_name,
            tag_reachable,
        })
    }

    /// The commit a change is judged as on GitHub: a pull request's head (HEAD is then the
    /// test merge commit, which GitHub does not show), else the commit the event names, else
    /// HEAD.
    pub fn head_sha(&self) -> Option<String> {
        head_sha(self.event.as_ref(), self.git.as_ref().ok())
    }

    /// Tags at HEAD: git's, and the tag a release or tag push event names.
    pub fn tags(&self) -> Vec<String> {
        let mut tags = self
            .git
            .as_ref()
            .map(|g| g.tags.clone())
            .unwrap_or_default();
        if let Some(tag) = self.event.as_ref().and_then(|e| e.tag.clone())
            && !tags.contains(&tag)
        {
            tags.push(tag);
        }
        tags.sort();
        tags
    }

    /// The branch a release happens from: a pull request's base branch (what merging it
    /// releases into), else the checked-out branch, else the branch a push or manual run names.
    pub fn branch(&self) -> Option<String> {
        let event = self.event.as_ref();
        event
            .and_then(|e| e.pull_request.as_ref().map(|p| p.base_ref.clone()))
            .or_else(|| self.git.as_ref().ok().and_then(|g| g.branch.clone()))
            .or_else(|| event.and_then(|e| e.branch.clone()))
    }

    /// A sentence about an evidence field for the finding on model `model_id`: what it is,
    /// or why it is unknown. `tag_version` is the version the release tags at HEAD give
    /// the model.
    pub fn describe_for(&self, field: &FieldPath, model_id: &str) -> Option<String> {
        let key = EvidenceKey::of(field)?;
        if key != EvidenceKey::TagVersion {
            return self.describe(key);
        }
        let tags = self.tags();
        Some(match tags::tag_version(&tags, model_id) {
            Ok(Some(version)) => {
                let giving: Vec<String> = tags
                    .iter()
                    .filter(|t| {
                        tags::tag_version(std::slice::from_ref(t), model_id)
                            .ok()
                            .flatten()
                            .as_deref()
                            == Some(version.as_str())
                    })
                    .map(|t| format!("`{t}`"))
                    .collect();
                format!(
                    "the release tag {} at HEAD gives version `{version}`",
                    giving.join(", ")
                )
            }
            Ok(None) => "no release tag at HEAD gives this model a version".into(),
            Err(why) => why.to_string(),
        })
    }

    /// A sentence about an evidence field, for findings: what it is, or why it is unknown.
    /// `tag_version` is told by [`Evidence::describe_for`], which knows the model.
    pub fn describe(&self, key: EvidenceKey) -> Option<String> {
        Some(match key {
            EvidenceKey::Review => match &self.review {
                Err(why) => format!("pull request reviews are unknown: {why}"),
                Ok(r) => {
                    let independent = r.independent();
                    let handles = |logins: &[String]| {
                        logins
                            .iter()
                            .map(|a| format!("@{a}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    let stale = if r.stale_approvers.is_empty() {
                        String::new()
                    } else {
                        format!(
                            "; not counted: {} approved an earlier commit, not the one judged",
                            handles(&r.stale_approvers)
                        )
                    };
                    format!(
                        "pull request #{} by @{}: {} independent approval{}{}{stale}",
                        r.pr_number,
                        r.pr_author,
                        independent.len(),
                        if independent.len() == 1 { "" } else { "s" },
                        if independent.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", handles(&independent))
                        }
                    )
                }
            },
            EvidenceKey::Git => match &self.git {
                Err(why) => format!("git evidence is unavailable: {why}"),
                Ok(g) => format!("HEAD is {}", crate::report::short(&g.commit)),
            },
            EvidenceKey::Branch => {
                let branch = match (self.branch(), &self.git, &self.default_branch) {
                    (None, Err(_), _) if self.event.is_none() => {
                        "the cards are not in a git repository, so the branch and tags of the release are unknown".to_string()
                    }
                    (None, _, _) => {
                        "HEAD is detached and no GitHub event names the branch of the release"
                            .to_string()
                    }
                    (Some(b), _, Some(d)) if b != *d => {
                        format!("the release is from branch `{b}`, not the default branch `{d}`")
                    }
                    (Some(b), _, None) => format!(
                        "the release is from branch `{b}`, but the default branch is unknown, so it cannot be told a release from it"
                    ),
                    (Some(b), _, _) => format!("the release is from branch `{b}`"),
                };
                let tags = self.tags();
                match (&self.tag_reachable, tags.is_empty()) {
                    (_, true) | (Ok(Some(true)), _) => branch,
                    (Ok(_), false) => format!(
                        "{branch}; the release tag{} {} {} on a commit that is not on the default branch as the remote has it (refs/remotes/origin/{}), so {} not make a protected release",
                        if tags.len() == 1 { "" } else { "s" },
                        tags.iter()
                            .map(|t| format!("`{t}`"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        if tags.len() == 1 { "is" } else { "are" },
                        self.default_branch.as_deref().unwrap_or("<default>"),
                        if tags.len() == 1 {
                            "it does"
                        } else {
                            "they do"
                        },
                    ),
                    (Err(why), false) => format!(
                        "{branch}; whether the release tag's commit is on the default branch is unknown ({why}), so the tag does not make a protected release"
                    ),
                }
            }
            EvidenceKey::DefaultBranch => match &self.default_branch {
                // Said by `branch` when they differ.
                Some(_) => return None,
                None if self.git.is_err() && self.event.is_none() => return None,
                None => format!(
                    "no GitHub event names the default branch, `origin/HEAD` is not set (`git remote set-head origin --auto` sets it), and neither {} nor `default_branch` in .aimsgate/config.yaml gives it",
                    setting::name(Setting::DefaultBranch)
                ),
            },
            EvidenceKey::Github => match &self.event {
                Some(e) => format!("GitHub event `{}`", e.name),
                None => "no GitHub event (not running in GitHub Actions)".into(),
            },
            EvidenceKey::TagVersion => return None,
        })
    }
}

/// The commit a change is judged as on GitHub (see [`Evidence::head_sha`]).
fn head_sha(event: Option<&Event>, git: Option<&GitFacts>) -> Option<String> {
    event
        .and_then(|e| e.sha.clone())
        .or_else(|| git.map(|g| g.commit.clone()))
}

fn reviews(
    gh: &GitHubOptions,
    token: &Token,
    repo: &str,
    event: Option<&Event>,
    sha: Option<&str>,
) -> Result<Reviews, EvidenceError> {
    let api = github::Api::new(&gh.api_url, token, repo, gh.timeout)?;
    let pull = match event.and_then(|e| e.pull_request.as_ref()) {
        Some(pr) => github::Pull {
            number: pr.number,
            author: pr.author.clone(),
            head_sha: pr.head_sha.clone(),
        },
        None => {
            let sha = sha.ok_or(EvidenceError::GitHub(
                "the commit being deployed is unknown".into(),
            ))?;
            api.pull_for_commit(sha)?.ok_or_else(|| {
                EvidenceError::Unavailable(format!(
                    "no merged pull request brought commit {} into {repo}",
                    crate::report::short(sha)
                ))
            })?
        }
    };
    api.reviews(&pull, sha, gh.accept_stale_approvals)
}

impl Evidence {
    /// What evidence a verdict had, or why it had none: one note per kind.
    pub fn notes(&self) -> Vec<EvidenceNote> {
        let evidence = self;
        let git = match &evidence.git {
            Ok(g) => EvidenceNote {
                kind: "git",
                available: true,
                detail: format!(
                    "HEAD {}{}{}",
                    crate::report::short(&g.commit),
                    g.branch
                        .as_ref()
                        .map(|b| format!(" on {b}"))
                        .unwrap_or_else(|| " (detached)".into()),
                    if g.tags.is_empty() {
                        String::new()
                    } else {
                        format!(", tags {}", g.tags.join(", "))
                    }
                ),
            },
            Err(why) => EvidenceNote {
                kind: "git",
                available: false,
                detail: why.to_string(),
            },
        };
        let event = match &evidence.event {
            Some(e) => EvidenceNote {
                kind: "github-event",
                available: true,
                detail: match &e.pull_request {
                    Some(pr) => format!("{} #{} into {}", e.name, pr.number, pr.base_ref),
                    None => e.name.clone(),
                },
            },
            None => EvidenceNote {
                kind: "github-event",
                available: false,
                detail: "not running in GitHub Actions (no GITHUB_EVENT_PATH)".into(),
            },
        };
        let reviews = match &evidence.review {
            Ok(r) => EvidenceNote {
                kind: "reviews",
                available: true,
                detail: format!(
                    "pull request #{}: approved by {}",
                    r.pr_number,
                    if r.approvers.is_empty() {
                        "nobody".to_string()
                    } else {
                        r.approvers.join(", ")
                    }
                ),
            },
            Err(why) => EvidenceNote {
                kind: "reviews",
                available: false,
                detail: why.to_string(),
            },
        };
        vec![git, event, reviews]
    }
}
