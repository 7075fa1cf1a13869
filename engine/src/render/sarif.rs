//! SARIF 2.1.0 for GitHub code scanning: one rule per gate of the pack (title, help, controls,
//! default level) and one result per finding, at a repository-relative `artifactLocation.uri`
//! and `region.startLine`. What could not be evaluated is reported as tool execution
//! notifications, and the invocation is then not successful.
//!
//! Built with `serde_json::json!` rather than a typed SARIF model (serde-sarif), for a measured
//! reason: the document is a published, byte-stable output, and serde-sarif serializes every
//! object in its schema-generated field order (which would reorder every key of ours), while
//! adding a build script that generates its types and a dozen crates to a build the action
//! pays for on its first run. The document's shape is checked instead against the official
//! SARIF 2.1.0 JSON schema (`fixtures/sarif/`, in `tests/integration/outputs.rs`) on every test run.

use std::io::{self, Write};

use serde_json::{Value, json};

use crate::report::Severity;
use crate::report::{CARD_REMOVED, Finding, NOT_PERMITTED, Report, Rule};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn rule(r: &Rule) -> Value {
    let help = r.help.clone().unwrap_or_else(|| r.title.clone());
    let controls = if r.controls.is_empty() {
        String::new()
    } else {
        format!("\n\nISO/IEC 42001:2023 Annex A: {}", r.controls.join(", "))
    };
    let mut tags = vec!["iso-42001".to_string()];
    tags.extend(r.controls.iter().map(|c| format!("ISO42001-{c}")));
    json!({
        "id": r.id,
        "name": r.id,
        "shortDescription": { "text": r.title },
        "fullDescription": { "text": format!("{}{controls}", r.title) },
        "help": { "text": format!("{help}{controls}") },
        "defaultConfiguration": { "level": level(r.severity) },
        "properties": { "tags": tags, "controls": r.controls },
    })
}

/// A stable fingerprint of a finding (FNV-1a over gate, model and path), so code scanning
/// tracks the same alert across commits even when lines move.
fn fingerprint(model: &str, f: &Finding) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in format!("{}\0{model}\0{}", f.gate, f.location.path).bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Text for a SARIF message: square brackets escaped, since `[text](uri)` in a plain-text
/// message is an embedded link (SARIF 2.1.0, 3.11.6) and card text must not make one.
fn plain(text: &str) -> String {
    text.replace('[', "\\[").replace(']', "\\]")
}

fn region(line: usize, column: usize) -> Value {
    json!({ "startLine": line.max(1), "startColumn": column.max(1) })
}

/// Writes the SARIF log.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut rules: Vec<Rule> = report.rules.clone();
    // Findings the engine gives of itself, without a gate of the pack behind them.
    for (id, title, help) in [
        (
            NOT_PERMITTED,
            "No policy permits this action",
            "Add or widen a `permit` policy for this action in the policy pack.",
        ),
        (
            CARD_REMOVED,
            "A model card was removed while the model's files remain",
            "Restore the card with its `governance` block; to retire the model, remove its whole folder.",
        ),
    ] {
        if report
            .models
            .iter()
            .any(|m| m.findings.iter().any(|f| f.gate == id))
        {
            rules.push(Rule {
                id: id.into(),
                title: title.into(),
                help: Some(help.into()),
                controls: Vec::new(),
                severity: Severity::Error,
            });
        }
    }
    if let Some(f) = report.ungoverned.first() {
        rules.push(Rule {
            id: f.gate.clone(),
            title: f.title.clone(),
            help: f.help.clone(),
            controls: f.controls.clone(),
            severity: f.severity,
        });
    }
    let index = |gate: &str| rules.iter().position(|r| r.id == gate);
    let mut results = Vec::new();
    for m in &report.models {
        for f in &m.findings {
            let mut result = json!({
                "ruleId": f.gate,
                "level": level(f.severity),
                "message": { "text": plain(&format!("{} (model `{}`)", f.message, m.id)) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": crate::chars::uri_path(&f.location.path), "uriBaseId": "%SRCROOT%" },
                        "region": region(f.location.line(), f.location.column()),
                    }
                }],
                "partialFingerprints": { "aimsgate/v1": fingerprint(&m.id, f) },
                "properties": { "model": m.id, "controls": f.controls },
            });
            if let Some(i) = index(&f.gate) {
                result["ruleIndex"] = json!(i);
            }
            if let Some(w) = &f.waived {
                result["suppressions"] = json!([{
                    "kind": "external",
                    "status": "accepted",
                    "justification": format!(
                        "{} (approved by {} until {}; {}:{})",
                        w.reason, w.approved_by, w.expires, w.path, w.line
                    ),
                }]);
            }
            if !f.related.is_empty() {
                result["relatedLocations"] = f
                    .related
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        json!({
                            "id": i + 1,
                            "physicalLocation": {
                                "artifactLocation": { "uri": crate::chars::uri_path(&f.location.path), "uriBaseId": "%SRCROOT%" },
                                "region": region(r.span.start.line, r.span.start.col),
                            },
                            "message": { "text": plain(&r.message) },
                        })
                    })
                    .collect();
            }
            results.push(result);
        }
    }
    for f in &report.ungoverned {
        let mut result = json!({
            "ruleId": f.gate,
            "level": level(f.severity),
            "message": { "text": plain(&f.message) },
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": { "uri": crate::chars::uri_path(&f.location.path), "uriBaseId": "%SRCROOT%" },
                }
            }],
            "partialFingerprints": { "aimsgate/v1": fingerprint("", f) },
            "properties": { "controls": f.controls },
        });
        if let Some(i) = index(&f.gate) {
            result["ruleIndex"] = json!(i);
        }
        results.push(result);
    }
    let mut notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| {
            let mut n = json!({ "level": "error", "message": { "text": plain(&e.message()) } });
            if let Some(path) = &e.path {
                let mut physical =
                    json!({ "artifactLocation": { "uri": crate::chars::uri_path(path), "uriBaseId": "%SRCROOT%" } });
                if let Some(span) = e.span {
                    physical["region"] = region(span.start.line, span.start.col);
                }
                n["locations"] = json!([{ "physicalLocation": physical }]);
            }
            n
        })
        .collect();
    for w in &report.warnings {
        let mut n = json!({ "level": "warning", "message": { "text": plain(&w.message) } });
        if let Some(path) = &w.path {
            let mut physical = json!({ "artifactLocation": { "uri": crate::chars::uri_path(path), "uriBaseId": "%SRCROOT%" } });
            if let Some(line) = w.line {
                physical["region"] = region(line, 1);
            }
            n["locations"] = json!([{ "physicalLocation": physical }]);
        }
        notifications.push(n);
    }
    let removed: Vec<Value> = report
        .removed
        .iter()
        .map(|r| json!({ "model": r.id, "path": r.path, "reason": r.reason }))
        .collect();
    let mut log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "aimsgate",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules.iter().map(rule).collect::<Vec<_>>(),
                }
            },
            "invocations": [{
                "executionSuccessful": report.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
            "properties": {
                "decision": report.decision.as_str(),
                "action": report.action.as_str(),
                "environment": report.environment,
            },
        }]
    });
    if !removed.is_empty() {
        log["runs"][0]["properties"]["removed"] = json!(removed);
    }
    serde_json::to_writer_pretty(&mut *out, &log).map_err(io::Error::other)?;
    writeln!(out)
}
