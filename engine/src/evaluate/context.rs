//! The request's context records: what git, the GitHub event and the pull request's reviews
//! say, as the schema declares them.

use cedar_policy::RestrictedExpression as Expr;

use super::{long, record, strings, text};
use crate::evidence::git::GitFacts;
use crate::evidence::{Event, Evidence, Reviews};

/// The `github` context record.
pub(super) fn github_record(e: &Event) -> Result<Expr, cedar_policy::ExpressionConstructionError> {
    let pr = e.pull_request.as_ref();
    record(vec![
        ("event", Some(text(&e.name))),
        (
            "pr_number",
            pr.map(|p| long(usize::try_from(p.number).unwrap_or(usize::MAX))),
        ),
        ("pr_author", pr.map(|p| text(&p.author))),
        ("base_ref", pr.map(|p| text(&p.base_ref))),
        ("head_ref", pr.map(|p| text(&p.head_ref))),
        ("tag", e.tag.as_deref().map(text)),
    ])
}

/// The `review` context record.
pub(super) fn review_record(
    r: &Reviews,
) -> Result<Expr, cedar_policy::ExpressionConstructionError> {
    let independent = r.independent();
    record(vec![
        (
            "pr_number",
            Some(long(usize::try_from(r.pr_number).unwrap_or(usize::MAX))),
        ),
        ("pr_author", Some(text(&r.pr_author))),
        ("approvers", Some(strings(&r.approvers))),
        ("changes_requested_by", Some(strings(&r.changes_requested))),
        ("commit_author", r.commit_author.as_deref().map(text)),
        ("independent_approvals", Some(long(independent.len()))),
        ("independent_approvers", Some(strings(&independent))),
    ])
}

/// The `git` context record.
pub(super) fn git_record(
    g: &GitFacts,
    evidence: &Evidence,
) -> Result<Expr, cedar_policy::ExpressionConstructionError> {
    let changed: Option<Vec<String>> = evidence
        .change
        .as_ref()
        .map(|c| c.files.iter().cloned().collect());
    record(vec![
        ("commit", Some(text(&g.commit))),
        ("author_name", Some(text(&g.author.name))),
        ("author_email", Some(text(&g.author.email))),
        ("committer_name", Some(text(&g.committer.name))),
        ("committer_email", Some(text(&g.committer.email))),
        ("signed", Some(Expr::new_bool(g.signed))),
        ("branch", g.branch.as_deref().map(text)),
        ("tags", Some(strings(&g.tags))),
        ("trailers", Some(strings(&g.trailers))),
        ("changed_files", changed.as_deref().map(strings)),
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
