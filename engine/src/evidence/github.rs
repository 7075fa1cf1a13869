//! GitHub evidence: the workflow's event payload (`GITHUB_EVENT_PATH`), and pull request reviews
//! through GitHub's REST API with octocrab. This is the network edge: nothing here runs without
//! a token, nothing else in aimsgate talks to the network, and the token never appears in any
//! message (it is redacted from every error text as well).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::time::Duration;

use octocrab::Octocrab;
use serde_json::Value;

use crate::error::{EvidenceError, InputError};

/// A GitHub token. Its `Debug` and `Display` never show it.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// `None` for an empty or blank token.
    pub fn new(token: &str) -> Option<Token> {
        let t = token.trim();
        (!t.is_empty()).then(|| Token(t.to_string()))
    }

    /// `text` with every occurrence of the token replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        text.replace(&self.0, "***")
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

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
    /// The commit the event is about (a push's `after`, a pull request's head).
    pub sha: Option<String>,
}

fn text(v: &Value, path: &[&str]) -> Option<String> {
    let mut v = v;
    for key in path {
        v = v.get(key)?;
    }
    v.as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
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
    let sha = text(&v, &["after"])
        .filter(|s| s.bytes().any(|b| b != b'0'))
        .or_else(|| pull_request.as_ref().and_then(|p| p.head_sha.clone()));
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

/// The pull request whose reviews count: its number, author and head commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pull {
    pub number: u64,
    pub author: String,
    pub head_sha: Option<String>,
}

/// What the reviews of a pull request say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reviews {
    pub pr_number: u64,
    pub pr_author: String,
    /// Reviewers whose latest decisive review approves the commit being judged (a later
    /// comment does not undo an approval; a later change request or dismissal does). Bots and
    /// the author are left out; so are approvals of earlier commits, unless accepted.
    pub approvers: Vec<String>,
    /// Reviewers whose latest approval is of an earlier commit of the pull request: it does
    /// not count (the commits after it were not approved).
    pub stale_approvers: Vec<String>,
    /// Reviewers whose latest decisive review requests changes.
    pub changes_requested: Vec<String>,
    /// The GitHub login of the commit's author, when GitHub knows it.
    pub commit_author: Option<String>,
}

impl Reviews {
    /// Approvers other than the pull request's author and the commit's author.
    pub fn independent(&self) -> Vec<String> {
        self.approvers
            .iter()
            .filter(|a| Some(*a) != self.commit_author.as_ref() && **a != self.pr_author)
            .cloned()
            .collect()
    }
}

/// Whether a user object is a bot.
fn is_bot(user: &Value) -> bool {
    user.get("type").and_then(Value::as_str) == Some("Bot")
        || text(user, &["login"]).is_some_and(|l| l.ends_with("[bot]"))
}

/// What the reviews say, per reviewer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub approvers: Vec<String>,
    pub changes_requested: Vec<String>,
    /// Approvals of another commit than `head` (not counted, unless stale ones are accepted).
    pub stale: Vec<String>,
}

/// The latest decisive state per reviewer, from reviews in the order GitHub lists them. An
/// approval counts only when it is of `head` (the commit being judged), unless
/// `accept_stale`: an approval of an earlier commit does not approve what was pushed after it.
pub fn tally(reviews: &[Value], pr_author: &str, head: Option<&str>, accept_stale: bool) -> Tally {
    let mut latest: BTreeMap<String, (String, Option<String>)> = BTreeMap::new();
    for r in reviews {
        let Some(user) = r.get("user") else { continue };
        let (Some(login), Some(state)) = (text(user, &["login"]), text(r, &["state"])) else {
            continue;
        };
        if is_bot(user) || login == pr_author {
            continue;
        }
        if matches!(
            state.as_str(),
            "APPROVED" | "CHANGES_REQUESTED" | "DISMISSED"
        ) {
            latest.insert(login, (state, text(r, &["commit_id"])));
        }
    }
    let mut t = Tally::default();
    for (login, (state, commit)) in latest {
        match state.as_str() {
            "APPROVED" if accept_stale || (head.is_some() && commit.as_deref() == head) => {
                t.approvers.push(login);
            }
            "APPROVED" => t.stale.push(login),
            "CHANGES_REQUESTED" => t.changes_requested.push(login),
            _ => {}
        }
    }
    t
}

