//! GitHub Actions workflow commands: `::error file=…,line=…,title=…::message` annotations that
//! GitHub shows on the card's line in "Files changed". Escaped as GitHub's toolkit does (`%`,
//! CR and LF in the message; also `:` and `,` in property values), so card text cannot end a
//! command or inject another. GitHub shows only the first 10 errors and 10 warnings of a step:
//! the most important are emitted (input errors, then blocking findings, then warnings), then
//! one notice that says how many more there are and where to find them.

use std::io::{self, Write};

use crate::report::Severity;
use crate::report::{Finding, Report};

/// GitHub's per-step limits on shown annotations, per level.
pub const MAX_ERRORS: usize = 10;
pub const MAX_WARNINGS: usize = 10;

/// Escapes the message part of a workflow command.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value of a workflow command.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

struct Annotation {
    level: &'static str,
    file: Option<String>,
    line: Option<usize>,
    col: Option<usize>,
    title: String,
    message: String,
}

impl Annotation {
    fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut props = Vec::new();
        if let Some(f) = &self.file {
            props.push(format!("file={}", escape_property(f)));
        }
        if let Some(l) = self.line {
            props.push(format!("line={l}"));
        }
        if let Some(c) = self.col {
            props.push(format!("col={c}"));
        }
        props.push(format!("title={}", escape_property(&self.title)));
        writeln!(
            out,
            "::{} {}::{}",
            self.level,
            props.join(","),
            escape_data(&self.message)
        )
    }
}

fn finding(model: &str, f: &Finding) -> Annotation {
    let mut message = format!("{} (model `{model}`)", f.message);
    if !f.controls.is_empty() {
        message.push_str(&format!("\nISO/IEC 42001: {}", f.controls.join(", ")));
    }
    if let Some(help) = &f.help {
        message.push_str(&format!("\nHow to fix: {help}"));
    }
    if let Some(w) = &f.waived {
        message.push_str(&format!(
            "\nWaived until {} by {} ({}:{}): {}",
            w.expires, w.approved_by, w.path, w.line, w.reason
        ));
    }
    Annotation {
        level: match (f.severity, &f.waived) {
            (_, Some(_)) => "notice",
            (Severity::Error, None) => "error",
            (Severity::Warning, None) => "warning",
        },
        file: Some(f.location.path.clone()),
        line: Some(f.location.line()),
        col: Some(f.location.column()),
        title: format!("aimsgate {}: {}", f.gate, f.title),
        message,
    }
}

/// Writes the annotations, grouped per model, most important first, within GitHub's caps.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let (mut errors_left, mut warnings_left) = (MAX_ERRORS, MAX_WARNINGS);
    let (mut errors_cut, mut warnings_cut) = (0, 0);
    let mut emit = |a: &Annotation, out: &mut dyn Write| -> io::Result<()> {
        let (left, cut) = match a.level {
            "error" => (&mut errors_left, &mut errors_cut),
            "warning" => (&mut warnings_left, &mut warnings_cut),
            _ => return a.write(out),
        };
        if *left == 0 {
            *cut += 1;
            return Ok(());
        }
        *left -= 1;
        a.write(out)
    };
    for e in &report.errors {
        let a = Annotation {
            level: "error",
            file: e.path.clone(),
            line: e.line(),
            col: e.span.map(|s| s.start.col),
            title: "aimsgate: could not evaluate".into(),
            message: match &e.help {
                Some(h) => format!("{}\nHow to fix: {h}", e.message()),
                None => e.message(),
            },
        };
        emit(&a, out)?;
    }
    for w in &report.warnings {
        let a = Annotation {
            level: "warning",
            file: w.path.clone(),
            line: w.line,
            col: None,
            title: "aimsgate".into(),
            message: w.message.clone(),
        };
        emit(&a, out)?;
    }
    for r in &report.removed {
        let a = Annotation {
            level: "notice",
            file: None,
            line: None,
            col: None,
            title: "aimsgate: model removed".into(),
            message: format!("model `{}` ({}): {}", r.id, r.path, r.reason),
        };
        emit(&a, out)?;
    }
    // Blocked models first, then the rest; within a model, errors before warnings.
    let mut models: Vec<_> = report.models.iter().collect();
    models.sort_by_key(|m| std::cmp::Reverse(m.decision));
    for m in models {
        if m.findings.is_empty() {
            continue;
        }
        writeln!(
            out,
            "::group::{}",
            escape_data(&format!(
                "aimsgate: {} ({}) {}",
                m.id,
                m.path,
                m.decision.as_str()
            ))
        )?;
        let mut findings: Vec<&Finding> = m.findings.iter().collect();
        findings.sort_by_key(|f| f.severity);
        for f in findings {
            emit(&finding(&m.id, f), out)?;
        }
        writeln!(out, "::endgroup::")?;
    }
    for f in &report.ungoverned {
        let a = Annotation {
            level: f.severity.as_str(),
            file: Some(f.location.path.clone()),
            line: None,
            col: None,
            title: format!("aimsgate: {}", f.gate),
            message: match &f.help {
                Some(h) => format!("{}\nHow to fix: {h}", f.message),
                None => f.message.clone(),
            },
        };
        emit(&a, out)?;
    }
    for w in &report.stale_waivers {
        let a = Annotation {
            level: "warning",
            file: Some(w.path.clone()),
            line: Some(w.line),
            col: None,
            title: "aimsgate: stale waiver".into(),
            message: format!(
                "This waiver of `{}` for `{}` matches no finding: remove it, or fix its gate or model.",
                w.gate, w.model
            ),
        };
        emit(&a, out)?;
    }
    if errors_cut + warnings_cut > 0 {
        let message = format!(
            "aimsgate: {} and {} more are not annotated here (GitHub shows {MAX_ERRORS} errors and {MAX_WARNINGS} warnings per step); every finding is in the step summary and the SARIF report",
            crate::report::counted(errors_cut, "error", "errors"),
            crate::report::counted(warnings_cut, "warning", "warnings")
        );
        writeln!(
            out,
            "::notice title={}::{}",
            escape_property("aimsgate: more findings"),
            escape_data(&message)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_the_toolkit() {
        assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(
            escape_property("a:b,c%\n::error::x"),
            "a%3Ab%2Cc%25%0A%3A%3Aerror%3A%3Ax"
        );
    }
}
