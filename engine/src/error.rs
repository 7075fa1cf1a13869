//! Input errors: anything that could not be read or evaluated, with the file and line it is about.
//!
//! These never become findings: an input error means the gate could not judge, and the verdict is
//! "error" (exit 2), which no caller may mistake for "allowed".

use std::sync::Arc;

use crate::span::Span;

/// Something that could not be read or evaluated.
#[derive(Debug, Clone)]
pub struct InputError {
    /// The file it is about, relative to the repository root; `None` for argument errors.
    pub path: Option<String>,
    /// Where in that file, when known.
    pub span: Option<Span>,
    pub message: String,
    /// How to fix it, when there is something useful to say.
    pub help: Option<Box<str>>,
    /// The file's text, so that a human rendering can quote it.
    pub source: Option<Arc<str>>,
}

impl InputError {
    /// An error about a whole file (or an argument, when `path` is `None`).
    pub fn new(path: Option<&str>, message: impl Into<String>) -> Self {
        InputError {
            path: path.map(str::to_string),
            span: None,
            message: message.into(),
            help: None,
            source: None,
        }
    }

    /// An error at a place in a file whose text is known.
    pub fn at(path: &str, source: &Arc<str>, span: Span, message: impl Into<String>) -> Self {
        InputError {
            path: Some(path.to_string()),
            span: Some(span),
            message: message.into(),
            help: None,
            source: Some(Arc::clone(source)),
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into().into_boxed_str());
        self
    }

    /// The 1-based line, when known.
    pub fn line(&self) -> Option<usize> {
        self.span.map(|s| s.start.line)
    }
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.path, self.line()) {
            (Some(p), Some(l)) => write!(f, "{p}:{l}: {}", self.message),
            (Some(p), None) => write!(f, "{p}: {}", self.message),
            (None, _) => write!(f, "{}", self.message),
        }
    }
}

impl std::error::Error for InputError {}

/// The span of `len` bytes at byte `offset` of `source`, with its line and column.
pub fn span_of(source: &str, offset: usize, len: usize) -> Span {
    let offset = offset.min(source.len());
    let before = &source[..floor_char(source, offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Span {
        start: crate::span::Pos {
            line,
            col: before[line_start..].chars().count() + 1,
            offset,
        },
        end: (offset + len).min(source.len()),
    }
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// An error reported by a library as a miette diagnostic (Cedar's parse and validation
/// errors), placed at its first label in `source`.
pub fn from_diagnostic(
    path: &str,
    source: &Arc<str>,
    diag: &dyn miette::Diagnostic,
    context: &str,
) -> InputError {
    let span = diag
        .labels()
        .and_then(|mut labels| labels.next())
        .map(|l| span_of(source, l.offset(), l.len()));
    let mut message = format!("{context}{diag}");
    if let Some(label) = diag
        .labels()
        .and_then(|mut labels| labels.next())
        .and_then(|l| l.label().map(str::to_string))
    {
        message.push_str(&format!(" ({label})"));
    }
    InputError {
        path: Some(path.to_string()),
        span,
        message,
        help: diag.help().map(|h| h.to_string().into_boxed_str()),
        source: Some(Arc::clone(source)),
    }
}
