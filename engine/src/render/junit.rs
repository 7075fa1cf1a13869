//! JUnit XML for CI systems that read it: a test suite per model, a test case per gate of the
//! pack; a blocking finding is a failure, a warning passes with its text in `system-out`, and
//! what could not be evaluated is an error.

use std::io::{self, Write};

use crate::report::Severity;
use crate::report::{Finding, Report};

/// Escapes text for XML 1.0 content and attributes; characters XML cannot hold are dropped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Line breaks as character references: the document stays on lines of its own
            // making, and no text from a card starts a line (a workflow command in a CI log).
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push(c),
            c if (c as u32) < 0x20 || matches!(c as u32, 0xFFFE | 0xFFFF) => {}
            c => out.push(c),
        }
    }
    out
}

fn detail(f: &Finding) -> String {
    let mut text = format!("{}:{}: {}", f.location.path, f.location.line(), f.message);
    if !f.controls.is_empty() {
        text.push_str(&format!("\nISO/IEC 42001: {}", f.controls.join(", ")));
    }
    if let Some(help) = &f.help {
        text.push_str(&format!("\nHow to fix: {help}"));
    }
    text
}

/// Writes the JUnit document.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let extra = |m: &crate::report::ModelReport| {
        m.findings
            .iter()
            .filter(|f| !report.rules.iter().any(|r| r.id == f.gate))
            .map(|f| f.gate.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };
    let cases = report
        .models
        .iter()
        .map(|m| report.rules.len() + extra(m))
        .sum::<usize>()
        + report.errors.len()
        + report.ungoverned.len();
    let failures: usize = report
        .models
        .iter()
        .map(|m| m.count(Severity::Error))
        .sum::<usize>()
        + report
            .ungoverned
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="aimsgate" tests="{cases}" failures="{failures}" errors="{}">"#,
        report.errors.len()
    )?;
    for m in &report.models {
        let model_failures = m.count(Severity::Error);
        writeln!(
            out,
            r#"  <testsuite name="{}" tests="{}" failures="{model_failures}" errors="0" file="{}">"#,
            escape(&m.id),
            report.rules.len() + extra(m),
            escape(&m.path)
        )?;
        // A test case per gate of the pack, and one per finding the engine gives of itself
        // (no permit applies, a card removed).
        let mut ids: Vec<&str> = report.rules.iter().map(|r| r.id.as_str()).collect();
        for f in &m.findings {
            if !ids.contains(&f.gate.as_str()) {
                ids.push(&f.gate);
            }
        }
        for id in ids {
            let found: Vec<&Finding> = m.findings.iter().filter(|f| f.gate == id).collect();
            write!(
                out,
                r#"    <testcase name="{}" classname="aimsgate.{}" file="{}""#,
                escape(id),
                escape(&m.id),
                escape(&m.path)
            )?;
            if let Some(f) = found.first() {
                write!(out, r#" line="{}""#, f.location.line())?;
            }
            if found.is_empty() {
                writeln!(out, "/>")?;
                continue;
            }
            writeln!(out, ">")?;
            for f in found {
                if let Some(w) = &f.waived {
                    writeln!(
                        out,
                        r#"      <skipped message="waived until {} by {}: {}"/>"#,
                        w.expires,
                        escape(&w.approved_by),
                        escape(&w.reason)
                    )?;
                    continue;
                }
                outcome(f, out)?;
            }
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    if !report.ungoverned.is_empty() {
        let failures = report
            .ungoverned
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
        writeln!(
            out,
            r#"  <testsuite name="ungoverned model files" tests="{}" failures="{failures}" errors="0">"#,
            report.ungoverned.len()
        )?;
        for f in &report.ungoverned {
            writeln!(
                out,
                r#"    <testcase name="{}" classname="aimsgate.{}">"#,
                escape(&f.location.path),
                escape(&f.gate)
            )?;
            outcome(f, out)?;
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    if !report.warnings.is_empty() || !report.removed.is_empty() {
        // Said of the run, not of a gate: kept beside the suites, never a failure.
        let mut text = String::new();
        for w in &report.warnings {
            text.push_str(&format!("warning: {}\n", w.message));
        }
        for r in &report.removed {
            text.push_str(&format!("removed: {} ({}): {}\n", r.id, r.path, r.reason));
        }
        writeln!(
            out,
            r#"  <testsuite name="aimsgate run" tests="0" failures="0" errors="0">"#
        )?;
        writeln!(out, "    <system-out>{}</system-out>", escape(&text))?;
        writeln!(out, "  </testsuite>")?;
    }
    if !report.errors.is_empty() {
        writeln!(
            out,
            r#"  <testsuite name="could not evaluate" tests="{0}" failures="0" errors="{0}">"#,
            report.errors.len()
        )?;
        for e in &report.errors {
            let name = e.path.clone().unwrap_or_else(|| "arguments".into());
            writeln!(
                out,
                r#"    <testcase name="{}" classname="aimsgate.input"><error message="{}">{}</error></testcase>"#,
                escape(&name),
                escape(&e.message()),
                escape(&e.to_string())
            )?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

/// A finding inside its test case: a failure when it blocks, else a warning on the case's output.
fn outcome(f: &Finding, out: &mut dyn Write) -> io::Result<()> {
    match f.severity {
        Severity::Error => writeln!(
            out,
            r#"      <failure message="{}" type="{}">{}</failure>"#,
            escape(&f.message),
            escape(&f.gate),
            escape(&detail(f))
        ),
        Severity::Warning => writeln!(
            out,
            "      <system-out>warning: {}</system-out>",
            escape(&detail(f))
        ),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn xml_escaping() {
        assert_eq!(
            super::escape("<a href=\"x\">&'\u{0}\u{1b}</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;"
        );
    }
}
