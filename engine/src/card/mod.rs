//! Model cards: a Markdown file with YAML front matter (Hugging Face style) or a standalone
//! `model-card.yaml|yml|json`, read into a typed view that remembers where every value stands.
//!
//! The reader knows nothing of Cedar. It answers two questions: what the card says (the typed
//! [`Governance`] and [`HubMetadata`]), and where a key path points ([`Card::locate`]).

pub mod body;
mod bound;
mod decimal;
pub mod field;
pub mod frontmatter;
pub mod governance;
mod identity;
pub mod ids;
pub mod keys;
pub mod lifecycle;
mod locate;

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

pub use field::{FieldPath, Segment, Selector};
pub use governance::{Governance, HubMetadata};
pub use identity::{Identity, identify, identity_of};
pub use keys::Keys;
pub use locate::Located;

use crate::error::{CardError, InputError, IoError, Kind};
use crate::span::{Pos, Span};
use crate::yaml::{self, Limits, Node, Origin, Value};

/// The largest card file read; a larger one is an error.
pub const MAX_CARD_BYTES: u64 = 4 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Yaml,
    Json,
}

impl Format {
    /// The format a file name implies: `.json`, `.yaml`/`.yml`, anything else Markdown.
    pub fn of(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("json") => Format::Json,
            Some(e) if e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml") => {
                Format::Yaml
            }
            _ => Format::Markdown,
        }
    }
}

/// A model card, read.
#[derive(Debug, Clone)]
pub struct Card {
    /// Path relative to the repository root, with `/` separators.
    pub path: String,
    pub source: Arc<str>,
    pub format: Format,
    /// The front matter or document: a mapping, or `None` for Markdown without front matter.
    pub root: Option<Node>,
    /// Where a finding about the card as a whole points: the opening `---`, or the first line.
    pub anchor: Span,
    /// `governance.id`, or the name of the card's folder.
    pub model_id: String,
    pub governance: Governance,
    pub hub: HubMetadata,
    /// The Hugging Face template sections of a Markdown card's body, first heading first.
    pub sections: Vec<body::Found>,
}

/// Reads the card at `file` (shown as `path`). `explicit` is true for a file named on the
/// command line: then a Markdown file is a card even without a `governance` block. For a
/// discovered Markdown file without one, `Ok(None)`: it is not a card.
pub fn load(
    file: &Path,
    path: &str,
    explicit: bool,
    keys: &Keys,
) -> Result<Option<Card>, Vec<InputError>> {
    Ok(from_bytes(read_bytes(file, path)?, file, path, explicit, keys)?.ok())
}

/// The bytes of the card file at `file` (shown as `path`), up to one byte past the size bound.
pub fn read_bytes(file: &Path, path: &str) -> Result<Vec<u8>, Vec<InputError>> {
    let one = |m: String| vec![InputError::new(Some(path), IoError::Read(m))];
    let f = std::fs::File::open(file).map_err(|e| one(format!("cannot open the card: {e}")))?;
    // Sized from the file's length, so it is read without growing the buffer.
    let size = f.metadata().map_or(0, |m| m.len()).min(MAX_CARD_BYTES + 1);
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0) + 1);
    f.take(MAX_CARD_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| one(format!("cannot read the card: {e}")))?;
    Ok(bytes)
}

/// Whether bytes look like UTF-16 text: a UTF-16 byte-order mark, or ASCII with a NUL beside
/// every character.
fn looks_utf16(bytes: &[u8]) -> bool {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return true;
    }
    let head = &bytes[..bytes.len().min(64) & !1];
    head.len() >= 8
        && (head.iter().step_by(2).all(|b| *b == 0)
            || head.iter().skip(1).step_by(2).all(|b| *b == 0))
}

