//! Publishing a report to GitHub: a Check Run named `aimsgate` with its conclusion and every
//! annotation (the API takes 50 per request, so the rest follow in updates), and one sticky
//! pull request comment, found again by a hidden marker and updated in place.
//!
//! Publishing never changes the verdict or the exit code. What could not be published comes
//! back as notes: a read-only token or a missing permission (fork pull requests) is a notice,
//! anything else (after retries) a warning.

use serde_json::{Value, json};

use crate::github::{Api, ApiError, Method};
use crate::render::markdown::{self, COMMENT_MARKER};
use crate::report::Severity;
use crate::report::{Decision, Report};

/// GitHub's limit of annotations per Check Run request.
pub const ANNOTATIONS_PER_REQUEST: usize = 50;
/// GitHub's limit on a Check Run summary and a comment body, in characters.
const MAX_TEXT: usize = 65_000;

/// What to publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    CheckRun,
    Comment,
}

/// How much a publishing note matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Skipped for a reason that is expected (no pull request, read-only token).
    Notice,
    /// Tried and failed.
    Warning,
}

/// A sentence about publishing, for the CLI to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub level: Level,
    pub message: String,
}

fn note(level: Level, message: String) -> Note {
    Note { level, message }
}

/// Why a request failed, as a note: 403 and 404 mean the token may not do it.
fn failed(what: &str, e: &ApiError) -> Note {
    match e.status {
        Some(403 | 404) => note(
            Level::Notice,
            format!(
                "{what} skipped: the token may not do it (a fork's read-only token, or a missing `checks: write` / `pull-requests: write` permission): {}",
                e.message
            ),
        ),
        _ => note(Level::Warning, format!("{what} failed: {}", e.message)),
    }
}

fn truncate(text: &str) -> String {
    if text.chars().count() <= MAX_TEXT {
        return text.to_string();
    }
    let cut: String = text.chars().take(MAX_TEXT).collect();
    format!("{cut}\n\n… (cut: the full report is in the step summary and the JSON report)")
}

/// The annotations of a report: every finding and every located input error.
pub fn annotations(report: &Report) -> Vec<Value> {
    let mut out = Vec::new();
    for e in &report.errors {
        if let (Some(path), Some(line)) = (&e.path, e.line()) {
            out.push(json!({
                "path": path,
                "start_line": line,
                "end_line": line,
                "annotation_level": "failure",
                "title": "aimsgate: could not evaluate",
                "message": e.message(),
            }));
        }
    }
    for m in &report.models {
        for f in &m.findings {
            let mut message = format!("{} (model `{}`)", f.message, m.id);
            if let Some(help) = &f.help {
                message.push_str(&format!("\n\nHow to fix: {help}"));
            }
            out.push(json!({
                "path": f.location.path,
                "start_line": f.location.line(),
                "end_line": f.location.line(),
                "annotation_level": match (f.severity, &f.waived) {
                    (_, Some(_)) => "notice",
                    (Severity::Error, None) => "failure",
                    (Severity::Warning, None) => "warning",
                },
                "title": format!("{} [{}]: {}", f.gate, f.controls.join(", "), f.title),
                "message": message,
            }));
        }
    }
    out
}

fn markdown(report: &Report, marker: bool) -> String {
    let mut text = Vec::new();
    // Rendering into memory cannot fail.
    let _ = markdown::render(report, &mut text, marker);
    truncate(&String::from_utf8_lossy(&text))
}