/// The HTTP methods aimsgate uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Patch,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
        }
    }
}

/// What GitHub answered when a request did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status, when there was an answer at all.
    pub status: Option<u16>,
    /// What happened, without the token.
    pub message: String,
}

/// A client for GitHub's REST API.
pub struct Api {
    client: Octocrab,
    runtime: tokio::runtime::Runtime,
    token: Token,
    repo: String,
    timeout: Duration,
}

impl fmt::Debug for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Api")
            .field("repo", &self.repo)
            .finish_non_exhaustive()
    }
}

/// The login under which a GitHub Actions token (`GITHUB_TOKEN`) writes.
pub const ACTIONS_BOT: &str = "github-actions[bot]";

/// Answers that may pass if asked again.
const RETRIES: u32 = 2;
/// Pages of 100 read at most (10,000 reviews).
const MAX_PAGES: usize = 100;

impl Api {
    /// A client for `repo` (`owner/name`) at `api_url` (`https://api.github.com`, or a GitHub
    /// Enterprise server's `/api/v3`).
    pub fn new(
        api_url: &str,
        token: &Token,
        repo: &str,
        timeout: Duration,
    ) -> Result<Api, EvidenceError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| EvidenceError::GitHub(format!("cannot start the HTTP runtime: {e}")))?;
        let client = {
            let _guard = runtime.enter();
            Octocrab::builder()
                .base_uri(api_url.trim_end_matches('/'))
                .map_err(|e| {
                    EvidenceError::GitHub(format!(
                        "the GitHub API URL `{api_url}` is not usable: {e}"
                    ))
                })?
                .personal_token(token.0.clone())
                .add_retry_config(octocrab::service::middleware::retry::RetryConfig::None)
                .set_connect_timeout(Some(timeout))
                .set_read_timeout(Some(timeout))
                .set_write_timeout(Some(timeout))
                .build()
                .map_err(|e| {
                    EvidenceError::GitHub(
                        token.redact(&format!("cannot build the GitHub client: {e}")),
                    )
                })?
        };
        Ok(Api {
            client,
            runtime,
            token: token.clone(),
            repo: repo.to_string(),
            timeout,
        })
    }

    /// GET `path` (below `/repos/OWNER/NAME`), as JSON.
    fn get(&self, path: &str) -> Result<Value, EvidenceError> {
        self.call(Method::Get, path, None)
            .map_err(|e| EvidenceError::GitHub(e.message))
    }

    /// Sends a request to `path` (below `/repos/OWNER/NAME`) and reads the JSON answer. Server
    /// errors, 429 and time-outs are asked again twice, with a short back-off; anything else
    /// answers at once. The error says what GitHub answered, without the token.
    pub fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, ApiError> {
        self.request(method, format!("/repos/{}{path}", self.repo), body)
    }

    /// The login of the token's own identity: `GET /user` for a user's token; an Actions or
    /// app installation token cannot ask that (403), and writes as `github-actions[bot]`.
    pub fn identity(&self) -> Result<String, ApiError> {
        match self.request(Method::Get, "/user".to_string(), None) {
            Ok(user) => text(&user, &["login"]).ok_or(ApiError {
                status: None,
                message: "GET /user: the answer has no `login`".into(),
            }),
            Err(e) if matches!(e.status, Some(401 | 403 | 404)) => Ok(ACTIONS_BOT.to_string()),
            Err(e) => Err(e),
        }
    }

    fn request(
        &self,
        method: Method,
        uri: String,
        body: Option<&Value>,
    ) -> Result<Value, ApiError> {
        let what = format!("{} {uri}", method.as_str());
        let mut attempt = 0;
        loop {
            let outcome = self.runtime.block_on(async {
                let call = async {
                    let response = match method {
                        Method::Get => self.client._get(uri.as_str()).await?,
                        Method::Post => self.client._post(uri.as_str(), body).await?,
                        Method::Patch => self.client._patch(uri.as_str(), body).await?,
                    };
                    let status = response.status();
                    let remaining = response
                        .headers()
                        .get("x-ratelimit-remaining")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string);
                    let body = self.client.body_to_string(response).await?;
                    Ok::<_, octocrab::Error>((status, remaining, body))
                };
                tokio::time::timeout(self.timeout, call).await
            });
            let fail = |status: Option<u16>, message: String| ApiError { status, message };
            let retry = match outcome {
                Err(_) => fail(
                    None,
                    format!("GitHub did not answer {what} within {:?}", self.timeout),
                ),
                Ok(Err(e)) => fail(None, self.token.redact(&format!("{what} failed: {e}"))),
                Ok(Ok((status, remaining, text))) => {
                    let code = status.as_u16();
                    if status.is_success() {
                        if text.trim().is_empty() {
                            return Ok(Value::Null);
                        }
                        return serde_json::from_str(&text).map_err(|e| {
                            fail(
                                Some(code),
                                format!("{what}: GitHub's answer is not JSON ({e})"),
                            )
                        });
                    }
                    let said = serde_json::from_str::<Value>(&text)
                        .ok()
                        .and_then(|v| self::text(&v, &["message"]))
                        .map(|m| format!(": {m}"))
                        .unwrap_or_default();
                    let said = self.token.redact(&said);
                    let error = match code {
                        401 => format!(
                            "GitHub answered 401 Unauthorized to {what}{said}: the token is invalid or expired"
                        ),
                        403 | 429 if remaining.as_deref() == Some("0") => format!(
                            "GitHub answered {code} to {what}: the API rate limit is exhausted{said}"
                        ),
                        403 => format!(
                            "GitHub answered 403 Forbidden to {what}{said}: the token lacks the permission (reading reviews needs `pull-requests: read`)"
                        ),
                        404 => format!(
                            "GitHub answered 404 Not Found to {what}{said}: no such repository or pull request, or the token cannot see it"
                        ),
                        _ => format!("GitHub answered {code} to {what}{said}"),
                    };
                    let transient =
                        code >= 500 || (code == 429 && remaining.as_deref() != Some("0"));
                    if !transient {
                        return Err(fail(Some(code), error));
                    }
                    fail(Some(code), error)
                }
            };
            if attempt >= RETRIES {
                return Err(retry);
            }
            attempt += 1;
            std::thread::sleep(Duration::from_millis(250 * u64::from(attempt)));
        }
    }

    /// Every item of a paginated list.
    pub fn get_all(&self, path: &str) -> Result<Vec<Value>, EvidenceError> {
        let mut items = Vec::new();
        for page in 1..=MAX_PAGES {
            let sep = if path.contains('?') { '&' } else { '?' };
            let v = self.get(&format!("{path}{sep}per_page=100&page={page}"))?;
            let Value::Array(batch) = v else {
                return Err(EvidenceError::GitHub(format!(
                    "GET {path}: GitHub's answer is not a list"
                )));
            };
            let last = batch.len() < 100;
            items.extend(batch);
            if last {
                return Ok(items);
            }
        }
        Ok(items)
    }

    /// The pull request that brought `sha` into the repository: the merged one whose merge
    /// commit it is, or else the first merged one listing it.
    pub fn pull_for_commit(&self, sha: &str) -> Result<Option<Pull>, EvidenceError> {
        let pulls = self.get_all(&format!("/commits/{sha}/pulls"))?;
        let merged: Vec<&Value> = pulls
            .iter()
            .filter(|p| p.get("merged_at").is_some_and(|m| !m.is_null()))
            .collect();
        let pick = merged
            .iter()
            .find(|p| text(p, &["merge_commit_sha"]).as_deref() == Some(sha))
            .or_else(|| merged.first());
        Ok(pick.and_then(|p| {
            Some(Pull {
                number: p.get("number")?.as_u64()?,
                author: text(p, &["user", "login"])?,
                head_sha: text(p, &["head", "sha"]),
            })
        }))
    }

    /// The GitHub login of the author of commit `sha`, when GitHub links one.
    pub fn commit_author(&self, sha: &str) -> Result<Option<String>, EvidenceError> {
        let commit = self.get(&format!("/commits/{sha}"))?;
        Ok(commit.get("author").and_then(|a| text(a, &["login"])))
    }

    /// The reviews of `pull` (approvals of its head commit count, or any with
    /// `accept_stale`), and the author of commit `sha`.
    pub fn reviews(
        &self,
        pull: &Pull,
        sha: Option<&str>,
        accept_stale: bool,
    ) -> Result<Reviews, EvidenceError> {
        let reviews = self.get_all(&format!("/pulls/{}/reviews", pull.number))?;
        let t = tally(
            &reviews,
            &pull.author,
            pull.head_sha.as_deref(),
            accept_stale,
        );
        let commit_author = match sha {
            Some(sha) => self.commit_author(sha)?,
            None => None,
        };
        Ok(Reviews {
            pr_number: pull.number,
            pr_author: pull.author.clone(),
            approvers: t.approvers,
            stale_approvers: t.stale,
            changes_requested: t.changes_requested,
            commit_author,
        })
    }
}

