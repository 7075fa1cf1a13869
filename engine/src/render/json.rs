//! The JSON report, version 1: a frozen, documented shape (README, "JSON output") that
//! consumers can rely on across releases. Internal types map onto it here and nowhere else.

use std::io::{self, Write};

use serde::Serialize;

use crate::error::InputError;
use crate::report::Waiver;
use crate::report::{Decision, Finding, RefUsed, Report, Skipped};

/// The version of this document's shape; bumped only on a breaking change.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct V1<'a> {
    schema_version: u32,
    tool: Tool,
    decision: &'a str,
    action: &'a str,
    environment: Option<&'a str>,
    now: String,
    policies: &'a str,
    summary: Summary,
    models: Vec<Model<'a>>,
    skipped: Vec<SkippedV1<'a>>,
    removed: Vec<SkippedV1<'a>>,
    changed_since: Option<ChangeV1<'a>>,
    protected_ref: Option<RefV1<'a>>,
    evidence: Vec<EvidenceV1<'a>>,
    stale_waivers: Vec<WaiverV1<'a>>,
    /// Gates the governance configuration re-levelled.
    relevelled: Vec<RelevelledV1<'a>>,
    /// Model files no card covers (`ungoverned-artifact` findings).
    ungoverned: Vec<FindingV1<'a>>,
    warnings: Vec<WarningV1<'a>>,
    errors: Vec<Error<'a>>,
}

#[derive(Serialize)]
struct RefV1<'a> {
    given: &'a str,
    #[serde(rename = "ref")]
    full: Option<&'a str>,
    commit: &'a str,
}

fn unjudged(models: &[Skipped]) -> Vec<SkippedV1<'_>> {
    models
        .iter()
        .map(|s| SkippedV1 {
            id: &s.id,
            path: &s.path,
            reason: &s.reason,
        })
        .collect()
}

fn ref_v1(r: &RefUsed) -> RefV1<'_> {
    RefV1 {
        given: &r.given,
        full: r.full.as_deref(),
        commit: &r.commit,
    }
}

#[derive(Serialize)]
struct WarningV1<'a> {
    path: Option<&'a str>,
    line: Option<usize>,
    message: &'a str,
}

#[derive(Serialize)]
struct SkippedV1<'a> {
    id: &'a str,
    path: &'a str,
    reason: &'a str,
}

#[derive(Serialize)]
struct EvidenceV1<'a> {
    kind: &'a str,
    available: bool,
    detail: &'a str,
}

#[derive(Serialize)]
struct ChangeV1<'a> {
    base: &'a str,
    #[serde(rename = "ref")]
    full: Option<&'a str>,
    commit: &'a str,
    merge_base: &'a str,
    files: usize,
    policy_files_changed: bool,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Summary {
    models: usize,
    allowed: usize,
    blocked: usize,
    error: usize,
    waived_findings: usize,
}

#[derive(Serialize)]
struct Model<'a> {
    id: &'a str,
    path: &'a str,
    decision: &'a str,
    findings: Vec<FindingV1<'a>>,
}

#[derive(Serialize)]
struct FindingV1<'a> {
    gate: &'a str,
    controls: &'a [String],
    severity: &'a str,
    title: &'a str,
    message: &'a str,
    help: Option<&'a str>,
    location: LocationV1<'a>,
    related: Vec<RelatedV1<'a>>,
    policy: Option<PolicyV1<'a>>,
    waived: Option<WaiverV1<'a>>,
    expired_waiver: Option<WaiverV1<'a>>,
}

#[derive(Serialize)]
struct RelevelledV1<'a> {
    gate: &'a str,
    controls: &'a [String],
    level: &'static str,
    default: &'static str,
    reason: Option<&'a str>,
    by: &'a str,
}

#[derive(Serialize)]
struct WaiverV1<'a> {
    path: &'a str,
    line: usize,
    gate: &'a str,
    model: &'a str,
    reason: &'a str,
    approved_by: &'a str,
    expires: String,
    reference: Option<&'a str>,
}