/// Creates the Check Run for `head_sha`, sending annotations in batches of 50.
fn check_run(api: &Api, report: &Report, head_sha: &str) -> Note {
    let conclusion = match report.decision {
        Decision::Allowed => "success",
        Decision::Blocked | Decision::Error => "failure",
    };
    let title = format!(
        "{}: {} allowed, {} blocked{}",
        report.decision.as_str(),
        report.count(Decision::Allowed),
        report.count(Decision::Blocked),
        if report.errors.is_empty() {
            String::new()
        } else {
            format!(
                ", {}",
                crate::report::counted(report.errors.len(), "input error", "input errors")
            )
        }
    );
    let summary = markdown(report, false);
    let all = annotations(report);
    let mut batches = all.chunks(ANNOTATIONS_PER_REQUEST);
    let first = batches.next().unwrap_or(&[]);
    let created = api.call(
        Method::Post,
        "/check-runs",
        Some(&json!({
            "name": "aimsgate",
            "head_sha": head_sha,
            "status": "completed",
            "conclusion": conclusion,
            "output": { "title": title, "summary": summary, "annotations": first },
        })),
    );
    let id = match created {
        Ok(v) => match v.get("id").and_then(Value::as_u64) {
            Some(id) => id,
            None => {
                return note(
                    Level::Warning,
                    "check run: GitHub's answer has no `id`; further annotations not sent".into(),
                );
            }
        },
        Err(e) => return failed("check run", &e),
    };
    let mut sent = first.len();
    for batch in batches {
        let update = api.call(
            Method::Patch,
            &format!("/check-runs/{id}"),
            Some(&json!({
                "output": { "title": title, "summary": summary, "annotations": batch },
            })),
        );
        if let Err(e) = update {
            return failed(
                &format!(
                    "check run {id}: {sent} of {} annotations sent, then",
                    all.len()
                ),
                &e,
            );
        }
        sent += batch.len();
    }
    note(
        Level::Notice,
        format!("check run {id} published ({conclusion}, {sent} annotations)"),
    )
}

/// Creates the sticky comment on pull request `number`, or updates the one already there —
/// only ever one written by the token's own identity: anyone can post a comment carrying the
/// marker (the pull request's author, to have their text shown as the gate's).
fn comment(api: &Api, report: &Report, number: u64) -> Note {
    let body = markdown(report, true);
    let me = match api.identity() {
        Ok(login) => login,
        Err(e) => return failed("pull request comment", &e),
    };
    let existing = match api.get_all(&format!("/issues/{number}/comments")) {
        Ok(comments) => comments.into_iter().find(|c| {
            c.get("body")
                .and_then(Value::as_str)
                .is_some_and(|b| b.contains(COMMENT_MARKER))
                && c.get("user")
                    .and_then(|u| u.get("login"))
                    .and_then(Value::as_str)
                    == Some(me.as_str())
        }),
        Err(e) => {
            return failed(
                "pull request comment",
                &ApiError {
                    status: None,
                    message: e.to_string(),
                },
            );
        }
    };
    let result = match existing.and_then(|c| c.get("id").and_then(Value::as_u64)) {
        Some(id) => api
            .call(
                Method::Patch,
                &format!("/issues/comments/{id}"),
                Some(&json!({ "body": body })),
            )
            .map(|_| format!("pull request comment {id} updated")),
        None => api
            .call(
                Method::Post,
                &format!("/issues/{number}/comments"),
                Some(&json!({ "body": body })),
            )
            .map(|v| {
                format!(
                    "pull request comment {} created",
                    v.get("id").and_then(Value::as_u64).unwrap_or_default()
                )
            }),
    };
    match result {
        Ok(m) => note(Level::Notice, m),
        Err(e) => failed("pull request comment", &e),
    }
}

/// Publishes what `targets` ask for. `head_sha` is the commit the Check Run belongs to, `pr`
/// the pull request to comment on.
pub fn publish(
    api: &Api,
    report: &Report,
    targets: &[Target],
    head_sha: Option<&str>,
    pr: Option<u64>,
) -> Vec<Note> {
    let mut notes = Vec::new();
    if targets.contains(&Target::CheckRun) {
        notes.push(match head_sha {
            Some(sha) => check_run(api, report, sha),
            None => note(
                Level::Notice,
                "check run skipped: the commit is unknown".into(),
            ),
        });
    }
    if targets.contains(&Target::Comment) {
        notes.push(match pr {
            Some(n) => comment(api, report, n),
            None => note(
                Level::Notice,
                "pull request comment skipped: not a pull request event".into(),
            ),
        });
    }
    notes
}
