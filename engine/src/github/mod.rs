//! GitHub: the one client of its REST API (octocrab), the workflow's event payload, and what
//! a pull request's reviews say — shared by the evidence a verdict is made from and by
//! publishing the verdict. This is the network edge: nothing here runs without a token, nothing
//! else in aimsgate talks to the network, and the token never appears in any message (it is
//! redacted from every error text as well).

pub mod client;
pub mod event;
pub mod reviews;

use serde_json::Value;

pub use client::{ACTIONS_BOT, Api, ApiError, Method, Token};
pub use event::{Event, PullRequest, read_event};
pub use reviews::{Pull, Reviews, Tally, tally};

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
}
