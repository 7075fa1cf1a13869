//! Input errors: anything that could not be read or evaluated, with the file and line it is about.
//!
//! These never become findings: an input error means the gate could not judge, and the verdict is
//! "error" (exit 2), which no caller may mistake for "allowed".
//!
//! What went wrong is typed: one `#[non_exhaustive]` enum per layer (reading files, YAML, cards,
//! the pack, evaluation, evidence, waivers, configuration, records, policy tests, the statement
//! of applicability, arguments, proofs, `init`), each kind with a stable `code` that every output
//! shows (`card::key`, `evidence::ref`, …) and that tests match on. A kind carries the sentence a
//! person reads; where it stands (file, span, the file's text) and how to fix it are the
//! [`InputError`] around it.

use std::sync::Arc;

use crate::span::Span;

/// Reading and writing files.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum IoError {
    /// A file that cannot be opened or read, or is not text.
    #[error("{0}")]
    #[diagnostic(code = "io::read")]
    Read(String),
    /// Output that cannot be written.
    #[error("{0}")]
    #[diagnostic(code = "io::write")]
    Write(String),
    /// A path that is not a regular file (a FIFO, a device, a folder).
    #[error("{0}")]
    #[diagnostic(code = "io::not-a-file")]
    NotAFile(String),
    /// A link that leads outside the repository, or a file with more than one name.
    #[error("{0}")]
    #[diagnostic(code = "io::link")]
    Link(String),
    /// More bytes than a bound allows.
    #[error("{0}")]
    #[diagnostic(code = "io::too-large")]
    TooLarge(String),
}

/// YAML (and JSON) documents: cards, waivers, configuration, tests, the statement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum YamlError {
    /// Text that is not one well-formed YAML document.
    #[error("{0}")]
    #[diagnostic(code = "yaml::syntax")]
    Syntax(String),
    /// A document past a bound: nodes after aliases, text, nesting.
    #[error("{0}")]
    #[diagnostic(code = "yaml::limit")]
    Limit(String),
    /// An application tag, or a tag on a key.
    #[error("{0}")]
    #[diagnostic(code = "yaml::tag")]
    Tag(String),
}

/// Model cards.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum CardError {
    /// A front matter that is unclosed or not a mapping.
    #[error("{0}")]
    #[diagnostic(code = "card::front-matter")]
    FrontMatter(String),
    /// Text that readers would disagree on: not UTF-8, UTF-16, a NUL, a Unicode line separator,
    /// a checkout filter.
    #[error("{0}")]
    #[diagnostic(code = "card::encoding")]
    Encoding(String),
    /// An unknown key, or one that looks like a known key.
    #[error("{0}")]
    #[diagnostic(code = "card::key")]
    Key(String),
    /// A value of the wrong type or form.
    #[error("{0}")]
    #[diagnostic(code = "card::value")]
    Value(String),
    /// A model id that is not a strict token, or that two cards share.
    #[error("{0}")]
    #[diagnostic(code = "card::id")]
    Id(String),
    /// No card where one was asked for or must be: nothing found, a path that does not exist,
    /// a submodule not checked out.
    #[error("{0}")]
    #[diagnostic(code = "card::missing")]
    Missing(String),
}

/// The policy pack.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum PackError {
    /// A policy that does not parse.
    #[error("{0}")]
    #[diagnostic(code = "pack::syntax")]
    Syntax(String),
    /// A schema that does not parse or does not build.
    #[error("{0}")]
    #[diagnostic(code = "pack::schema")]
    Schema(String),
    /// A policy that fails strict validation against the schema.
    #[error("{0}")]
    #[diagnostic(code = "pack::validation")]
    Validation(String),
    /// A missing or malformed annotation (`@id`, `@severity`, `@field`, …), or an id used twice.
    #[error("{0}")]
    #[diagnostic(code = "pack::annotation")]
    Annotation(String),
    /// A pack without a `permit`: everything would be denied.
    #[error("{0}")]
    #[diagnostic(code = "pack::no-permit")]
    NoPermit(String),
    /// What `validate` warns about: weak annotations, undeclared attributes, Cedar's lints.
    #[error("{0}")]
    #[diagnostic(code = "pack::lint")]
    Lint(String),
}

/// Judging a card against the pack.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum EvalError {
    /// A card or request that does not make a valid Cedar request and entities.
    #[error("{0}")]
    #[diagnostic(code = "eval::request")]
    Request(String),
    /// A policy whose evaluation failed on this card.
    #[error("{0}")]
    #[diagnostic(code = "eval::policy")]
    Policy(String),
}

/// Git and GitHub evidence: the errors that stop a run, and the reasons evidence is
/// unavailable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum EvidenceError {
    /// The repository, a commit, a tree or a diff that git cannot read.
    #[error("{0}")]
    #[diagnostic(code = "evidence::git")]
    Git(String),
    /// A ref that does not resolve, or resolves to more than one.
    #[error("{0}")]
    #[diagnostic(code = "evidence::ref")]
    Ref(String),
    /// The GitHub event file.
    #[error("{0}")]
    #[diagnostic(code = "evidence::event")]
    Event(String),
    /// GitHub's API: no token, no repository, a failed call.
    #[error("{0}")]
    #[diagnostic(code = "evidence::github")]
    GitHub(String),
    /// Evidence that this run does not have (not in a pull request, no tag).
    #[error("{0}")]
    #[diagnostic(code = "evidence::unavailable")]
    Unavailable(String),
}

