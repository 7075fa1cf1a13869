//! Whether a section's lines say something: the words that remain once comments, template
//! variables, bold labels, the template's placeholder and boilerplate sentences and words
//! that stand for nothing yet are taken out.
//!
//! Most lines are ASCII, and a section is told after its first few words: a line is read
//! without allocating, with its bytes told eight at a time where it is scanned whole; other
//! text goes through the same rules by characters.

use super::{Line, MIN_WORDS};

/// Sentences the template writes whatever the model: they say nothing of this one.
const BOILERPLATE: &[&str] = &[
    "use the code below to get started with the model.",
    "users (both direct and downstream) should be made aware of the risks, biases and limitations of the model.",
    "more information needed for further recommendations.",
    "this is the model card of a 🤗 transformers model that has been pushed on the hub. this model card has been automatically generated.",
    "[more information needed]",
    "more information needed",
];

/// A phrase of each [`BOILERPLATE`] sentence.
const BOILERPLATE_MARKS: &[&str] = &[
    "information needed",
    "use the code below",
    "should be made aware",
    "automatically generated",
];

/// Words that, opening a line, make it a note to write the text rather than the text.
const NOTE_WORDS: &[&str] = &["tbd", "tba", "todo", "fixme", "xxx", "placeholder", "wip"];

/// Words that stand for text not written yet.
const PLACEHOLDER_WORDS: &[&str] = &[
    "tbd",
    "tba",
    "todo",
    "fixme",
    "xxx",
    "n/a",
    "na",
    "none",
    "placeholder",
    "wip",
];

/// Runs that say nothing, by their opening and closing delimiters: HTML comments and template
/// variables (which may span lines), and bold labels (`**Developed by:**`, within one line).
const DELIMITERS: &[(&str, &str)] = &[("<!--", "-->"), ("{{", "}}"), ("{%", "%}"), ("**", "**")];

/// Whether `lines` say something: at least [`MIN_WORDS`] words outside headings, fences and
/// the runs and words that say nothing.
pub(super) fn says_something<'s>(lines: impl Iterator<Item = Line<'s>>) -> bool {
    let mut words = 0;
    // The closing delimiter of a comment or template variable still open from a line above.
    let mut inside: Option<&'static str> = None;
    let mut kept = String::new();
    let mut lower = String::new();
    for line in lines {
        if line.heading.is_some() || line.fence {
            continue;
        }
        let text = if line.code {
            // Code says what it says: `x ** 2` is not bold, `{{` may be a format string.
            line.text
        } else {
            strip_line(line.text, &mut inside, &mut kept)
        };
        words += count_words(text, MIN_WORDS - words, &mut lower);
        // Enough said: the rest of the section need not be read.
        if words >= MIN_WORDS {
            return true;
        }
    }
    false
}

/// `text` without its comments, template variables and bold labels: `text` itself when it
/// has none, else what remains, in `kept`. `inside` is the closing delimiter of a comment or
/// variable still open at the end of the line. One pass: openers are looked for only where
/// their first (ASCII) byte stands, so a line of 4 MiB of `{{}}` costs what its length does.
fn strip_line<'t>(
    text: &'t str,
    inside: &mut Option<&'static str>,
    kept: &'t mut String,
) -> &'t str {
    kept.clear();
    let bytes = text.as_bytes();
    // Bold closes on its own line, or it is not bold: a `**` is bold only before the last
    // one. Looked for when a line first has a `**`.
    let mut last_bold: Option<Option<usize>> = None;
    let mut i = 0;
    let mut from = 0;
    loop {
        if let Some(close) = *inside {
            match text[i..].find(close) {
                Some(j) => {
                    i += j + close.len();
                    from = i;
                    *inside = None;
                }
                None => return kept,
            }
        }
        // The first bytes of the `DELIMITERS`.
        let Some(at) = crate::bytes::first_of(bytes, i, [b'<', b'{', b'*']) else {
            break;
        };
        i = at;
        let rest = &text[i..];
        let opener = DELIMITERS.iter().find(|(open, _)| {
            rest.starts_with(open)
                && (*open != "**"
                    || last_bold
                        .get_or_insert_with(|| text.rfind("**"))
                        .is_some_and(|l| l >= i + 2))
        });
        match opener {
            Some((open, close)) => {
                kept.push_str(&text[from..i]);
                kept.push(' ');
                i += open.len();
                from = i;
                *inside = Some(close);
            }
            None => i += 1,
        }
    }
    if from == 0 {
        return text;
    }
    kept.push_str(&text[from..]);
    kept
}