/// The text of the card file `file` (shown as `path`) from its bytes, held to the card
/// limits; a file that cannot be a card is handed back as `Err` with its bytes.
pub(super) fn text_of(
    bytes: Vec<u8>,
    file: &Path,
    path: &str,
    explicit: bool,
) -> Result<Result<String, Vec<u8>>, Vec<InputError>> {
    let one = |k: Kind| vec![InputError::new(Some(path), k)];
    let format = Format::of(file);
    // A discovered Markdown file is held to the card limits only if it may be a card: a huge
    // or binary document page without governance front matter is simply not a card.
    let may_be_card =
        |bytes: &[u8]| explicit || format != Format::Markdown || may_carry_governance(bytes);
    if bytes.len() as u64 > MAX_CARD_BYTES {
        if !may_be_card(&bytes) {
            return Ok(Err(bytes));
        }
        return Err(one(IoError::TooLarge(format!(
            "the card is larger than {} MiB; a model card that large is refused rather than read",
            MAX_CARD_BYTES / (1024 * 1024)
        ))
        .into()));
    }
    if looks_utf16(&bytes) && may_be_card(&bytes) {
        return Err(one(
            CardError::Encoding("the card is UTF-16 text, and cards are read as UTF-8: is it checked out with a `working-tree-encoding` (.gitattributes)? Git and GitHub show its UTF-8 blob, so it must be read as that".into()).into(),
        ));
    }
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) if !may_be_card(e.as_bytes()) => return Ok(Err(e.into_bytes())),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let line = e.as_bytes()[..valid]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1;
            return Err(one(CardError::Encoding(format!(
                "line {line}: the card is not valid UTF-8 (byte {valid})"
            ))
            .into()));
        }
    };
    if text.contains('\0') && !may_be_card(text.as_bytes()) {
        return Ok(Err(text.into_bytes()));
    }
    Ok(Ok(text))
}

/// Parses the bytes of the card file `file` (shown as `path`). See [`load`]. A file that is
/// not a card is handed back as `Err` with its bytes, for whoever needs to know more of them.
pub fn from_bytes(
    bytes: Vec<u8>,
    file: &Path,
    path: &str,
    explicit: bool,
    keys: &Keys,
) -> Result<Result<Card, Vec<u8>>, Vec<InputError>> {
    let source: Arc<str> = match text_of(bytes, file, path, explicit)? {
        Ok(text) => Arc::from(text),
        Err(bytes) => return Ok(Err(bytes)),
    };
    let fallback_id = folder_name(file);
    Ok(parse(
        path,
        Arc::clone(&source),
        Format::of(file),
        explicit,
        &fallback_id,
        keys,
    )?
    .ok_or_else(|| source.as_bytes().to_vec()))
}

/// Keys of a front matter that only a Hugging Face model card carries: a Markdown file whose
/// front matter has one is a model card, with or without a `governance` block.
pub const MODEL_CARD_KEYS: &[&str] = &["model-index", "base_model", "library_name", "pipeline_tag"];

/// Whether the start of a Markdown file opens a front matter (closed or not): then it may be
/// a card, and it is held to the card limits — too large, not UTF-8 or holding a NUL is an
/// error, never "not a card". What the front matter says cannot be known without reading it
/// whole (a key may be spelled with an escape, `"go\x76ernance"`), so any front matter counts.
fn may_carry_governance(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1 << 20)]);
    // UTF-16 text (a `working-tree-encoding` checkout) reads as ASCII with NULs between.
    let head = if head.contains('\0') {
        std::borrow::Cow::Owned(head.replace('\0', ""))
    } else {
        head
    };
    !matches!(frontmatter::find(&head), Ok(None))
}

pub(super) fn folder_name(file: &Path) -> String {
    let parent = file.parent().filter(|p| !p.as_os_str().is_empty());
    let named = parent
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy());
    match named {
        Some(n) if n != "." && n != ".." => n.into_owned(),
        _ => parent
            .unwrap_or(Path::new("."))
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "model".to_string()),
    }
}

/// Characters that YAML 1.1 readers (Hugging Face's tooling among them) end a line at and
/// YAML 1.2 does not: the same front matter could then hold a governance block for one reader
/// and a comment for another, so a card holding one is refused.
pub(super) const LINE_SEPARATORS: [char; 3] = ['\u{85}', '\u{2028}', '\u{2029}'];

/// Where the first of [`LINE_SEPARATORS`] stands in `text`: none in ASCII text, which is
/// told a word at a time rather than a character at a time.
pub(super) fn find_line_separator(text: &str) -> Option<usize> {
    if text.is_ascii() {
        return None;
    }
    text.find(LINE_SEPARATORS)
}

