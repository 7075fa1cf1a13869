//! The GitHub REST client: one octocrab client on a current-thread runtime, with a timeout,
//! two retries of what may pass if asked again, pagination, and answers that say what GitHub
//! said without the token.

use std::fmt;
use std::time::Duration;

use octocrab::Octocrab;
use serde_json::Value;

use super::text;
use crate::error::EvidenceError;

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
    pub(crate) fn get(&self, path: &str) -> Result<Value, EvidenceError> {
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
}
