//! The AI system register ([`crate::inventory`]) as Markdown for people, CSV for a spreadsheet,
//! or JSON for tools. Card text is escaped in every format: in Markdown it cannot make a link
//! or break the table; in CSV a cell that a spreadsheet would take for a formula is prefixed
//! with `'`.

use std::io::{self, Write};

use serde_json::{Map, Value, json};

use crate::inventory::{COLUMNS, Inventory};

/// Markdown: when and from what it was drawn, the models, the ungoverned model files, and what
/// could not be read.
pub fn markdown(inv: &Inventory, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "# AI system inventory\n")?;
    writeln!(
        out,
        "Drawn at {}{}.\n",
        inv.generated_at.to_cedar(),
        inv.commit
            .as_deref()
            .map(|c| format!(" from commit {c}"))
            .unwrap_or_default()
    )?;
    writeln!(
        out,
        "{}; {} no card covers; {}.\n",
        crate::report::counted(inv.models.len(), "model", "models"),
        crate::report::counted(inv.ungoverned.len(), "model file", "model files"),
        crate::report::counted(
            inv.errors.len(),
            "file could not be read",
            "files could not be read"
        ),
    )?;
    let shown = [
        ("model", "id"),
        ("card", "card"),
        ("version", "version"),
        ("owner", "owner"),
        ("risk tier", "risk_tier"),
        ("intended use", "intended_use"),
        ("impact assessment", "impact_assessment"),
        ("reference", "impact_assessment_reference"),
        ("approved on", "impact_assessment_approved_on"),
        ("bias tests", "bias_tests_evaluated_on"),
        ("on version", "bias_tests_model_version"),
        ("monitoring owner", "monitoring_owner"),
        ("incident contact", "incident_contact"),
    ];
    let header: Vec<&str> = shown.iter().map(|(h, _)| *h).collect();
    writeln!(out, "| {} | last decision |", header.join(" | "))?;
    writeln!(out, "|{}", "---|".repeat(shown.len() + 1))?;
    for row in &inv.models {
        let mut cells: Vec<String> = shown
            .iter()
            .map(|(_, column)| {
                row.get(column)
                    .map_or_else(|| "—".to_string(), super::markdown::escape)
            })
            .collect();
        cells.push(match row.get("last_decision") {
            None => "—".to_string(),
            Some(decision) => {
                let at = row.get("last_decision_at").unwrap_or_default();
                let action = row.get("last_action").unwrap_or_default();
                let what = match row.get("last_environment") {
                    Some(env) => format!("{action} to {env}"),
                    None => action.to_string(),
                };
                super::markdown::escape(&format!(
                    "{decision} ({what}, {})",
                    at.get(..10).unwrap_or(at)
                ))
            }
        });
        writeln!(out, "| {} |", cells.join(" | "))?;
    }
    if !inv.ungoverned.is_empty() {
        writeln!(
            out,
            "\n## Model files no card covers\n\nA card covers the files under its folder; these are in no card's folder:\n"
        )?;
        for f in &inv.ungoverned {
            writeln!(
                out,
                "- {} ({}{})",
                super::markdown::escape(&f.path),
                f.kind,
                if f.lfs { ", Git LFS" } else { "" }
            )?;
        }
    }
    if !inv.errors.is_empty() {
        writeln!(out, "\n## What could not be read\n")?;
        for e in &inv.errors {
            let place = match &e.path {
                Some(p) => format!(
                    "{}{}: ",
                    super::markdown::escape(p),
                    e.line().map(|l| format!(":{l}")).unwrap_or_default()
                ),
                None => String::new(),
            };
            writeln!(out, "- {place}{}", super::markdown::escape(&e.message()))?;
        }
    }
    Ok(())
}

/// A CSV cell: quoted when it must be (RFC 4180), and prefixed with `'` when a spreadsheet would
/// read it as a formula (`=`, `+`, `-`, `@`, a tab or a carriage return first).
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// CSV: a header row of [`COLUMNS`], then the models, one row each.
pub fn csv(inv: &Inventory, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}", COLUMNS.join(","))?;
    for row in &inv.models {
        let cells: Vec<String> = row
            .0
            .iter()
            .map(|v| v.as_deref().map(csv_field).unwrap_or_default())
            .collect();
        writeln!(out, "{}", cells.join(","))?;
    }
    Ok(())
}

/// JSON: `{"schema_version": 1, "generated_at", "commit", "models": [...], "ungoverned":
/// [{path, kind, lfs}], "errors": [...]}`.
pub fn json(inv: &Inventory, out: &mut dyn Write) -> io::Result<()> {
    let models: Vec<Value> = inv
        .models
        .iter()
        .map(|row| {
            let mut m = Map::new();
            for (column, value) in COLUMNS.iter().zip(&row.0) {
                m.insert((*column).to_string(), json!(value));
            }
            Value::Object(m)
        })
        .collect();
    let doc = json!({
        "schema_version": 1,
        "generated_at": inv.generated_at.to_cedar(),
        "commit": inv.commit,
        "models": models,
        "ungoverned": inv.ungoverned.iter().map(|f| json!({
            "path": f.path, "kind": f.kind, "lfs": f.lfs,
        })).collect::<Vec<Value>>(),
        "errors": inv.errors.iter().map(|e| json!({
            "path": e.path, "line": e.line(), "code": e.code(), "message": e.message(),
        })).collect::<Vec<Value>>(),
    });
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
    writeln!(out)
}
