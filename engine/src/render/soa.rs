//! The Statement of Applicability ([`crate::soa`]) as Markdown for people, CSV for a
//! spreadsheet, or JSON for tools.

use std::io::{self, Write};

use serde::Serialize;

use crate::soa::Row;

fn md(s: &str) -> String {
    super::markdown::escape(s)
}

/// Markdown: a table of the 38 controls, then the gaps.
pub fn markdown(rows: &[Row], out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "# Statement of Applicability — ISO/IEC 42001:2023 Annex A\n"
    )?;
    let count = |s: &str| rows.iter().filter(|r| r.status == s).count();
    let todo = rows
        .iter()
        .filter(|r| r.status == "gap" && r.decision.as_ref().is_some_and(|d| d.is_todo()))
        .count();
    writeln!(
        out,
        "{} controls: {} covered by gates, {} justified without a gate, {} excluded, {} gaps{}.\n",
        rows.len(),
        count("covered"),
        count("justified"),
        count("excluded"),
        count("gap"),
        if todo > 0 {
            format!(" ({todo} of them a justification still TODO)")
        } else {
            String::new()
        }
    )?;
    writeln!(
        out,
        "| control | title | applicable | gates | justification | status |\n|---|---|---|---|---|---|"
    )?;
    for r in rows {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            r.control,
            r.title,
            match &r.decision {
                Some(d) if !d.applicable => "no",
                Some(_) => "yes",
                None if !r.gates.is_empty() => "yes",
                None => "undecided",
            },
            r.gates
                .iter()
                .map(|g| match r.relevelled.iter().find(|x| &x.gate == g) {
                    Some(x) => format!("`{g}` ({}, re-levelled)", x.level),
                    None => format!("`{g}`"),
                })
                .chain(
                    r.relevelled
                        .iter()
                        .filter(|x| x.level == "off")
                        .map(|x| format!("`{}` (off)", x.gate))
                )
                .collect::<Vec<_>>()
                .join(", "),
            r.decision
                .as_ref()
                .map(|d| md(&d.justification))
                .unwrap_or_default(),
            r.status
        )?;
    }
    let gaps: Vec<&Row> = rows.iter().filter(|r| r.status == "gap").collect();
    if !gaps.is_empty() {
        writeln!(
            out,
            "\n## Gaps\n\nNeither implemented by a gate nor justified in the statement:\n"
        )?;
        for r in gaps {
            let todo = if r.decision.as_ref().is_some_and(|d| d.is_todo()) {
                " — the statement's justification is still TODO"
            } else {
                ""
            };
            writeln!(out, "- {} {}{todo}", r.control, r.title)?;
            for o in r.relevelled.iter().filter(|x| x.level == "off") {
                writeln!(
                    out,
                    "  - its gate `{}` is turned off by {}{}",
                    o.gate,
                    if o.by.contains('`') {
                        md(&o.by)
                    } else {
                        format!("`{}`", o.by)
                    },
                    o.reason
                        .as_deref()
                        .map(|why| format!(": {}", md(why)))
                        .unwrap_or_default()
                )?;
            }
        }
    }
    Ok(())
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// CSV with a header row.
pub fn csv(rows: &[Row], out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "control,title,applicable,gates,justification,status,relevelled"
    )?;
    for r in rows {
        writeln!(
            out,
            "{},{},{},{},{},{},{}",
            r.control,
            csv_field(r.title),
            match &r.decision {
                Some(d) => d.applicable.to_string(),
                None if !r.gates.is_empty() => "true".into(),
                None => String::new(),
            },
            csv_field(&r.gates.join(" ")),
            csv_field(r.decision.as_ref().map_or("", |d| d.justification.as_str())),
            r.status,
            csv_field(
                &r.relevelled
                    .iter()
                    .map(|o| match &o.reason {
                        Some(why) => format!("{} {}: {why}", o.gate, o.level),
                        None => format!("{} {}", o.gate, o.level),
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        )?;
    }
    Ok(())
}

/// JSON: `{"schema_version": 1, "controls": [...]}`.
pub fn json(rows: &[Row], out: &mut dyn Write) -> io::Result<()> {
    #[derive(Serialize)]
    struct Doc<'a> {
        schema_version: u32,
        controls: &'a [Row],
    }
    serde_json::to_writer_pretty(
        &mut *out,
        &Doc {
            schema_version: 1,
            controls: rows,
        },
    )
    .map_err(io::Error::other)?;
    writeln!(out)
}