/// The YAML of a card's text (its front matter, or the whole of a YAML or JSON card), where
/// it starts in the file, and where a finding about the card as a whole points. `Ok(None)`
/// for Markdown without front matter.
pub(super) fn yaml_of(
    source: &str,
    format: Format,
) -> Result<Option<(&str, Origin, Span)>, frontmatter::Unclosed> {
    match format {
        Format::Markdown => Ok(frontmatter::find(source)?.map(|fm| {
            (
                &source[fm.yaml_start..fm.yaml_end],
                Origin {
                    line: fm.yaml_line,
                    offset: fm.yaml_start,
                },
                fm.open,
            )
        })),
        Format::Yaml | Format::Json => {
            let from = if source.starts_with('\u{feff}') { 3 } else { 0 };
            Ok(Some((
                &source[from..],
                Origin {
                    line: 1,
                    offset: from,
                },
                first_line(source, from),
            )))
        }
    }
}

/// Parses a card's text. See [`load`].
pub fn parse(
    path: &str,
    source: Arc<str>,
    format: Format,
    explicit: bool,
    fallback_id: &str,
    keys: &Keys,
) -> Result<Option<Card>, Vec<InputError>> {
    if source.contains('\0') {
        let line = source[..source.find('\0').unwrap_or(0)]
            .matches('\n')
            .count()
            + 1;
        return Err(vec![InputError::new(
            Some(path),
            CardError::Encoding(format!(
                "line {line}: the card contains a NUL byte; it is not a text file"
            )),
        )]);
    }
    let err = |span: Span, k: Kind| vec![InputError::at(path, &source, span, k)];
    let (yaml_text, origin, anchor) = match yaml_of(&source, format) {
        Ok(Some(found)) => found,
        Ok(None) if explicit => {
            let anchor = first_line(&source, 0);
            let body = (format == Format::Markdown).then_some(0);
            return Ok(Some(card(
                path,
                &source,
                format,
                None,
                anchor,
                fallback_id,
                keys,
                body,
            )?));
        }
        Ok(None) => return Ok(None),
        Err(unclosed) => {
            return Err(err(
                unclosed.open,
                CardError::FrontMatter(
                    "the front matter opened here is never closed by a `---` line".into(),
                )
                .into(),
            ));
        }
    };
    if let Some(at) = find_line_separator(yaml_text) {
        let offset = origin.offset + at;
        let c = yaml_text[at..].chars().next().unwrap_or(' ');
        return Err(err(
            crate::error::span_of(&source, offset, c.len_utf8()),
            CardError::Encoding(format!(
                "the front matter holds a Unicode line separator (U+{:04X}), which YAML readers disagree on: one ends a line there, another does not",
                c as u32
            ))
            .into(),
        ));
    }
    let root = match yaml::parse(yaml_text, origin, Limits::default()) {
        Ok(root) => root,
        // A front matter that does not parse may be a card's (its keys cannot be known): an
        // error, never "not a card".
        Err(e) => {
            let span = Span {
                start: e.pos,
                end: e.pos.offset + 1,
            };
            return Err(err(span, e.kind.into()));
        }
    };
    let root = match root {
        None => None,
        Some(node) if matches!(node.value, Value::Map(_)) => Some(node),
        Some(node) => {
            let what = if format == Format::Markdown {
                "the front matter"
            } else {
                "the card"
            };
            return Err(err(
                first_line(&source, node.span.start.offset),
                CardError::FrontMatter(format!(
                    "{what} must be a mapping of keys to values, found {}",
                    node.type_name()
                ))
                .into(),
            ));
        }
    };
    if format == Format::Markdown && !explicit && !root.as_ref().is_some_and(is_card_front_matter) {
        return Ok(None);
    }
    // A Markdown card's body starts on the line after the closing `---`.
    let body = (format == Format::Markdown).then(|| {
        let closing = origin.offset + yaml_text.len();
        source[closing..]
            .find('\n')
            .map_or(source.len(), |i| closing + i + 1)
    });
    Ok(Some(card(
        path,
        &source,
        format,
        root,
        anchor,
        fallback_id,
        keys,
        body,
    )?))
}

