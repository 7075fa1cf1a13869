//! Finds the YAML front matter of a Markdown model card, as Hugging Face writes it.
//!
//! An optional byte-order mark, any number of blank lines, a `---` line, the YAML, and the first
//! following line that is exactly `---` (trailing white space and CR allowed) closes it.

use crate::span::{Pos, Span};

/// Where the front matter stands in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrontMatter {
    /// The opening `---` line.
    pub open: Span,
    /// Byte range of the YAML between the delimiters.
    pub yaml_start: usize,
    pub yaml_end: usize,
    /// File line (1-based) of the YAML's first line.
    pub yaml_line: usize,
}

/// A front matter that opens and never closes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unclosed {
    pub open: Span,
}

/// Lines of `text` as (byte start, byte end without the line break, 1-based number).
fn lines(text: &str, from: usize) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
    let mut start = from;
    let mut number = 0;
    std::iter::from_fn(move || {
        if start >= text.len() {
            return None;
        }
        number += 1;
        let rest = &text[start..];
        let (len, next) = match rest.find('\n') {
            Some(i) => (i, start + i + 1),
            None => (rest.len(), text.len()),
        };
        let mut end = start + len;
        if text[start..end].ends_with('\r') {
            end -= 1;
        }
        let line = (start, end, number);
        start = next;
        Some(line)
    })
}

/// Finds the front matter; `Ok(None)` when the file has none.
pub fn find(text: &str) -> Result<Option<FrontMatter>, Unclosed> {
    let mut it = lines(text, if text.starts_with('\u{feff}') { 3 } else { 0 });
    let Some(open) = opening(text, &mut it) else {
        return Ok(None);
    };
    // The YAML starts on the line after the opening one; a line that closes it starts with
    // `---`, so only the lines that do (a search for "\n---") are looked at.
    let Some((yaml_start, _, yaml_line)) = it.next() else {
        return Err(Unclosed { open });
    };
    let mut at = yaml_start;
    if !text[at..].starts_with("---") {
        at = next_dashes(text, at).ok_or(Unclosed { open })?;
    }
    loop {
        let rest = &text[at..];
        let mut line = rest.find('\n').map_or(rest, |i| &rest[..i]);
        line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim_end() == "---" {
            return Ok(Some(FrontMatter {
                open,
                yaml_start,
                yaml_end: at,
                yaml_line,
            }));
        }
        at = next_dashes(text, at).ok_or(Unclosed { open })?;
    }
}

/// The opening `---` line, after blank ones; `None` when the first other line is not one.
fn opening(text: &str, it: &mut impl Iterator<Item = (usize, usize, usize)>) -> Option<Span> {
    for (s, e, n) in it {
        let line = &text[s..e];
        if line.trim().is_empty() {
            continue;
        }
        if line.trim() != "---" {
            return None;
        }
        let col = line.len() - line.trim_start().len();
        return Some(Span {
            start: Pos {
                line: n,
                col: col + 1,
                offset: s + col,
            },
            end: s + col + 3,
        });
    }
    None
}

/// The start of the first line after the one at `from` that begins with `---`.
fn next_dashes(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at = from;
    loop {
        let start = crate::bytes::first_of(bytes, at, [b'\n'])? + 1;
        if bytes[start..].starts_with(b"---") {
            return Some(start);
        }
        at = start;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The front matter as the reading before the search for "\n---" found it: every line
    /// after the opening one, in turn.
    fn line_by_line(text: &str) -> Result<Option<FrontMatter>, Unclosed> {
        let mut it = lines(text, if text.starts_with('\u{feff}') { 3 } else { 0 });
        let Some(open) = opening(text, &mut it) else {
            return Ok(None);
        };
        let mut yaml_start = None;
        for (s, e, n) in it {
            let first = *yaml_start.get_or_insert((s, n));
            if text[s..e].trim_end() == "---" {
                return Ok(Some(FrontMatter {
                    open,
                    yaml_start: first.0,
                    yaml_end: s,
                    yaml_line: first.1,
                }));
            }
        }
        Err(Unclosed { open })
    }

    /// The search finds what reading every line finds, on texts built of awkward lines: a
    /// closing line with trailing blanks, CR or a Unicode space, lines that start with `---`
    /// and go on, indented ones, no final line break, CRLF, a byte-order mark.
    #[test]
    fn the_search_finds_what_reading_every_line_finds() {
        let pieces = [
            "---",
            "--- ",
            "---\r",
            "---\u{3000}",
            "---x",
            "----",
            " ---",
            "a: 1",
            "",
            "\r",
            "a: ---",
            "#---",
            "--- # c",
            "\t---",
            "…",
            "------",
            "---\u{3000}x",
            "--- ---",
        ];
        let mut compared = 0;
        for open in ["---", "\u{feff}---", "\n  \n---", "--- ", "# t"] {
            for a in pieces {
                for b in pieces {
                    for sep in ["\n", "\r\n"] {
                        for end in ["", sep] {
                            let text = format!("{open}{sep}{a}{sep}{b}{end}");
                            assert_eq!(find(&text), line_by_line(&text), "{text:?}");
                            compared += 1;
                        }
                    }
                }
            }
        }
        assert!(compared > 5000, "{compared}");
    }

    fn yaml(text: &str) -> (&str, usize) {
        let fm = find(text).unwrap().unwrap();
        (&text[fm.yaml_start..fm.yaml_end], fm.yaml_line)
    }

    #[test]
    fn plain_front_matter() {
        assert_eq!(yaml("---\na: 1\n---\n# Title\n"), ("a: 1\n", 2));
    }

    #[test]
    fn bom_crlf_and_leading_blank_lines() {
        let text = "\u{feff}\r\n  \r\n---\r\na: 1\r\nb: 2\r\n---  \r\nbody\r\n";
        assert_eq!(yaml(text), ("a: 1\r\nb: 2\r\n", 4));
        assert_eq!(find(text).unwrap().unwrap().open.start.line, 3);
    }

    #[test]
    fn the_first_closing_line_ends_it() {
        assert_eq!(
            yaml("---\na: |\n  ---\n---\nb\n---\n"),
            ("a: |\n  ---\n", 2)
        );
    }

    #[test]
    fn empty_front_matter() {
        assert_eq!(yaml("---\n---\n"), ("", 2));
    }

    #[test]
    fn no_front_matter() {
        assert_eq!(find("# Title\n---\na: 1\n---\n").unwrap(), None);
        assert_eq!(find("").unwrap(), None);
    }

    #[test]
    fn unclosed_front_matter() {
        let e = find("\n---\na: 1\n").unwrap_err();
        assert_eq!(e.open.start.line, 2);
    }
}
