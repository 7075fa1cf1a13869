//! The request's context records: what git, the GitHub event and the pull request's reviews
//! say, as the schema declares them.

use cedar_policy::RestrictedExpression as Expr;

use super::attr::Attr;
use crate::error::EvalError;
use crate::evidence::git::GitFacts;
use crate::evidence::{Event, Evidence, Reviews};

/// The `github` context record.
pub(super) fn github_record(e: &Event) -> Result<Expr, EvalError> {
    let pr = e.pull_request.as_ref();
    Expr::record(vec![
        ("event", Some(Expr::text(&e.name))),
        (
            "pr_number",
            pr.map(|p| Expr::count(usize::try_from(p.number).unwrap_or(usize::MAX))),
        ),
        ("pr_author", pr.map(|p| Expr::text(&p.author))),
        ("base_ref", pr.map(|p| Expr::text(&p.base_ref))),
        ("head_ref", pr.map(|p| Expr::text(&p.head_ref))),
        ("tag", e.tag.as_deref().map(Expr::text)),
    ])
}

/// The `review` context record.
pub(super) fn review_record(r: &Reviews) -> Result<Expr, EvalError> {
    let independent = r.independent();
    Expr::record(vec![
        (
            "pr_number",
            Some(Expr::count(
                usize::try_from(r.pr_number).unwrap_or(usize::MAX),
            )),
        ),
        ("pr_author", Some(Expr::text(&r.pr_author))),
        ("approvers", Some(Expr::strings(&r.approvers))),
        (
            "changes_requested_by",
            Some(Expr::strings(&r.changes_requested)),
        ),
        ("commit_author", r.commit_author.as_deref().map(Expr::text)),
        (
            "independent_approvals",
            Some(Expr::count(independent.len())),
        ),
        ("independent_approvers", Some(Expr::strings(&independent))),
    ])
}

/// The `git` context record.
pub(super) fn git_record(g: &GitFacts, evidence: &Evidence) -> Result<Expr, EvalError> {
    let changed: Option<Vec<String>> = evidence
        .change
        .as_ref()
        .map(|c| c.files.iter().cloned().collect());
    Expr::record(vec![
        ("commit", Some(Expr::text(&g.commit))),
        ("author_name", Some(Expr::text(&g.author.name))),
        ("author_email", Some(Expr::text(&g.author.email))),
        ("committer_name", Some(Expr::text(&g.committer.name))),
        ("committer_email", Some(Expr::text(&g.committer.email))),
        ("signed", Some(Expr::new_bool(g.signed))),
        ("branch", g.branch.as_deref().map(Expr::text)),
        ("tags", Some(Expr::strings(&g.tags))),
        ("trailers", Some(Expr::strings(&g.trailers))),
        ("changed_files", changed.as_deref().map(Expr::strings)),
        (
            "policy_files_changed",
            evidence
                .change
                .as_ref()
                .map(|_| Expr::new_bool(evidence.policies_changed)),
        ),
        (
            "head_on_default_branch",
            match evidence.tag_reachable {
                Ok(Some(on)) => Some(Expr::new_bool(on)),
                _ => None,
            },
        ),
    ])
}