/// `owner/name` of a GitHub remote URL (`https://host/o/n(.git)`, `git@host:o/n.git`,
/// `ssh://git@host/o/n.git`).
pub fn repo_of_remote(url: &str) -> Option<String> {
    let path = if let Some(rest) = url.split_once("://").map(|(_, r)| r) {
        rest.split_once('/')?.1
    } else {
        url.split_once(':')?.1
    };
    let path = path.trim_end_matches('/').trim_end_matches(".git");
    let mut parts = path.rsplitn(3, '/');
    let name = parts.next().filter(|s| !s.is_empty())?;
    let owner = parts.next().filter(|s| !s.is_empty())?;
    Some(format!("{owner}/{name}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn tokens_never_show() {
        let t = Token::new(" ghp_secret ").unwrap();
        assert_eq!(format!("{t:?}"), "Token(***)");
        assert_eq!(t.redact("bad ghp_secret here"), "bad *** here");
        assert!(Token::new("  ").is_none());
    }

    #[test]
    fn remotes() {
        for url in [
            "https://github.com/acme/models.git",
            "git@github.com:acme/models.git",
            "ssh://git@ghe.acme.example/acme/models",
            "https://x-access-token:abc@github.com/acme/models",
        ] {
            assert_eq!(repo_of_remote(url).as_deref(), Some("acme/models"), "{url}");
        }
        assert_eq!(repo_of_remote("/local/path"), None);
    }

    #[test]
    fn approvals_of_an_earlier_commit_do_not_count() {
        let reviews: Vec<Value> = serde_json::from_str(
            r#"[
              {"user": {"login": "jane", "type": "User"}, "state": "APPROVED", "commit_id": "old"},
              {"user": {"login": "omar", "type": "User"}, "state": "APPROVED", "commit_id": "head"},
              {"user": {"login": "lee", "type": "User"}, "state": "APPROVED", "commit_id": "head"},
              {"user": {"login": "lee", "type": "User"}, "state": "APPROVED", "commit_id": "old"}
            ]"#,
        )
        .unwrap();
        let t = tally(&reviews, "author", Some("head"), false);
        assert_eq!(t.approvers, ["omar"]);
        assert_eq!(t.stale, ["jane", "lee"]);
        let t = tally(&reviews, "author", None, false);
        assert!(t.approvers.is_empty(), "an unknown head approves nothing");
        let t = tally(&reviews, "author", Some("head"), true);
        assert_eq!(t.approvers, ["jane", "lee", "omar"]);
    }

    #[test]
    fn latest_decisive_state_per_reviewer() {
        let reviews: Vec<Value> = serde_json::from_str(
            r#"[
              {"user": {"login": "jane", "type": "User"}, "state": "CHANGES_REQUESTED"},
              {"user": {"login": "jane", "type": "User"}, "state": "APPROVED"},
              {"user": {"login": "jane", "type": "User"}, "state": "COMMENTED"},
              {"user": {"login": "omar", "type": "User"}, "state": "APPROVED"},
              {"user": {"login": "omar", "type": "User"}, "state": "DISMISSED"},
              {"user": {"login": "lee", "type": "User"}, "state": "CHANGES_REQUESTED"},
              {"user": {"login": "ci-bot[bot]", "type": "Bot"}, "state": "APPROVED"},
              {"user": {"login": "author", "type": "User"}, "state": "APPROVED"}
            ]"#,
        )
        .unwrap();
        let t = tally(&reviews, "author", None, true);
        assert_eq!(t.approvers, ["jane"]);
        assert_eq!(t.changes_requested, ["lee"]);
        assert!(t.stale.is_empty());
    }
}
