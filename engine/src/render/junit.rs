//! JUnit XML for CI systems that read it: a test suite per model, a test case per gate of the
//! pack; a blocking finding is a failure, a warning passes with its text in `system-out`, and
//! what could not be evaluated is an error.

use std::io::{self, Write};

use crate::pack::Severity;
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
            '\t' | '\n' | '\r' => out.push(c),
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
    let cases = report.models.len() * report.rules.len() + report.errors.len();
    let failures: usize = report.models.iter().map(|m| m.count(Severity::Error)).sum();
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
            report.rules.len(),
            escape(&m.path)
        )?;
        for rule in &report.rules {
            let found: Vec<&Finding> = m.findings.iter().filter(|f| f.gate == rule.id).collect();
            write!(
                out,
                r#"    <testcase name="{}" classname="aimsgate.{}" file="{}""#,
                escape(&rule.id),
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
                match f.severity {
                    Severity::Error => writeln!(
                        out,
                        r#"      <failure message="{}" type="{}">{}</failure>"#,
                        escape(&f.message),
                        escape(&f.gate),
                        escape(&detail(f))
                    )?,
                    Severity::Warning => writeln!(
                        out,
                        "      <system-out>warning: {}</system-out>",
                        escape(&detail(f))
                    )?,
                }
            }
            writeln!(out, "    </testcase>")?;
        }
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
                escape(&e.message),
                escape(&e.to_string())
            )?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
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
