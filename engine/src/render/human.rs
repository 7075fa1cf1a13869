//! Human output: miette diagnostics that quote the card around the line and underline the
//! field, naming the gate, its controls and how to fix it; then one line per model and a total.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode,
};

use crate::error::InputError;
use crate::report::Severity;
use crate::report::{Decision, Finding, Report};
use crate::span::Span;

use super::quoted::Quoted;

/// Text from a card, a path, a waiver or a record, with control characters (a line break
/// above all) and invisible characters shown as escapes: such text is data, and must never
/// start a line of its own — a fake total, or a workflow command in a CI log.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s
        .chars()
        .any(|c| c.is_control() || crate::chars::invisible(c))
    {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || crate::chars::invisible(c) => {
                out.push_str(&format!("\\u{{{:04X}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// How to draw.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
    pub width: usize,
}

/// One diagnostic, quoting a file when its text is known.
#[derive(Debug)]
struct Snippet {
    /// An error's stable code (`card::key`), drawn above it.
    code: Option<String>,
    message: String,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<NamedSource<Quoted>>,
    labels: Vec<LabeledSpan>,
}

impl fmt::Display for Snippet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Snippet {}

impl Diagnostic for Snippet {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code
            .as_ref()
            .map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
}

fn span(s: Span) -> (usize, usize) {
    (s.start.offset, s.len())
}

fn handler(style: Style) -> GraphicalReportHandler {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false)
        .without_syntax_highlighting()
}

fn draw(out: &mut dyn Write, style: Style, snippet: &Snippet) -> io::Result<()> {
    out.write_all(drawn(style, snippet)?.as_bytes())
}

/// The text `draw` writes.
fn drawn(style: Style, snippet: &Snippet) -> io::Result<String> {
    let mut text = report(style, snippet)?;
    text.push('\n');
    Ok(text)
}

/// What miette draws of `snippet`.
fn report(style: Style, snippet: &Snippet) -> io::Result<String> {
    let mut text = String::new();
    handler(style)
        .render_report(&mut text, snippet)
        .map_err(io::Error::other)?;
    Ok(text)
}

/// The footers (`help: ...`) of one run's findings, drawn once for each text: a gate's help
/// is the same on every card it fires on, and wrapping it was half of what drawing a finding
/// cost. Miette draws a diagnostic's footer last, from its help text alone (and the style),
/// so a finding drawn without its help, then its footer, is the finding drawn whole; a test
/// holds the two to each other.
struct Footers {
    style: Style,
    drawn: Mutex<HashMap<String, Arc<str>>>,
}

impl Footers {
    fn new(style: Style) -> Footers {
        Footers {
            style,
            drawn: Mutex::new(HashMap::new()),
        }
    }

    /// The footer miette draws for `help`: what a diagnostic with it draws past the same
    /// diagnostic without it.
    fn of(&self, help: &str) -> io::Result<Arc<str>> {
        if let Some(footer) = self.drawn.lock().ok().and_then(|d| d.get(help).cloned()) {
            return Ok(footer);
        }
        let bare = Snippet {
            code: None,
            message: String::new(),
            severity: miette::Severity::Error,
            help: None,
            source: None,
            labels: Vec::new(),
        };
        let without = report(self.style, &bare)?;
        let with = report(
            self.style,
            &Snippet {
                help: Some(help.to_string()),
                ..bare
            },
        )?;
        let footer: Arc<str> = Arc::from(with.strip_prefix(&without).ok_or_else(|| {
            io::Error::other("internal: miette drew a diagnostic's help other than last")
        })?);
        if let Ok(mut drawn) = self.drawn.lock() {
            drawn.insert(help.to_string(), Arc::clone(&footer));
        }
        Ok(footer)
    }

    /// What `draw` writes of `snippet`, its footer from here.
    fn drawn(&self, mut snippet: Snippet) -> io::Result<String> {
        let help = snippet.help.take();
        let mut text = report(self.style, &snippet)?;
        if let Some(help) = help {
            text.push_str(&self.of(&help)?);
        }
        text.push('\n');
        Ok(text)
    }
}

fn finding_snippet(quoted: &Quoted, f: &Finding) -> Snippet {
    let controls = if f.controls.is_empty() {
        String::new()
    } else {
        format!(" [{}]", f.controls.join(", "))
    };
    let mut labels = vec![LabeledSpan::new_primary_with_span(
        Some(escape(&f.label).into_owned()),
        span(f.location.span),
    )];
    labels.extend(
        f.related.iter().map(|r| {
            LabeledSpan::new_with_span(Some(escape(&r.message).into_owned()), span(r.span))
        }),
    );
    let mut help = f.help.clone().unwrap_or_default();
    if let Some((file, line)) = &f.policy {
        if !help.is_empty() {
            help.push('\n');
        }
        help.push_str(&format!("gate defined at {file}:{line}"));
    }
    if let Some(w) = &f.waived {
        if !help.is_empty() {
            help.push('\n');
        }
        help.push_str(&format!(
            "waived until {} by {} ({}:{}): {}",
            w.expires,
            escape(&w.approved_by),
            escape(&w.path),
            w.line,
            escape(&w.reason)
        ));
    }
    if let Some(w) = &f.expired_waiver {
        if !help.is_empty() {
            help.push('\n');
        }
        help.push_str(&format!(
            "the waiver at {}:{} expired on {}: renew it, or fix the finding",
            escape(&w.path),
            w.line,
            w.expires
        ));
    }
    let waived = if f.waived.is_some() { " (waived)" } else { "" };
    Snippet {
        code: None,
        message: format!("{}{controls}: {}{waived}", f.gate, f.title),
        severity: match (f.severity, &f.waived) {
            (_, Some(_)) => miette::Severity::Advice,
            (Severity::Error, None) => miette::Severity::Error,
            (Severity::Warning, None) => miette::Severity::Warning,
        },
        help: Some(help).filter(|h| !h.is_empty()),
        source: Some(NamedSource::new(escape(&f.location.path), quoted.clone())),
        labels,
    }
}

/// Draws one input error.
pub fn render_error(e: &InputError, out: &mut dyn Write, style: Style) -> io::Result<()> {
    render_diagnostic(e, miette::Severity::Error, out, style)
}

/// Draws one warning (same shape as an error).
pub fn render_warning(e: &InputError, out: &mut dyn Write, style: Style) -> io::Result<()> {
    render_diagnostic(e, miette::Severity::Warning, out, style)
}

fn render_diagnostic(
    e: &InputError,
    severity: miette::Severity,
    out: &mut dyn Write,
    style: Style,
) -> io::Result<()> {
    let (source, labels) = match (&e.source, e.span, &e.path) {
        (Some(src), Some(s), Some(path)) => (
            Some(NamedSource::new(escape(path), Quoted::new(src))),
            vec![LabeledSpan::new_primary_with_span(None, span(s))],
        ),
        _ => (None, Vec::new()),
    };
    let message = match (&e.path, &source) {
        (Some(path), None) => format!("{}: {}", escape(path), escape(&e.message())),
        _ => escape(&e.message()).into_owned(),
    };
    draw(
        out,
        style,
        &Snippet {
            code: Some(e.code()),
            message,
            severity,
            help: e.help.as_deref().map(str::to_string),
            source,
            labels,
        },
    )
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// Draws the findings of every model, then one line per model and the total.
pub fn render(report: &Report, out: &mut dyn Write, style: Style) -> io::Result<()> {
    // Drawn on every core (a monorepo's run draws thousands), written in order; each card
    // quoted once, whatever its findings.
    let quoted: Vec<Option<Quoted>> = report
        .models
        .iter()
        .map(|m| (!m.findings.is_empty()).then(|| Quoted::new(&m.source)))
        .collect();
    let findings: Vec<(&Quoted, &Finding)> = report
        .models
        .iter()
        .zip(&quoted)
        .filter_map(|(m, q)| Some((q.as_ref()?, m)))
        .flat_map(|(q, m)| m.findings.iter().map(move |f| (q, f)))
        .collect();
    let footers = Footers::new(style);
    for text in crate::spread::spread(&findings, |(q, f)| footers.drawn(finding_snippet(q, f))) {
        out.write_all(text?.as_bytes())?;
    }
    let rows = report
        .models
        .iter()
        .map(|m| (&m.id, &m.path))
        .chain(report.skipped.iter().map(|s| (&s.id, &s.path)))
        .chain(report.removed.iter().map(|s| (&s.id, &s.path)));
    let (id_width, path_width) = rows.fold((0, 0), |(i, p), (id, path)| {
        (i.max(escape(id).len()), p.max(escape(path).len()))
    });
    for m in &report.models {
        let mut counts = match (m.count(Severity::Error), m.count(Severity::Warning)) {
            _ if m.decision == Decision::Error => "could not be evaluated".to_string(),
            (0, 0) if m.waived() == 0 => "no findings".to_string(),
            (0, 0) => String::new(),
            (e, 0) => plural(e, "error"),
            (0, w) => plural(w, "warning"),
            (e, w) => format!("{}, {}", plural(e, "error"), plural(w, "warning")),
        };
        if m.waived() > 0 {
            let waived = format!("{} waived", m.waived());
            counts = if counts.is_empty() {
                waived
            } else {
                format!("{counts}, {waived}")
            };
        }
        writeln!(
            out,
            "{:<8} {:<id_width$}  {:<path_width$}  {counts}",
            m.decision.as_str(),
            escape(&m.id),
            escape(&m.path)
        )?;
    }
    for (what, models) in [("skipped", &report.skipped), ("removed", &report.removed)] {
        for s in models {
            writeln!(
                out,
                "{what:<8} {:<id_width$}  {:<path_width$}  {}",
                escape(&s.id),
                escape(&s.path),
                escape(&s.reason)
            )?;
        }
    }
    if let Some(c) = &report.change {
        let scope = if c.policies_changed {
            "governance configuration changed, so every model was checked"
        } else {
            "models whose card or folder changed were checked"
        };
        let base = match &c.base_ref.full {
            Some(full) if *full != c.base => format!("{} ({full})", c.base),
            _ => c.base.clone(),
        };
        writeln!(
            out,
            "changed since {base} (merge base {}): {}; {scope}",
            crate::report::short(&c.merge_base),
            crate::report::counted(c.files, "file", "files")
        )?;
    }
    if let Some(p) = &report.protected {
        writeln!(
            out,
            "governance configuration from {} at {}",
            p.full.as_deref().unwrap_or(&p.given),
            crate::report::short(&p.commit)
        )?;
    }
    for w in &report.warnings {
        match (&w.path, w.line) {
            (Some(path), Some(line)) => writeln!(
                out,
                "warning: {}:{line}: {}",
                escape(path),
                escape(&w.message)
            )?,
            (Some(path), None) => {
                writeln!(out, "warning: {}: {}", escape(path), escape(&w.message))?;
            }
            _ => writeln!(out, "warning: {}", escape(&w.message))?,
        }
    }
    for w in &report.stale_waivers {
        writeln!(
            out,
            "warning: the waiver at {}:{} ({} for {}) matches no finding: remove it or fix its gate or model",
            escape(&w.path),
            w.line,
            escape(&w.gate),
            escape(&w.model)
        )?;
    }
    for f in &report.ungoverned {
        writeln!(
            out,
            "{}: {}: {} [{}]: {}",
            f.severity.as_str(),
            escape(&f.location.path),
            f.gate,
            f.controls.join(", "),
            escape(&f.message)
        )?;
    }
    if let Some(help) = report.ungoverned.first().and_then(|f| f.help.as_deref()) {
        writeln!(out, "  help: {}", escape(help))?;
    }
    for e in &report.evidence {
        let state = if e.available { "" } else { "unavailable: " };
        writeln!(out, "evidence {:<13} {state}{}", e.kind, escape(&e.detail))?;
    }
    let target = match &report.environment {
        Some(env) => format!("{} to {env}", report.action.as_str()),
        None => report.action.as_str().to_string(),
    };
    let mut parts = vec![
        format!("{} allowed", report.count(Decision::Allowed)),
        format!("{} blocked", report.count(Decision::Blocked)),
    ];
    if !report.skipped.is_empty() {
        parts.push(format!("{} skipped", report.skipped.len()));
    }
    if !report.removed.is_empty() {
        parts.push(format!("{} removed", report.removed.len()));
    }
    if report.count(Decision::Error) > 0 {
        parts.push(format!("{} not evaluated", report.count(Decision::Error)));
    }
    if !report.ungoverned.is_empty() {
        parts.push(format!(
            "{} no card covers",
            plural(report.ungoverned.len(), "model file")
        ));
    }
    // Files with errors that are not a judged model's card: cards that could not be read
    // (a model the count above does not see), waivers, configuration.
    let files = |written: bool| -> std::collections::BTreeSet<&str> {
        report
            .errors
            .iter()
            .filter(|e| (e.code() == "io::write") == written)
            .filter_map(|e| e.path.as_deref())
            .filter(|p| !report.models.iter().any(|m| m.path == *p))
            .collect()
    };
    let (unread, unwritten) = (files(false), files(true));
    if !unread.is_empty() {
        parts.push(format!(
            "{} could not be read",
            plural(unread.len(), "file")
        ));
    }
    if !unwritten.is_empty() {
        parts.push(format!(
            "{} could not be written",
            plural(unwritten.len(), "file")
        ));
    }
    writeln!(
        out,
        "\n{}: {} checked for {target} at {} ({}); {}",
        report.decision.as_str(),
        plural(report.models.len(), "model"),
        report.now,
        if report.policies == "embedded" {
            "embedded policy pack".to_string()
        } else if report.policies.is_empty() {
            // The run stopped before a pack was loaded.
            "no policy pack loaded".to_string()
        } else {
            format!("policy pack at {}", report.policies)
        },
        parts.join(", "),
    )?;
    if !report.errors.is_empty() {
        writeln!(
            out,
            "{} (on standard error): nothing is allowed until they are fixed",
            plural(report.errors.len(), "input error")
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A finding drawn without its help and then its footer is the finding drawn whole, for
    /// help texts short and long, with long words, line breaks, blank lines, escapes and
    /// wide characters, at narrow and wide widths, in colour and without.
    #[test]
    fn a_finding_with_its_footer_apart_is_drawn_as_whole() {
        let source: Arc<str> =
            Arc::from("---\ngovernance:\n  owner: \"\"\n  risk_tier: minimal\n---\n\n# Card\n");
        let quoted = Quoted::new(&source);
        let helps = [
            "add an owner".to_string(),
            "set governance.owner to the team accountable for the model, e.g. `@acme/ml-platform`; the owner signs off every release and answers for it to the AI management system's review (A.3.2)".to_string(),
            "a-very-long-word-that-cannot-be-broken-anywhere-at-all-because-it-has-no-spaces-in-it-whatsoever".to_string(),
            "first line\nsecond line\n\nafter a blank line\ngate defined at policies/owner.cedar:12".to_string(),
            "ünïcödé 全角の文字 and emoji 🤗 mixed with words ".repeat(6),
            "  leading spaces, trailing spaces  ".to_string(),
            "waived until 2027-01-01 by @risk (.aimsgate/waivers.yaml:3): accepted for the pilot".to_string(),
        ];
        let mut compared = 0;
        for width in [12, 30, 60, 80, 100, 240] {
            for color in [false, true] {
                let style = Style { color, width };
                let footers = Footers::new(style);
                for help in &helps {
                    let snippet = || Snippet {
                        code: None,
                        message: "owner-assigned [A.3.2]: The model has an accountable owner"
                            .into(),
                        severity: miette::Severity::Error,
                        help: Some(help.clone()),
                        source: Some(NamedSource::new("models/m/README.md", quoted.clone())),
                        labels: vec![LabeledSpan::new_primary_with_span(
                            Some("no owner".into()),
                            (26, 2),
                        )],
                    };
                    let whole = drawn(style, &snippet()).unwrap();
                    assert!(whole.contains("help"), "{whole}");
                    // Twice: the footer drawn, then the footer kept.
                    for _ in 0..2 {
                        assert_eq!(footers.drawn(snippet()).unwrap(), whole, "{width} {color}");
                        compared += 1;
                    }
                }
            }
        }
        assert_eq!(compared, 6 * 2 * 7 * 2);
    }
}
