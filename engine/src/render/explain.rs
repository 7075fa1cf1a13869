//! `aimsgate explain GATE`: what a gate checks, its controls, when it applies, how to satisfy
//! it, and a snippet that passes — all from the gate's own annotations and policy text.

use std::io::{self, Write};

use crate::annex_a;
use crate::pack::Gate;
use crate::report::Relevelled;

/// `relevelled`: what the governance configuration made of the gate, if anything.
pub fn render(gate: &Gate, relevelled: Option<&Relevelled>, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{} — {}\n", gate.id, gate.title)?;
    match relevelled {
        Some(r) => writeln!(
            out,
            "severity:   {} ({} in the pack; set by {}{})",
            r.level.as_str(),
            r.default.as_str(),
            r.by,
            r.reason
                .as_deref()
                .map(|why| format!(": {why}"))
                .unwrap_or_default()
        )?,
        None => writeln!(out, "severity:   {}", gate.severity.as_str())?,
    }
    writeln!(
        out,
        "applies:    {}",
        gate.applies.as_deref().unwrap_or("(not stated)")
    )?;
    let fields: Vec<String> = gate.fields.iter().map(ToString::to_string).collect();
    writeln!(
        out,
        "judges:     {}",
        if fields.is_empty() {
            "(no @field)".into()
        } else {
            fields.join(", ")
        }
    )?;
    writeln!(out, "controls:")?;
    for c in &gate.controls {
        let title = annex_a::CONTROLS
            .iter()
            .find(|(id, _)| id == c)
            .map_or("(not an Annex A control)", |(_, t)| t);
        writeln!(out, "  {c}  {title}")?;
    }
    writeln!(
        out,
        "\nhow to satisfy it:\n  {}",
        gate.help.as_deref().unwrap_or("(no @help)")
    )?;
    writeln!(out, "\nwhat it checks ({}:{}):", gate.file, gate.line)?;
    // The policy without its annotations (shown above in words).
    let mut body = false;
    for line in gate.text.lines() {
        body = body || !line.trim_start().starts_with('@');
        if body {
            writeln!(out, "  {line}")?;
        }
    }
    if let Some(example) = &gate.example {
        writeln!(out, "\nthat passes:")?;
        for line in example.lines() {
            writeln!(out, "  {line}")?;
        }
    }
    Ok(())
}
