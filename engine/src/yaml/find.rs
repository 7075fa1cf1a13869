//! One value read from the event stream without building the tree: what `--changed-since`
//! needs of a card it does not judge is its id, and the tree of a card is most of its cost.
//!
//! The same parser reads it as [`super::parse`] does, so the two cannot disagree on what the
//! text says. The scan answers only when its answer is the tree's: it stops at the value it
//! looks for, which nothing later in a mapping can override (an explicit key wins over a
//! merge `<<`; a second key of the same name makes the document an error, never another
//! value), and it gives up — `None`, for the caller to read the whole document — on anything
//! that would need the tree's rules: an alias or anchor on the way, a tag, a key that is not
//! a plain string, a value that is not a string, nesting past the tree's bound, or a syntax
//! error (which the whole read reports at its line).

use saphyr_parser::Event;

use super::offsets::Offsets;
use super::scalar::resolve;
use super::{Limits, Origin, ScalarKind};
use crate::span::Span;

/// The string at `path` (keys from the root mapping down) of the YAML document `text`, and
/// where it stands, when the document's tree would certainly hold that same string there;
/// `None` when only reading the whole document can tell.
pub fn string_at(text: &str, origin: Origin, path: &[&str]) -> Option<(String, Span)> {
    let mut scan = Scan {
        source: super::Source::new(text),
        max_depth: Limits::default().max_depth,
    };
    if !matches!(scan.next()?, Event::StreamStart)
        || !matches!(scan.next()?, Event::DocumentStart(_))
    {
        return None;
    }
    let mut depth = 0;
    let mut wanted = path.iter();
    let mut key = wanted.next()?;
    // At the start of each turn the scan is inside a mapping, `depth` deep, looking for `key`.
    match scan.next()? {
        Event::MappingStart(0, None) => {}
        _ => return None,
    }
    loop {
        let found = match scan.next()? {
            Event::Scalar(k, _, 0, None) => k == **key,
            // The mapping ends without the key, or its key is not a plain string.
            _ => return None,
        };
        if !found {
            scan.skip(depth + 1)?;
            continue;
        }
        let (event, span) = scan.next_spanned()?;
        match wanted.next() {
            Some(next) => {
                let Event::MappingStart(0, None) = event else {
                    return None;
                };
                depth += 1;
                if depth >= scan.max_depth {
                    return None;
                }
                key = next;
            }
            None => {
                let Event::Scalar(value, style, 0, None) = event else {
                    return None;
                };
                let offsets = Offsets::new(text, origin);
                let span = offsets.span(&span);
                return match resolve(&value, style, None, span.start).ok()? {
                    ScalarKind::Str => Some((value.into_owned(), span)),
                    _ => None,
                };
            }
        }
    }
}

struct Scan<'a> {
    source: super::Source<'a>,
    max_depth: usize,
}

impl<'a> Scan<'a> {
    fn next_spanned(&mut self) -> Option<(Event<'a>, saphyr_parser::Span)> {
        self.source.next_event()?.ok()
    }

    fn next(&mut self) -> Option<Event<'a>> {
        self.next_spanned().map(|(e, _)| e)
    }

    /// Reads past one value (whatever it holds), `depth` deep.
    fn skip(&mut self, depth: usize) -> Option<()> {
        let mut open = 0usize;
        loop {
            match self.next()? {
                Event::MappingStart(..) | Event::SequenceStart(..) => {
                    open += 1;
                    if depth + open > self.max_depth {
                        return None;
                    }
                }
                Event::MappingEnd | Event::SequenceEnd => open = open.checked_sub(1)?,
                Event::Scalar(..) | Event::Alias(_) => {}
                _ => return None,
            }
            if open == 0 {
                return Some(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const ORIGIN: Origin = Origin { line: 1, offset: 0 };

    fn id(text: &str) -> Option<String> {
        string_at(text, ORIGIN, &["governance", "id"]).map(|(s, _)| s)
    }

    /// The value at governance.id in the whole tree, when the document reads.
    fn tree_id(text: &str) -> Option<String> {
        let root = super::super::parse(text, ORIGIN, Limits::default()).ok()??;
        let node = &root.get("governance")?.value.get("id")?.value;
        match &node.value {
            super::super::Value::Scalar {
                text,
                kind: ScalarKind::Str,
            } => Some(text.clone()),
            _ => None,
        }
    }

    #[test]
    fn the_scan_answers_only_with_what_the_tree_holds() {
        let cases = [
            "governance:\n  id: fraud\n",
            "a: [1, {b: c}]\nm: {x: y}\ngovernance:\n  owner: o\n  id: \"fraud\"\n",
            "governance: {id: 'fr''aud'}\n",
            "governance:\n  id: \"fr\\x61ud\"\n",
            "governance:\n  bias: &b {id: x}\n  id: fraud\n",
            // What the scan leaves to the whole read.
            "governance: &g\n  id: fraud\n",
            "base: &i fraud\ngovernance:\n  id: *i\n",
            "base: &g {id: fraud}\ngovernance:\n  <<: *g\n",
            "governance:\n  id: !!str fraud\n",
            "governance:\n  id: 12\n",
            "governance:\n  id: ~\n",
            "governance:\n  id: [a]\n",
            "governance: fraud\n",
            "? [a]\n: b\ngovernance:\n  id: fraud\n",
            "- governance\n",
            "governance:\n  owner: [unclosed\n  id: fraud\n",
            "",
        ];
        for text in cases {
            if let Some(found) = id(text) {
                assert_eq!(Some(found), tree_id(text), "{text:?}");
            }
        }
        assert_eq!(id(cases[0]).as_deref(), Some("fraud"));
        assert_eq!(id(cases[1]).as_deref(), Some("fraud"));
        assert_eq!(id(cases[2]).as_deref(), Some("fr'aud"));
        assert_eq!(id(cases[3]).as_deref(), Some("fraud"));
        assert_eq!(id(cases[4]).as_deref(), Some("fraud"));
        for text in &cases[5..] {
            assert_eq!(id(text), None, "{text:?}");
        }
    }

    #[test]
    fn the_span_is_the_values_in_the_file() {
        let text = "a: ü\ngovernance:\n  id: fraud\n";
        let (_, span) = string_at(
            text,
            Origin {
                line: 3,
                offset: 10,
            },
            &["governance", "id"],
        )
        .unwrap();
        assert_eq!(span.start.line, 5);
        assert_eq!(span.start.offset, 10 + text.find("fraud").unwrap());
    }

    #[test]
    fn nesting_past_the_trees_bound_is_left_to_the_whole_read() {
        let deep = format!(
            "a: {}{}\ngovernance:\n  id: fraud\n",
            "[".repeat(70),
            "]".repeat(70)
        );
        assert_eq!(id(&deep), None);
    }
}
