//! Markdown for `$GITHUB_STEP_SUMMARY` and the sticky pull request comment: a table of models ×
//! verdicts, then per model the findings with gate, controls, line and how to fix. Warnings stay
//! visible but distinct. Text that comes from cards (model ids, paths, values in messages) is
//! escaped so it cannot inject Markdown, HTML or @-mentions.

use std::io::{self, Write};

use crate::pack::Severity;
use crate::report::{Decision, Report};

/// The hidden marker by which the sticky comment is found again and updated in place.
pub const COMMENT_MARKER: &str = "<!-- aimsgate:report -->";

/// Escapes text for a Markdown table cell: HTML special characters become entities, Markdown
/// punctuation is backslash-escaped, line breaks become spaces, and `@` is followed by a
/// zero-width space so that no mention or team ping is made.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\r' | '\n' => out.push(' '),
            '@' => out.push_str("@\u{200B}"),
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '-' | '.'
            | '!' | '|' | '~' | ':' | '$' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn icon(d: Decision) -> &'static str {
    match d {
        Decision::Allowed => "✅ allowed",
        Decision::Blocked => "❌ blocked",
        Decision::Error => "⚠️ not evaluated",
    }
}

/// Writes the summary. `marker` adds the hidden comment marker (for the PR comment).
pub fn render(report: &Report, out: &mut dyn Write, marker: bool) -> io::Result<()> {
    if marker {
        writeln!(out, "{COMMENT_MARKER}")?;
    }
    let target = match &report.environment {
        Some(env) => format!("{} to {}", report.action.as_str(), escape(env)),
        None => report.action.as_str().to_string(),
    };
    writeln!(out, "## aimsgate: {} — {target}\n", icon(report.decision))?;
    writeln!(
        out,
        "{} model(s) checked at {}: {} allowed, {} blocked{}{}.\n",
        report.models.len(),
        report.now,
        report.count(Decision::Allowed),
        report.count(Decision::Blocked),
        if report.count(Decision::Error) > 0 {
            format!(", {} not evaluated", report.count(Decision::Error))
        } else {
            String::new()
        },
        if report.skipped.is_empty() {
            String::new()
        } else {
            format!(", {} skipped (unchanged)", report.skipped.len())
        }
    )?;
    for w in &report.warnings {
        let place = match (&w.path, w.line) {
            (Some(p), Some(l)) => format!("{}:{l}: ", escape(p)),
            (Some(p), None) => format!("{}: ", escape(p)),
            _ => String::new(),
        };
        writeln!(out, "> ⚠️ {place}{}\n", escape(&w.message))?;
    }
    if !report.errors.is_empty() {
        writeln!(out, "### Could not evaluate\n")?;
        writeln!(out, "| where | what | how to fix |\n|---|---|---|")?;
        for e in &report.errors {
            let place = match (&e.path, e.line()) {
                (Some(p), Some(l)) => format!("{}:{l}", escape(p)),
                (Some(p), None) => escape(p),
                (None, _) => "arguments".into(),
            };
            writeln!(
                out,
                "| {place} | {} | {} |",
                escape(&e.message),
                e.help.as_deref().map(escape).unwrap_or_default()
            )?;
        }
        writeln!(out)?;
    }
    if !report.models.is_empty() {
        writeln!(
            out,
            "| model | card | verdict | errors | warnings | waived |\n|---|---|---|---:|---:|---:|"
        )?;
        for m in &report.models {
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                escape(&m.id),
                escape(&m.path),
                icon(m.decision),
                m.count(Severity::Error),
                m.count(Severity::Warning),
                m.waived()
            )?;
        }
        writeln!(out)?;
    }
    for m in report.models.iter().filter(|m| !m.findings.is_empty()) {
        writeln!(out, "### {} — {}\n", escape(&m.id), icon(m.decision))?;
        writeln!(
            out,
            "| | gate | controls | line | finding | how to fix |\n|---|---|---|---|---|---|"
        )?;
        for f in &m.findings {
            let level = match (f.severity, &f.waived) {
                (_, Some(_)) => "⏸️ waived",
                (Severity::Error, None) => "❌ error",
                (Severity::Warning, None) => "⚠️ warning",
            };
            let fix = match &f.waived {
                Some(w) => format!(
                    "waived until {} by {}: {}",
                    w.expires,
                    escape(&w.approved_by),
                    escape(&w.reason)
                ),
                None => f.help.as_deref().map(escape).unwrap_or_default(),
            };
            writeln!(
                out,
                "| {level} | `{}` | {} | {}:{} | {} | {} |",
                f.gate,
                escape(&f.controls.join(", ")),
                escape(&f.location.path),
                f.location.line(),
                escape(&f.message),
                fix
            )?;
        }
        writeln!(out)?;
    }
    if !report.stale_waivers.is_empty() {
        writeln!(out, "Stale waivers (they match no finding):\n")?;
        for w in &report.stale_waivers {
            writeln!(
                out,
                "- {}:{}: `{}` for {}",
                escape(&w.path),
                w.line,
                w.gate,
                escape(&w.model)
            )?;
        }
        writeln!(out)?;
    }
    if !report.skipped.is_empty() {
        writeln!(
            out,
            "<details><summary>{} model(s) skipped</summary>\n",
            report.skipped.len()
        )?;
        writeln!(out, "| model | card | why |\n|---|---|---|")?;
        for s in &report.skipped {
            writeln!(
                out,
                "| {} | {} | {} |",
                escape(&s.id),
                escape(&s.path),
                escape(&s.reason)
            )?;
        }
        writeln!(out, "\n</details>\n")?;
    }
    if !report.removed.is_empty() {
        writeln!(
            out,
            "<details><summary>{} model(s) removed</summary>\n",
            report.removed.len()
        )?;
        writeln!(out, "| model | card | why |\n|---|---|---|")?;
        for r in &report.removed {
            writeln!(
                out,
                "| {} | {} | {} |",
                escape(&r.id),
                escape(&r.path),
                escape(&r.reason)
            )?;
        }
        writeln!(out, "\n</details>\n")?;
    }
    let missing: Vec<String> = report
        .evidence
        .iter()
        .filter(|e| !e.available)
        .map(|e| format!("{} ({})", e.kind, escape(&e.detail)))
        .collect();
    if !missing.is_empty() {
        writeln!(out, "Evidence not available: {}.\n", missing.join("; "))?;
    }
    let protected = match &report.protected {
        Some(p) => format!(
            " · configuration from {} at {}",
            escape(p.full.as_deref().unwrap_or(&p.given)),
            crate::report::short(&p.commit)
        ),
        None => String::new(),
    };
    writeln!(
        out,
        "<sub>aimsgate {} · policies: {}{protected}</sub>",
        env!("CARGO_PKG_VERSION"),
        escape(&report.policies)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_text_cannot_inject() {
        let e = escape("<script>alert(1)</script> | @acme/team `x` [a](b)\n# h");
        assert!(!e.contains('<') && !e.contains('\n'));
        assert!(e.contains("&lt;script&gt;"));
        assert!(e.contains("\\|"));
        assert!(e.contains("@\u{200B}acme/team"));
        assert!(e.contains("\\`x\\`"));
        assert!(e.contains("\\[a\\]\\(b\\)"));
    }
}