/// Whether a Markdown file's front matter makes it a card: it has `governance`, a key that
/// resembles it (an error then, never "not a card"), or a key only a model card carries.
fn is_card_front_matter(root: &Node) -> bool {
    let Value::Map(entries) = &root.value else {
        return false;
    };
    entries.iter().any(|e| {
        e.key == "governance"
            || keys::resembles(&e.key, "governance")
            || MODEL_CARD_KEYS.contains(&e.key.as_str())
    })
}

#[allow(clippy::too_many_arguments)]
fn card(
    path: &str,
    source: &Arc<str>,
    format: Format,
    root: Option<Node>,
    anchor: Span,
    fallback_id: &str,
    keys: &Keys,
    body: Option<usize>,
) -> Result<Card, Vec<InputError>> {
    let (governance, hub) = governance::read(root.as_ref(), keys).map_err(|errors| {
        errors
            .into_iter()
            .map(|(span, m)| InputError::at(path, source, span, m))
            .collect::<Vec<_>>()
    })?;
    // A Markdown card's documentation is its body, which the Hub shows; a copy in the front
    // matter would let the body say nothing while the gates read the copy.
    if body.is_some()
        && let Some(docs) = root
            .as_ref()
            .and_then(|r| r.get("governance"))
            .and_then(|g| g.value.get("documentation"))
    {
        return Err(vec![InputError::at(
            path,
            source,
            docs.key_span,
            CardError::Key(
                "`governance.documentation` is for YAML and JSON cards: a Markdown card documents itself in its body".into(),
            ),
        )
        .with_help("write the sections as headings of the card's body (`## Training Details`, `## Evaluation`, `## How to Get Started with the Model`, `## Bias, Risks, and Limitations`) and remove `documentation` from the front matter")]);
    }
    let model_id = governance
        .id
        .clone()
        .unwrap_or_else(|| fallback_id.to_string());
    if let Some(why) = invalid_id(&model_id) {
        let (span, whose) = match root
            .as_ref()
            .and_then(|r| r.get("governance"))
            .and_then(|g| g.value.get("id"))
        {
            Some(id) => (id.value.span, "`governance.id`".to_string()),
            None => (
                anchor,
                "the model id (the card's folder name, as it sets no `governance.id`)".to_string(),
            ),
        };
        return Err(vec![
            InputError::at(
                path,
                source,
                span,
                CardError::Id(format!("{whose} `{}` is not a valid model id: {why}", keys::escape(&model_id))),
            )
            .with_help("a model id is letters, digits, `.`, `_`, `-` and `/`, at most 128 characters: set `governance.id`"),
        ]);
    }
    Ok(Card {
        path: path.to_string(),
        source: Arc::clone(source),
        format,
        root,
        anchor,
        model_id,
        governance,
        hub,
        sections: body.map_or_else(Vec::new, |from| body::sections(source, from)),
    })
}

/// The error on the card at `path` whose model id `id` is also the id of the card at `first`,
/// with what the ambiguity would cost (`why`); quoted when the card's text is at hand.
pub fn duplicate_id(
    path: &str,
    source: Option<&Arc<str>>,
    anchor: Span,
    id: &str,
    first: &str,
    why: &str,
) -> InputError {
    InputError {
        path: Some(path.to_string()),
        span: Some(anchor),
        kind: Box::new(
            CardError::Id(format!(
                "model id `{id}` is also the id of `{first}`: {why}"
            ))
            .into(),
        ),
        help: None,
        source: source.cloned(),
    }
    .with_help("give each model a distinct `governance.id`")
}

/// The longest model id.
pub const MAX_ID_CHARS: usize = 128;

/// Why `id` is not a model id, if it is not one: a model id is a strict token of letters, digits, `.`, `_`, `-` and `/`, at
/// most [`MAX_ID_CHARS`] long. Ids are shown in every output, logs and the action's outputs; a
/// line break or an invisible character in one would let a card's author write lines of
/// their own choosing there.
pub fn invalid_id(id: &str) -> Option<String> {
    if id.is_empty() {
        return Some("it is empty".into());
    }
    if id.chars().count() > MAX_ID_CHARS {
        return Some(format!("it is longer than {MAX_ID_CHARS} characters"));
    }
    id.chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '/')))
        .map(|c| {
            format!(
                "`{}` (U+{:04X}) is not allowed in it",
                keys::escape(&c.to_string()),
                c as u32
            )
        })
}