/// Waivers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum WaiverError {
    /// A missing or malformed field.
    #[error("{0}")]
    #[diagnostic(code = "waiver::field")]
    Field(String),
    /// A waiver of a gate the pack does not have.
    #[error("{0}")]
    #[diagnostic(code = "waiver::scope")]
    Scope(String),
    /// A waiver approved by the model's own owner.
    #[error("{0}")]
    #[diagnostic(code = "waiver::approval")]
    Approval(String),
}

/// The governance configuration (`.aimsgate/config.yaml`, the protected ref, where files are).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum ConfigError {
    /// An unknown key.
    #[error("{0}")]
    #[diagnostic(code = "config::key")]
    Key(String),
    /// A value of the wrong type or form.
    #[error("{0}")]
    #[diagnostic(code = "config::value")]
    Value(String),
    /// A governance file that cannot be read from where it must be read.
    #[error("{0}")]
    #[diagnostic(code = "config::place")]
    Place(String),
}

/// Decision records (`--record`, `--record-git-note`, `log`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum RecordError {
    /// A record that cannot be written or its lock not taken.
    #[error("{0}")]
    #[diagnostic(code = "record::write")]
    Write(String),
    /// The notes ref that cannot be read or moved.
    #[error("{0}")]
    #[diagnostic(code = "record::note")]
    Note(String),
    /// Records that cannot be read.
    #[error("{0}")]
    #[diagnostic(code = "record::read")]
    Read(String),
}

/// Policy test files (`aimsgate test`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum TestError {
    /// A malformed test file or case.
    #[error("{0}")]
    #[diagnostic(code = "test::case")]
    Case(String),
}

/// The Statement of Applicability's decisions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum SoaError {
    /// A malformed entry.
    #[error("{0}")]
    #[diagnostic(code = "soa::entry")]
    Entry(String),
}

/// Command-line arguments and the environment that stands for them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum ArgError {
    /// A value of the wrong form, or values that do not go together.
    #[error("{0}")]
    #[diagnostic(code = "argument::value")]
    Value(String),
}

/// `aimsgate verify`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum VerifyError {
    /// Properties that do not parse.
    #[error("{0}")]
    #[diagnostic(code = "verify::properties")]
    Properties(String),
    /// The pack that cannot be compiled for the solver, or a solver that fails.
    #[error("{0}")]
    #[diagnostic(code = "verify::solver")]
    Solver(String),
}

/// `aimsgate init`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum InitError {
    /// A card that cannot take a governance block.
    #[error("{0}")]
    #[diagnostic(code = "init::file")]
    File(String),
    /// A file that would be overwritten (its path).
    #[error("{0} exists")]
    #[diagnostic(code = "init::exists")]
    Exists(String),
}

/// Attestations: keys, envelopes, statements and their subjects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum AttestError {
    /// A key that cannot be read, is encrypted, or is of an unsupported kind.
    #[error("{0}")]
    #[diagnostic(code = "attest::key")]
    Key(String),
    /// An envelope that is not DSSE JSON.
    #[error("{0}")]
    #[diagnostic(code = "attest::envelope")]
    Envelope(String),
    /// A signature that does not verify with the key.
    #[error("{0}")]
    #[diagnostic(code = "attest::signature")]
    Signature(String),
    /// A payload that is not an aimsgate VSA statement.
    #[error("{0}")]
    #[diagnostic(code = "attest::statement")]
    Statement(String),
    /// A subject file that cannot be hashed, or too many bytes to hash.
    #[error("{0}")]
    #[diagnostic(code = "attest::subject")]
    Subject(String),
}

/// What went wrong, by layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum Kind {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Io(#[from] IoError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Yaml(#[from] YamlError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Card(#[from] CardError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Pack(#[from] PackError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Eval(#[from] EvalError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Evidence(#[from] EvidenceError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Waiver(#[from] WaiverError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Record(#[from] RecordError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Test(#[from] TestError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Soa(#[from] SoaError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Arg(#[from] ArgError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Verify(#[from] VerifyError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Init(#[from] InitError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Attest(#[from] AttestError),
}

impl Kind {
    /// The stable code of this kind of error (`card::key`).
    pub fn code(&self) -> String {
        miette::Diagnostic::code(self)
            .map(|c| c.to_string())
            .unwrap_or_default()
    }

    /// The same kind with its sentence prefixed by `context`: `--changed-since main: `.
    #[must_use]
    pub fn context(self, context: &str) -> Kind {
        self.map(|m| format!("{context}{m}"))
    }

