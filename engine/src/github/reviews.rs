//! What a pull request's reviews say: approvals of the commit judged, by people other than its
//! author, each reviewer's latest decisive state; and the pull request a commit came from.

use std::collections::BTreeMap;

use serde_json::Value;

use super::client::Api;
use super::text;
use crate::error::EvidenceError;

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

impl Api {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

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