fn waiver(w: &Waiver) -> WaiverV1<'_> {
    WaiverV1 {
        path: &w.path,
        line: w.line,
        gate: &w.gate,
        model: &w.model,
        reason: &w.reason,
        approved_by: &w.approved_by,
        expires: w.expires.to_string(),
        reference: w.reference.as_deref(),
    }
}

#[derive(Serialize)]
struct LocationV1<'a> {
    path: &'a str,
    line: usize,
    column: usize,
}

#[derive(Serialize)]
struct RelatedV1<'a> {
    line: usize,
    column: usize,
    message: &'a str,
}

#[derive(Serialize)]
struct PolicyV1<'a> {
    path: &'a str,
    line: usize,
}

#[derive(Serialize)]
struct Error<'a> {
    path: Option<&'a str>,
    line: Option<usize>,
    /// The stable code of the error's kind (`card::key`).
    code: String,
    message: String,
    help: Option<&'a str>,
}

fn finding(f: &Finding) -> FindingV1<'_> {
    FindingV1 {
        gate: &f.gate,
        controls: &f.controls,
        severity: f.severity.as_str(),
        title: &f.title,
        message: &f.message,
        help: f.help.as_deref(),
        location: LocationV1 {
            path: &f.location.path,
            line: f.location.line(),
            column: f.location.column(),
        },
        related: f
            .related
            .iter()
            .map(|r| RelatedV1 {
                line: r.span.start.line,
                column: r.span.start.col,
                message: &r.message,
            })
            .collect(),
        policy: f
            .policy
            .as_ref()
            .map(|(path, line)| PolicyV1 { path, line: *line }),
        waived: f.waived.as_ref().map(waiver),
        expired_waiver: f.expired_waiver.as_ref().map(waiver),
    }
}

fn error(e: &InputError) -> Error<'_> {
    Error {
        path: e.path.as_deref(),
        line: e.line(),
        code: e.code(),
        message: e.message(),
        help: e.help.as_deref(),
    }
}

/// Writes the report as one pretty-printed JSON document and a newline.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let doc = V1 {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "aimsgate",
            version: env!("CARGO_PKG_VERSION"),
        },
        decision: report.decision.as_str(),
        action: report.action.as_str(),
        environment: report.environment.as_deref(),
        now: report.now.to_cedar(),
        policies: &report.policies,
        summary: Summary {
            models: report.models.len(),
            allowed: report.count(Decision::Allowed),
            blocked: report.count(Decision::Blocked),
            error: report.count(Decision::Error),
            waived_findings: report.models.iter().map(|m| m.waived()).sum(),
        },
        models: report
            .models
            .iter()
            .map(|m| Model {
                id: &m.id,
                path: &m.path,
                decision: m.decision.as_str(),
                findings: m.findings.iter().map(finding).collect(),
            })
            .collect(),
        skipped: unjudged(&report.skipped),
        removed: unjudged(&report.removed),
        protected_ref: report.protected.as_ref().map(ref_v1),
        changed_since: report.change.as_ref().map(|c| ChangeV1 {
            base: &c.base,
            full: c.base_ref.full.as_deref(),
            commit: &c.base_ref.commit,
            merge_base: &c.merge_base,
            files: c.files,
            policy_files_changed: c.policies_changed,
        }),
        evidence: report
            .evidence
            .iter()
            .map(|e| EvidenceV1 {
                kind: e.kind,
                available: e.available,
                detail: &e.detail,
            })
            .collect(),
        stale_waivers: report.stale_waivers.iter().map(waiver).collect(),
        relevelled: report
            .relevelled
            .iter()
            .map(|r| RelevelledV1 {
                gate: &r.gate,
                controls: &r.controls,
                level: r.level.as_str(),
                default: r.default.as_str(),
                reason: r.reason.as_deref(),
                by: &r.by,
            })
            .collect(),
        ungoverned: report.ungoverned.iter().map(finding).collect(),
        warnings: report
            .warnings
            .iter()
            .map(|w| WarningV1 {
                path: w.path.as_deref(),
                line: w.line,
                message: &w.message,
            })
            .collect(),
        errors: report.errors.iter().map(error).collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
    writeln!(out)
}