/// The words of one line that stand for something, up to `most`: not the template's
/// placeholder or boilerplate, not `TBD`; `client.score(transaction)` is three words. `lower`
/// is room for the line in lower case.
fn count_words(text: &str, most: usize, lower: &mut String) -> usize {
    lower.clear();
    if text.is_ascii() {
        if !text.bytes().any(|b| b.is_ascii_alphanumeric()) {
            return 0;
        }
        // ASCII lowers byte for byte, as `to_lowercase` would, and its whitespace, letters
        // and digits are the ASCII ones (a vertical tab is whitespace to `char`, not to `u8`).
        lower.push_str(text);
        lower.make_ascii_lowercase();
        count_lowered(
            lower,
            most,
            |c| matches!(c, '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' '),
            |c| c.is_ascii_alphanumeric(),
        )
    } else {
        if !text.chars().any(char::is_alphanumeric) {
            return 0;
        }
        lower.push_str(&text.to_lowercase());
        count_lowered(lower, most, char::is_whitespace, char::is_alphanumeric)
    }
}

/// [`count_words`] of `lower`, a line in lower case, whose whitespace and letters and digits
/// `space` and `alnum` tell.
fn count_lowered(
    lower: &mut String,
    most: usize,
    space: impl Fn(char) -> bool + Copy,
    alnum: impl Fn(char) -> bool + Copy,
) -> usize {
    // `TODO: add numbers later` is a note to write the section, not the section.
    let first = lower
        .split(space)
        .map(|w| trimmed(w, alnum))
        .find(|w| !w.is_empty());
    if first.is_some_and(|w| NOTE_WORDS.contains(&w)) {
        return 0;
    }
    // Every boilerplate sentence holds one of these: a line with none holds none.
    if BOILERPLATE_MARKS.iter().any(|m| lower.contains(m)) {
        for b in BOILERPLATE {
            if lower.contains(b) {
                *lower = lower.replace(b, " ");
            }
        }
    }
    lower
        .split(space)
        .map(|w| trimmed(w, alnum))
        .filter(|w| !w.is_empty() && !PLACEHOLDER_WORDS.contains(w))
        .flat_map(|w| w.split(move |c: char| !alnum(c)))
        .filter(|w| !w.is_empty())
        .take(most)
        .count()
}

/// A word without the punctuation around it (a `/` kept: `n/a`).
fn trimmed(word: &str, alnum: impl Fn(char) -> bool) -> &str {
    word.trim_matches(|c: char| !alnum(c) && c != '/')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(text: &str, most: usize) -> usize {
        count_words(text, most, &mut String::new())
    }

    /// `count_words` looks for boilerplate only in lines holding one of its phrases: every
    /// sentence of it must hold one.
    #[test]
    fn every_boilerplate_sentence_holds_a_phrase_the_reader_looks_for() {
        for b in BOILERPLATE {
            assert!(BOILERPLATE_MARKS.iter().any(|m| b.contains(m)), "{b}");
            assert_eq!(count(b, usize::MAX), 0, "{b}");
            assert_eq!(count(&b.to_uppercase(), usize::MAX), 0, "{b}");
            let around = format!("Trained on {b} our zoo");
            assert_eq!(count(&around, usize::MAX), 4, "{around}");
        }
        assert_eq!(count("Trained on the MODEL zoo", usize::MAX), 5);
        assert_eq!(count("Trained on the MODEL zoo", 3), 3);
        // A vertical tab parts words, as `char::is_whitespace` has it.
        assert_eq!(count("one\u{b}two\u{c}three", usize::MAX), 3);
        assert_eq!(count("one\u{b}two é", usize::MAX), 3);
    }

    /// The rules as first written, a character at a time over a lowered copy of every line:
    /// what the reader above must agree with.
    mod reference {
        use super::super::*;

        pub(super) fn strip_line(text: &str, inside: &mut Option<&'static str>, kept: &mut String) {
            let bytes = text.as_bytes();
            let last_bold = text.rfind("**");
            let mut i = 0;
            let mut from = 0;
            while i < bytes.len() {
                if let Some(close) = *inside {
                    match text[i..].find(close) {
                        Some(j) => {
                            i += j + close.len();
                            from = i;
                            *inside = None;
                            continue;
                        }
                        None => return,
                    }
                }
                if matches!(bytes[i], b'<' | b'{' | b'*') {
                    let rest = &text[i..];
                    let opener = DELIMITERS.iter().find(|(open, _)| {
                        rest.starts_with(open)
                            && (*open != "**" || last_bold.is_some_and(|l| l >= i + 2))
                    });
                    if let Some((open, close)) = opener {
                        kept.push_str(&text[from..i]);
                        kept.push(' ');
                        i += open.len();
                        from = i;
                        *inside = Some(close);
                        continue;
                    }
                }
                i += 1;
            }
            kept.push_str(&text[from..]);
        }

        pub(super) fn count_words(text: &str, most: usize) -> usize {
            if !text.chars().any(char::is_alphanumeric) {
                return 0;
            }
            let mut lower = text.to_lowercase();
            let first = lower
                .split_whitespace()
                .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric() && c != '/'))
                .find(|w| !w.is_empty());
            if first.is_some_and(|w| NOTE_WORDS.contains(&w)) {
                return 0;
            }
            for b in BOILERPLATE {
                if lower.contains(b) {
                    lower = lower.replace(b, " ");
                }
            }
            lower
                .split_whitespace()
                .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric() && c != '/'))
                .filter(|w| !PLACEHOLDER_WORDS.contains(w))
                .flat_map(|w| w.split(|c: char| !c.is_alphanumeric()))
                .filter(|w| !w.is_empty())
                .take(most)
                .count()
        }
    }

    /// Pieces of lines: words, placeholders, the delimiters and their first bytes, boilerplate
    /// in three cases, whitespace of every kind, and characters whose lower case differs in
    /// length or kind.
    const PIECES: &[&str] = &[
        "Trained",
        "on",
        "the",
        "2025",
        "ledger",
        "TBD",
        "tbd:",
        "N/A",
        "n/a",
        "na",
        "None",
        "TODO:",
        "WIP",
        "x.y(z)",
        "client.score(transaction)",
        "/",
        "-",
        "--",
        "[",
        "]",
        "<!--",
        "-->",
        "<",
        "<!-",
        "{{",
        "}}",
        "{%",
        "%}",
        "{",
        "}",
        "%",
        "**",
        "*",
        "***",
        " ",
        " ",
        "  ",
        "\t",
        "\u{b}",
        "\u{c}",
        "\r",
        "\u{a0}",
        "\u{85}",
        "\u{2028}",
        "é",
        "É",
        "İ",
        "ǅ",
        "🤗",
        "ß",
        "Σ",
        "٣",
        "information",
        "needed",
        "Information Needed",
        "[More Information Needed]",
        "more information needed",
        "Use the code below to get started with the model.",
        "USE THE CODE BELOW TO GET STARTED WITH THE MODEL.",
        "should be made aware",
        "automatically generated",
        "Users (both direct and downstream) should be made aware of the risks, biases and limitations of the model.",
        "This is the model card of a 🤗 transformers model that has been pushed on the Hub. This model card has been automatically generated.",
        "More information needed for further recommendations.",
        "more[more information needed]information needed",
    ];

    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }

        fn line(&mut self, ascii: bool) -> String {
            let mut line = String::new();
            for _ in 0..self.below(14) {
                let piece = PIECES[self.below(PIECES.len())];
                if ascii && !piece.is_ascii() {
                    continue;
                }
                line.push_str(piece);
                if self.below(3) > 0 {
                    line.push(' ');
                }
            }
            line
        }
    }

    #[test]
    fn lines_are_told_as_the_rules_first_written_tell_them() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let (mut kept, mut lower, mut old_kept) = (String::new(), String::new(), String::new());
        let (mut stripped, mut counted) = (0, 0);
        for round in 0..60_000 {
            let line = rng.line(round % 2 == 0);
            let closes = [None, Some("-->"), Some("}}"), Some("%}")];
            let start = closes[rng.below(closes.len())];
            let (mut inside, mut old_inside) = (start, start);
            old_kept.clear();
            reference::strip_line(&line, &mut old_inside, &mut old_kept);
            let new = strip_line(&line, &mut inside, &mut kept);
            assert_eq!(
                (new, inside),
                (old_kept.as_str(), old_inside),
                "{line:?} from {start:?}"
            );
            stripped += usize::from(new != line);
            for most in [1, 2, 3, usize::MAX] {
                let n = count_words(&line, most, &mut lower);
                assert_eq!(
                    n,
                    reference::count_words(&line, most),
                    "{line:?} up to {most}"
                );
                counted += usize::from(n > 0);
            }
        }
        // The lines exercised both sides of each rule.
        assert!(stripped > 3_000 && stripped < 57_000, "{stripped}");
        assert!(counted > 30_000 && counted < 225_000, "{counted}");
    }
}