/// A card whose front matter is `root`, a mapping taken from another YAML document (a policy
/// test's inline card): spans point into that document, shown as `path`.
pub fn from_node(
    path: &str,
    source: &Arc<str>,
    root: Node,
    model_id: &str,
    keys: &Keys,
) -> Result<Card, Vec<InputError>> {
    let anchor = Span {
        start: root.span.start,
        end: root.span.start.offset + 1,
    };
    card(
        path,
        source,
        Format::Yaml,
        Some(root),
        anchor,
        model_id,
        keys,
        None,
    )
}

/// The span of the first non-blank line at or after `from` (the whole card's anchor).
pub(super) fn first_line(source: &str, from: usize) -> Span {
    let mut offset = from;
    let mut line = source[..from].matches('\n').count() + 1;
    for l in source[from..].split_inclusive('\n') {
        let content = l.trim_end_matches(['\n', '\r']);
        if !content.trim().is_empty() {
            let lead = content.len() - content.trim_start().len();
            return Span {
                start: Pos {
                    line,
                    col: lead + 1,
                    offset: offset + lead,
                },
                end: offset + content.trim_end().len(),
            };
        }
        offset += l.len();
        line += 1;
    }
    Span {
        start: Pos {
            line,
            col: 1,
            offset: from,
        },
        end: from,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    /// Each separator is found where it stands, after other non-ASCII text too; ASCII text and
    /// non-ASCII text without one hold none.
    #[test]
    fn line_separators_are_found_wherever_they_stand() {
        assert_eq!(find_line_separator("owner: x\nrisk_tier: high\n"), None);
        assert_eq!(find_line_separator("owner: Zoë — ß\n"), None);
        for sep in LINE_SEPARATORS {
            for before in ["a: 1", "a: é", ""] {
                let text = format!("{before}{sep}b: 2");
                assert_eq!(find_line_separator(&text), Some(before.len()), "{text:?}");
            }
        }
    }

    fn md(text: &str) -> Card {
        parse(
            "m/README.md",
            Arc::from(text),
            Format::Markdown,
            true,
            "m",
            &Keys::engine(),
        )
        .unwrap()
        .unwrap()
    }

    fn errors(text: &str, format: Format) -> Vec<InputError> {
        parse(
            "m/card",
            Arc::from(text),
            format,
            true,
            "m",
            &Keys::engine(),
        )
        .unwrap_err()
    }

    const CARD: &str = "---\nlicense: mit\ngovernance:\n  owner: \"@a\"\n  impact_assessment:\n    status: in_progress\n  bias_tests:\n    results:\n      - metric: dpd\n        value: 0.2\n        threshold: 0.1\n      - metric: di\n        value: 0.9\n        threshold: 0.8\n        direction: at_least\n---\n# Card\n";

    #[test]
    fn locates_values_missing_fields_and_selected_items() {
        let card = md(CARD);
        let at = |p: &str| card.locate(&FieldPath::parse(p).unwrap());
        let status = at("governance.impact_assessment.status");
        assert_eq!(status.span.start.line, 6);
        assert_eq!(
            status.state.as_deref(),
            Some("`governance.impact_assessment.status` is `in_progress`")
        );
        let approved = at("governance.impact_assessment.approved_on");
        assert_eq!(approved.span.start.line, 5);
        assert_eq!(
            approved.state.as_deref(),
            Some("`governance.impact_assessment.approved_on` is missing")
        );
        let data = at("governance.data.sources[without_provenance]");
        assert_eq!(data.span.start.line, 3);
        assert_eq!(data.state.as_deref(), Some("`governance.data` is missing"));
        let failing = at("governance.bias_tests.results[failing]");
        assert_eq!(failing.span.start.line, 10);
        assert_eq!(
            failing.state.as_deref(),
            Some("`governance.bias_tests.results`: dpd = 0.2 (|value| must be at most 0.1)")
        );
        assert!(failing.related.is_empty());
    }

    #[test]
    fn a_card_without_front_matter_points_at_line_one() {
        let card = md("\n# Just a title\n");
        let owner = card.locate(&FieldPath::parse("governance.owner").unwrap());
        assert_eq!(owner.span.start.line, 2);
        assert_eq!(owner.state.as_deref(), Some("`governance` is missing"));
    }

    #[test]
    fn discovered_markdown_without_governance_is_not_a_card() {
        let text: Arc<str> = Arc::from("---\ntitle: docs\n---\n");
        assert!(
            parse("d.md", text, Format::Markdown, false, "d", &Keys::engine())
                .unwrap()
                .is_none()
        );
        // A front matter that does not parse may hide any key: it is an error, not "no card".
        let broken: Arc<str> = Arc::from("---\ntitle: [docs\n---\n");
        assert!(
            parse(
                "d.md",
                broken,
                Format::Markdown,
                false,
                "d",
                &Keys::engine()
            )
            .is_err()
        );
        let escaped: Arc<str> =
            Arc::from("---\n\"go\\x76ernance\": {owner: x}\nwhen: !!timestamp 2026-01-01\n---\n");
        assert!(
            parse(
                "d.md",
                escaped,
                Format::Markdown,
                false,
                "d",
                &Keys::engine()
            )
            .is_err()
        );
        let separated: Arc<str> =
            Arc::from("---\nlicense: mit # a\u{2028}governance: {owner: x}\n---\n");
        let e = parse(
            "d.md",
            separated,
            Format::Markdown,
            false,
            "d",
            &Keys::engine(),
        )
        .unwrap_err();
        assert!(matches!(*e[0].kind, Kind::Card(CardError::Encoding(_))));
        assert!(e[0].message().contains("U+2028"), "{}", e[0].message());
        let broken_gov: Arc<str> = Arc::from("---\ngovernance: [docs\n---\n");
        assert!(
            parse(
                "d.md",
                broken_gov,
                Format::Markdown,
                false,
                "d",
                &Keys::engine()
            )
            .is_err()
        );
    }

    #[test]
    fn a_choice_spelled_with_a_hyphen_gets_the_underscored_one() {
        let e = errors(
            "governance:\n  bias_tests:\n    results:\n      - {metric: x, value: 0.9, threshold: 0.8, direction: at-least}\n",
            Format::Yaml,
        );
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].message().contains("(did you mean `at_least`?)"),
            "{}",
            e[0].message()
        );
    }

    #[test]
    fn type_errors_name_their_lines() {
        let e = errors(
            "governance:\n  owner: [a]\n  risk_tier: High\n  impact_assessment:\n    approved_on: last week\n  bias_tests:\n    results:\n      - metric: x\n        value: .nan\n        threshold: 0.1\n",
            Format::Yaml,
        );
        assert!(e.iter().all(|e| e.code() == "card::value"), "{e:?}");
        let lines: Vec<(Option<usize>, String)> =
            e.iter().map(|e| (e.line(), e.message())).collect();
        assert_eq!(lines.len(), 4, "{lines:?}");
        assert_eq!(lines[0].0, Some(2));
        assert!(
            lines[0]
                .1
                .contains("`owner` must be a string, found a list")
        );
        assert_eq!(lines[1].0, Some(3));
        assert!(lines[1].1.contains("did you mean `high`?"));
        assert_eq!(lines[2].0, Some(5));
        assert!(lines[2].1.contains("is not a date"));
        assert_eq!(lines[3].0, Some(9));
        assert!(lines[3].1.contains("finite number"));
    }

    #[test]
    fn front_matter_that_is_a_list_is_an_error() {
        let e = errors("---\n- a\n- b\n---\n", Format::Markdown);
        assert_eq!(e[0].line(), Some(2));
        assert_eq!(e[0].code(), "card::front-matter");
        assert!(e[0].message().contains("must be a mapping"));
    }

    #[test]
    fn blank_text_is_absent_and_versions_keep_their_text() {
        let card = md(
            "---\ngovernance:\n  owner: '   '\n  version: 2.10\n  intended_use: \"  Score it  \"\n---\n",
        );
        assert_eq!(card.governance.owner, None);
        assert_eq!(card.governance.version.as_deref(), Some("2.10"));
        assert_eq!(card.governance.intended_use.as_deref(), Some("Score it"));
    }
}
