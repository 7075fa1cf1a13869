//! Markdown for `$GITHUB_STEP_SUMMARY` and the sticky pull request comment, as a reviewer reads
//! it: the verdict table first; then, per model with findings, a `<details>` section (open for
//! a blocked model) listing each finding with its gate, controls and a link to the card's line
//! at the commit judged, and each gate's fix once. Text from cards is escaped so it cannot
//! inject Markdown, HTML or @-mentions, while the tool's own code spans stay code spans. A
//! length bound keeps the comment under GitHub's limit, saying what was left out and where the
//! whole report is.

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::report::Severity;
use crate::report::{Decision, Finding, ModelReport, Report, counted};

/// The hidden marker by which the sticky comment is found again and updated in place.
pub const COMMENT_MARKER: &str = "<!-- aimsgate:report -->";

/// GitHub's limit on a comment body and a Check Run summary is 65,536 characters; the summary
/// stays under this, with room for its closing lines.
pub const MAX_CHARS: usize = 60_000;

/// Escapes text for Markdown (a table cell or a list item): HTML special characters become
/// entities, Markdown punctuation is backslash-escaped, line breaks become spaces, and `@` is
/// followed by a zero-width space so that no mention or team ping is made.
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
            // Shown, not obeyed: a bidirectional override or a line separator in card text
            // must not reorder or break what a reviewer reads.
            c if crate::chars::invisible(c) || matches!(c, '\u{2028}' | '\u{2029}') => {
                out.push_str(&format!("\\[U+{:04X}\\]", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out
}

/// A message written with the tool's own code spans (`` `governance.owner` is missing ``):
/// outside them the text is escaped; inside, it stays a code span, which GitHub shows
/// literally (no HTML, no mention, no link), with only what could end it or its table cell
/// made inert. A message with an unpaired backquote is escaped whole.
pub fn inline(message: &str, in_table: bool) -> String {
    let parts: Vec<&str> = message.split('`').collect();
    if parts.len().is_multiple_of(2) {
        return escape(message);
    }
    let mut out = String::with_capacity(message.len() + 16);
    for (i, part) in parts.iter().enumerate() {
        if i.is_multiple_of(2) {
            out.push_str(&escape(part));
            continue;
        }
        let mut code: String = part
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        if in_table {
            code = code.replace('|', "\\|");
        }
        // A code span cannot be empty or begin and end with a space that would be trimmed.
        if code.trim().is_empty() {
            out.push_str("\\`\\`");
            continue;
        }
        out.push('`');
        out.push_str(&code);
        out.push('`');
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

fn level(f: &Finding) -> &'static str {
    match (f.severity, &f.waived) {
        (_, Some(_)) => "⏸️",
        (Severity::Error, None) => "❌",
        (Severity::Warning, None) => "⚠️",
    }
}

/// `path:line`, linked to the line at the commit judged when the report knows where that is.
fn place(report: &Report, path: &str, line: usize) -> String {
    let shown = format!("{}:{line}", escape(path));
    match &report.blob_url {
        Some(base) => format!("[{shown}]({base}/{}#L{line})", url_path(path)),
        None => shown,
    }
}

/// A repository-relative path in a URL: every byte but the unreserved characters and `/`
/// percent-encoded, so a folder's name cannot end the link or open another.
fn url_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn counts(m: &ModelReport) -> String {
    let mut parts = Vec::new();
    if m.count(Severity::Error) > 0 {
        parts.push(counted(m.count(Severity::Error), "error", "errors"));
    }
    if m.count(Severity::Warning) > 0 {
        parts.push(counted(m.count(Severity::Warning), "warning", "warnings"));
    }
    if m.waived() > 0 {
        parts.push(format!("{} waived", m.waived()));
    }
    parts.join(", ")
}

/// One model's section: its findings, then each gate's fix once.
fn section(report: &Report, m: &ModelReport) -> String {
    let mut out = String::new();
    let open = if m.decision == Decision::Allowed {
        ""
    } else {
        " open"
    };
    let _ = writeln!(
        out,
        "<details{open}><summary><b>{}</b> — {}: {}</summary>\n",
        escape(&m.id),
        icon(m.decision),
        counts(m)
    );
    for f in &m.findings {
        let controls = if f.controls.is_empty() {
            String::new()
        } else {
            format!(" ({})", escape(&f.controls.join(", ")))
        };
        let _ = write!(
            out,
            "- {} `{}`{controls} at {}: {}",
            level(f),
            f.gate,
            place(report, &f.location.path, f.location.line()),
            inline(&f.message, false)
        );
        if let Some(w) = &f.waived {
            let _ = write!(
                out,
                " — waived until {} by {}: {}",
                w.expires,
                escape(&w.approved_by),
                escape(&w.reason)
            );
        }
        out.push('\n');
    }
    let mut fixes: Vec<(&str, &str)> = Vec::new();
    for f in m.findings.iter().filter(|f| f.waived.is_none()) {
        if let Some(help) = &f.help
            && !fixes.iter().any(|(g, _)| *g == f.gate)
        {
            fixes.push((&f.gate, help));
        }
    }
    if !fixes.is_empty() {
        out.push_str("\nHow to fix:\n");
        for (gate, help) in fixes {
            let _ = writeln!(out, "- `{gate}`: {}", inline(help, false));
        }
    }
    out.push_str("\n</details>\n\n");
    out
}

/// Writes the summary. `marker` adds the hidden comment marker (for the pull request comment).
/// The text stays under [`MAX_CHARS`]: model sections that do not fit are left out, and a
/// closing line says how many and where the whole report is.
pub fn render(report: &Report, out: &mut dyn Write, marker: bool) -> io::Result<()> {
    let mut text = String::new();
    if marker {
        let _ = writeln!(text, "{COMMENT_MARKER}");
    }
    let target = match &report.environment {
        Some(env) => format!("{} to {}", report.action.as_str(), escape(env)),
        None => report.action.as_str().to_string(),
    };
    let _ = writeln!(text, "## aimsgate: {} — {target}\n", icon(report.decision));
    // What the run says about itself (a gate turned off, a change judged by its own
    // configuration) comes before the table, which a large run makes long.
    for w in &report.warnings {
        let place = match (&w.path, w.line) {
            (Some(p), Some(l)) => format!("{}:{l}: ", escape(p)),
            (Some(p), None) => format!("{}: ", escape(p)),
            _ => String::new(),
        };
        let _ = writeln!(text, "> ⚠️ {place}{}\n", inline(&w.message, false));
    }
    if !report.models.is_empty() {
        text.push_str(
            "| model | verdict | errors | warnings | waived |\n|---|---|---:|---:|---:|\n",
        );
        for m in &report.models {
            let _ = writeln!(
                text,
                "| {} | {} | {} | {} | {} |",
                escape(&m.id),
                icon(m.decision),
                m.count(Severity::Error),
                m.count(Severity::Warning),
                m.waived()
            );
        }
        text.push('\n');
    }
    let mut tally = vec![
        format!("{} allowed", report.count(Decision::Allowed)),
        format!("{} blocked", report.count(Decision::Blocked)),
    ];
    if report.count(Decision::Error) > 0 {
        tally.push(format!("{} not evaluated", report.count(Decision::Error)));
    }
    if !report.skipped.is_empty() {
        tally.push(format!("{} skipped (unchanged)", report.skipped.len()));
    }
    if !report.removed.is_empty() {
        tally.push(format!("{} removed", report.removed.len()));
    }
    if !report.ungoverned.is_empty() {
        tally.push(format!(
            "{} no card covers",
            counted(report.ungoverned.len(), "model file", "model files")
        ));
    }
    let _ = writeln!(
        text,
        "{} checked at {}: {}.\n",
        counted(report.models.len(), "model", "models"),
        report.now,
        tally.join(", ")
    );
    if !report.ungoverned.is_empty() {
        text.push_str("### Model files no card covers\n\n");
        for f in &report.ungoverned {
            let icon = if f.severity == Severity::Error {
                "❌"
            } else {
                "⚠️"
            };
            let _ = writeln!(text, "- {icon} `{}`: {}", f.gate, inline(&f.message, false));
        }
        text.push('\n');
    }
    if !report.errors.is_empty() {
        text.push_str("### Could not evaluate\n\n| where | what | how to fix |\n|---|---|---|\n");
        for e in &report.errors {
            let place = match (&e.path, e.line()) {
                (Some(p), Some(l)) => self::place(report, p, l),
                (Some(p), None) => escape(p),
                (None, _) => "arguments".into(),
            };
            let _ = writeln!(
                text,
                "| {place} | {} | {} |",
                inline(&e.message(), true),
                e.help
                    .as_deref()
                    .map(|h| inline(h, true))
                    .unwrap_or_default()
            );
        }
        text.push('\n');
    }
    // Blocked models (and those not evaluated) first, open; then allowed ones with findings.
    let mut sections: Vec<&ModelReport> = report
        .models
        .iter()
        .filter(|m| !m.findings.is_empty())
        .collect();
    sections.sort_by_key(|m| std::cmp::Reverse(m.decision));
    let mut left_out = 0;
    for m in sections {
        let s = section(report, m);
        if text.chars().count() + s.chars().count() > MAX_CHARS {
            left_out += 1;
            continue;
        }
        text.push_str(&s);
    }
    let mut tail = String::new();
    if !report.stale_waivers.is_empty() {
        tail.push_str("Stale waivers (they match no finding):\n\n");
        for w in &report.stale_waivers {
            let _ = writeln!(
                tail,
                "- {}:{}: `{}` for {}",
                escape(&w.path),
                w.line,
                w.gate,
                escape(&w.model)
            );
        }
        tail.push('\n');
    }
    for (what, models) in [("skipped", &report.skipped), ("removed", &report.removed)] {
        if models.is_empty() {
            continue;
        }
        let _ = writeln!(
            tail,
            "<details><summary>{} {what}</summary>\n\n| model | card | why |\n|---|---|---|",
            counted(models.len(), "model", "models")
        );
        for s in models.iter() {
            let _ = writeln!(
                tail,
                "| {} | {} | {} |",
                escape(&s.id),
                escape(&s.path),
                escape(&s.reason)
            );
        }
        tail.push_str("\n</details>\n\n");
    }
    let missing: Vec<String> = report
        .evidence
        .iter()
        .filter(|e| !e.available)
        .map(|e| format!("{} ({})", e.kind, escape(&e.detail)))
        .collect();
    if !missing.is_empty() {
        let _ = writeln!(tail, "Evidence not available: {}.\n", missing.join("; "));
    }
    if text.chars().count() + tail.chars().count() > MAX_CHARS {
        tail = String::new();
        left_out += 1;
    }
    text.push_str(&tail);
    if left_out > 0 {
        let _ = writeln!(
            text,
            "**{} left out here** to stay within GitHub's length limit: every finding is in the Check Run's annotations and in the JSON and SARIF reports.\n",
            counted(left_out, "section was", "sections were")
        );
    }
    let protected = match &report.protected {
        Some(p) => format!(
            " · configuration from {} at {}",
            escape(p.full.as_deref().unwrap_or(&p.given)),
            crate::report::short(&p.commit)
        ),
        None => String::new(),
    };
    let _ = writeln!(
        text,
        "<sub>aimsgate {} · policies: {}{protected}</sub>",
        env!("CARGO_PKG_VERSION"),
        escape(&report.policies)
    );
    out.write_all(text.as_bytes())
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

    #[test]
    fn the_tools_code_spans_stay_code_spans() {
        assert_eq!(
            inline("`governance.human_oversight` is blank", false),
            "`governance.human_oversight` is blank"
        );
        assert_eq!(inline("`a|b` x", true), "`a\\|b` x");
        // An unpaired backquote: everything escaped.
        assert_eq!(inline("a ` b", false), "a \\` b");
        assert_eq!(inline("`` empty", false), "\\`\\` empty");
    }
}