    /// The same kind with its sentence rewritten.
    #[must_use]
    pub fn map(self, f: impl FnOnce(String) -> String) -> Kind {
        macro_rules! each {
            ($($layer:ident($e:ident) => [$($v:ident),*]),* $(,)?) => {
                match self {
                    $(Kind::$layer(e) => Kind::$layer(match e {
                        $($e::$v(m) => $e::$v(f(m)),)*
                    }),)*
                }
            };
        }
        each!(
            Io(IoError) => [Read, Write, NotAFile, Link, TooLarge],
            Yaml(YamlError) => [Syntax, Limit, Tag],
            Card(CardError) => [FrontMatter, Encoding, Key, Value, Id, Missing],
            Pack(PackError) => [Syntax, Schema, Validation, Annotation, NoPermit, Lint],
            Eval(EvalError) => [Request, Policy],
            Evidence(EvidenceError) => [Git, Ref, Event, GitHub, Unavailable],
            Waiver(WaiverError) => [Field, Scope, Approval],
            Config(ConfigError) => [Key, Value, Place],
            Record(RecordError) => [Write, Note, Read],
            Test(TestError) => [Case],
            Soa(SoaError) => [Entry],
            Arg(ArgError) => [Value],
            Verify(VerifyError) => [Properties, Solver],
            Init(InitError) => [File, Exists],
            Attest(AttestError) => [Key, Envelope, Signature, Statement, Subject],
        )
    }
}

/// Something that could not be read or evaluated: what (its [`Kind`]) and where.
#[derive(Debug, Clone)]
pub struct InputError {
    /// The file it is about, relative to the repository root; `None` for argument errors.
    pub path: Option<String>,
    /// Where in that file, when known.
    pub span: Option<Span>,
    /// What went wrong (boxed: errors travel in `Result`s, which stay small).
    pub kind: Box<Kind>,
    /// How to fix it, when there is something useful to say.
    pub help: Option<Box<str>>,
    /// The file's text, so that a human rendering can quote it.
    pub source: Option<Arc<str>>,
}

impl InputError {
    /// An error about a whole file (or an argument, when `path` is `None`).
    pub fn new(path: Option<&str>, kind: impl Into<Kind>) -> Self {
        InputError {
            path: path.map(str::to_string),
            span: None,
            kind: Box::new(kind.into()),
            help: None,
            source: None,
        }
    }

    /// An error at a place in a file whose text is known.
    pub fn at(path: &str, source: &Arc<str>, span: Span, kind: impl Into<Kind>) -> Self {
        InputError {
            path: Some(path.to_string()),
            span: Some(span),
            kind: Box::new(kind.into()),
            help: None,
            source: Some(Arc::clone(source)),
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into().into_boxed_str());
        self
    }

    /// The sentence a person reads.
    pub fn message(&self) -> String {
        self.kind.to_string()
    }

    /// The stable code of its kind (`card::key`).
    pub fn code(&self) -> String {
        self.kind.code()
    }

    /// The 1-based line, when known.
    pub fn line(&self) -> Option<usize> {
        self.span.map(|s| s.start.line)
    }
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.path, self.line()) {
            (Some(p), Some(l)) => write!(f, "{p}:{l}: {}", self.kind),
            (Some(p), None) => write!(f, "{p}: {}", self.kind),
            (None, _) => write!(f, "{}", self.kind),
        }
    }
}

impl std::error::Error for InputError {}

impl miette::Diagnostic for InputError {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        miette::Diagnostic::code(&*self.kind)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help
            .as_deref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let span = self.span?;
        self.source.as_ref()?;
        Some(Box::new(std::iter::once(
            miette::LabeledSpan::new_primary_with_span(
                None,
                (
                    span.start.offset,
                    span.end.saturating_sub(span.start.offset),
                ),
            ),
        )))
    }
}

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
/// errors), placed at its first label in `source`; `kind` makes the sentence its kind.
pub fn from_diagnostic(
    path: &str,
    source: &Arc<str>,
    diag: &dyn miette::Diagnostic,
    context: &str,
    kind: fn(String) -> Kind,
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
        kind: Box::new(kind(message)),
        help: diag.help().map(|h| h.to_string().into_boxed_str()),
        source: Some(Arc::clone(source)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_code_of_its_layer() {
        let kinds: Vec<(Kind, &str)> = vec![
            (IoError::Read(String::new()).into(), "io::read"),
            (YamlError::Limit(String::new()).into(), "yaml::limit"),
            (CardError::Key(String::new()).into(), "card::key"),
            (PackError::NoPermit(String::new()).into(), "pack::no-permit"),
            (EvidenceError::Ref(String::new()).into(), "evidence::ref"),
            (WaiverError::Scope(String::new()).into(), "waiver::scope"),
            (RecordError::Note(String::new()).into(), "record::note"),
            (Kind::from(InitError::File(String::new())), "init::file"),
        ];
        for (kind, code) in kinds {
            assert_eq!(kind.code(), code);
        }
    }

    #[test]
    fn context_keeps_the_kind_and_prefixes_the_sentence() {
        let k = Kind::from(EvidenceError::Ref("no such ref".into())).context("--changed-since x: ");
        assert_eq!(
            k,
            Kind::Evidence(EvidenceError::Ref("--changed-since x: no such ref".into()))
        );
        assert_eq!(k.code(), "evidence::ref");
    }
}
