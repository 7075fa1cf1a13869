//! The AI system register ([`crate::inventory`]) as Markdown for people, CSV for a spreadsheet,
//! or JSON for tools. Card text is escaped in every format: in Markdown it cannot make a link
//! or break the table; in CSV a cell that a spreadsheet would take for a formula is prefixed
//! with `'`.

use std::io::{self, Write};

use serde_json::{Map, Value, json};

use crate::inventory::{COLUMNS, Inventory};

/// Markdown: the models, the ungoverned model files, and what could not be read.
pub fn markdown(inv: &Inventory, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "# AI system inventory\n")?;
    writeln!(
        out,
        "{}; {} no card covers; {}.\n",
        crate::report::counted(inv.models.len(), "model", "models"),
        crate::report::counted(inv.ungoverned.len(), "model file", "model files"),
        crate::report::counted(
            inv.errors.len(),
            "card could not be read",
            "cards could not be read"
        ),
    )?;
    let shown = [
        ("model", 0),
        ("card", 1),
        ("owner", 2),
        ("risk tier", 3),
        ("intended use", 4),
        ("impact assessment", 5),
        ("reference", 6),
        ("approved on", 7),
        ("bias tests", 8),
        ("on version", 9),
        ("monitoring owner", 10),
        ("incident contact", 11),
        ("last decision", 12),
    ];
    let header: Vec<&str> = shown.iter().map(|(h, _)| *h).collect();
    writeln!(out, "| {} |", header.join(" | "))?;
    writeln!(out, "|{}", "---|".repeat(shown.len()))?;
    for row in &inv.models {
        let mut cells: Vec<String> = shown
            .iter()
            .map(|(_, i)| {
                row.0[*i]
                    .as_deref()
                    .map_or_else(|| "—".to_string(), super::markdown::escape)
            })
            .collect();
        if let Some(last) = cells.last_mut()
            && row.0[12].is_some()
        {
            let at = row.0[13].as_deref().unwrap_or_default();
            let what = match row.0[15].as_deref() {
                Some(env) => format!("{} to {env}", row.0[14].as_deref().unwrap_or_default()),
                None => row.0[14].clone().unwrap_or_default(),
            };
            *last = super::markdown::escape(&format!(
                "{} ({what}, {})",
                row.0[12].as_deref().unwrap_or_default(),
                at.get(..10).unwrap_or(at)
            ));
        }
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
        writeln!(out, "\n## Cards that could not be read\n")?;
        for e in &inv.errors {
            writeln!(
                out,
                "- {}{}: {}",
                e.path
                    .as_deref()
                    .map(super::markdown::escape)
                    .unwrap_or_default(),
                e.line().map(|l| format!(":{l}")).unwrap_or_default(),
                super::markdown::escape(&e.message())
            )?;
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

/// JSON: `{"schema_version": 1, "models": [...], "ungoverned": [{path, kind, lfs}], "errors": [...]}`.
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
