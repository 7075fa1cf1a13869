//! The Markdown body of a card: which sections of the Hugging Face model card template it has,
//! where their headings stand, and whether each says something or holds only the template's
//! placeholder text.
//!
//! The rules, set from real Hugging Face cards (the template's own output, `Trainer`'s
//! generated cards, hand-written ones):
//! - A section is an ATX heading (`#` to `######`) outside fenced code and everything up to the
//!   next heading of the same or a higher level, its subsections included.
//! - A heading names a template section by its words, case and punctuation aside, with the
//!   template's `[optional]` dropped: `## Training Details`, `## Training procedure`,
//!   `## Bias, Risks, and Limitations`, `## How to use`, `## Evaluation results`, ….
//!   `## Intended uses & limitations` names both the uses and the limitations.
//! - A section is documented when, with HTML comments, template variables (`{{ … }}`,
//!   `{% … %}`), subheadings, bold labels (`**Developed by:**`), the template's placeholder
//!   (`[More Information Needed]`, `More information needed`) and boilerplate sentences, and
//!   words that stand for nothing yet (`TBD`, `TODO`, `N/A`, …) taken out, at least
//!   [`MIN_WORDS`] words remain. Code in a fenced block counts: a usage example is content.

use crate::span::{Pos, Span};

mod words;

use words::says_something;

/// The template sections the reader recognises, by the name the gates and the schema use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Section {
    ModelDetails,
    Uses,
    BiasRisksLimitations,
    HowToGetStarted,
    TrainingDetails,
    Evaluation,
}

impl Section {
    pub const ALL: [Section; 6] = [
        Section::ModelDetails,
        Section::Uses,
        Section::BiasRisksLimitations,
        Section::HowToGetStarted,
        Section::TrainingDetails,
        Section::Evaluation,
    ];

    /// The name in `documented_sections`, `governance.documentation` and `@field("body[…]")`.
    pub fn name(self) -> &'static str {
        match self {
            Section::ModelDetails => "model_details",
            Section::Uses => "uses",
            Section::BiasRisksLimitations => "bias_risks_limitations",
            Section::HowToGetStarted => "how_to_get_started",
            Section::TrainingDetails => "training_details",
            Section::Evaluation => "evaluation",
        }
    }

    /// The heading the template gives it, for messages.
    pub fn heading(self) -> &'static str {
        match self {
            Section::ModelDetails => "Model Details",
            Section::Uses => "Uses",
            Section::BiasRisksLimitations => "Bias, Risks, and Limitations",
            Section::HowToGetStarted => "How to Get Started with the Model",
            Section::TrainingDetails => "Training Details",
            Section::Evaluation => "Evaluation",
        }
    }

    /// Headings that name it, for messages.
    pub fn examples(self) -> &'static str {
        match self {
            Section::ModelDetails => "`## Model Details` or `## Model description`",
            Section::Uses => "`## Uses` or `## Intended uses`",
            Section::BiasRisksLimitations => {
                "`## Bias, Risks, and Limitations`, `## Limitations` or `## Risks and limitations`"
            }
            Section::HowToGetStarted => {
                "`## How to Get Started with the Model`, `## Usage`, `## How to use`, `## Use with transformers` or `## Quickstart`"
            }
            Section::TrainingDetails => {
                "`## Training Details`, `## Training procedure`, `## Training data` or `## Training and evaluation data`"
            }
            Section::Evaluation => {
                "`## Evaluation`, `## Evaluation results`, `## Results`, `## Benchmarks` or `## Performance`"
            }
        }
    }

    pub fn named(name: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The sections a heading's words name (lower case, punctuation as spaces, `optional` and
    /// `and` dropped).
    fn of_heading(words: &[String]) -> Vec<Section> {
        let has = |w: &str| words.iter().any(|x| x == w);
        let first = words.first().map_or("", String::as_str);
        let phrase = words.join(" ");
        let mut found = Vec::new();
        if matches!(
            phrase.as_str(),
            "model details" | "model description" | "model summary" | "model overview"
        ) {
            found.push(Section::ModelDetails);
        }
        if matches!(
            phrase.as_str(),
            "uses" | "intended use" | "intended uses" | "direct use" | "intended uses limitations"
        ) {
            found.push(Section::Uses);
        }
        // `Limitations and bias`, `Risks`, `Ethical considerations and limitations`.
        if has("limitations")
            || has("risks")
            || (has("bias") && has("risk"))
            || phrase.starts_with("ethical considerations")
        {
            found.push(Section::BiasRisksLimitations);
        }
        // `How to use`, `Usage`, `Using the model`, `Inference`.
        if phrase.contains("get started")
            || phrase.contains("getting started")
            || phrase.starts_with("how to use")
            // `Use with transformers` (`with` is dropped from the words).
            || (first == "use" && words.len() > 1 && words[1] != "cases")
            || has("usage")
            || matches!(first, "using" | "inference")
            || matches!(
                phrase.as_str(),
                "quick start" | "quickstart" | "code example" | "code examples"
            )
        {
            found.push(Section::HowToGetStarted);
        }
        // `Training`, `Training details`, `Training procedure`, `Training data`, `Training and
        // evaluation data`, `Fine-tuning`.
        if first == "training" || first == "finetuning" || phrase.starts_with("fine tuning") {
            found.push(Section::TrainingDetails);
        }
        // `Evaluation`, `Evaluation results`, `Results`, `Benchmarks`, `Performance`.
        if first == "evaluation"
            || matches!(
                phrase.as_str(),
                "eval results"
                    | "results"
                    | "benchmarks"
                    | "benchmark results"
                    | "performance"
                    | "metrics"
            )
        {
            found.push(Section::Evaluation);
        }
        found
    }
}

/// The fewest words a documented section has once its placeholder text is taken out.
pub const MIN_WORDS: usize = 3;

/// A template section as the body has it.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub section: Section,
    /// The heading line.
    pub heading: Span,
    /// Whether it says something beyond the template's placeholder text.
    pub documented: bool,
}

/// The template sections of a body (the text of the card from byte `from` on), first heading
/// first. `source` is the whole card, so spans are the file's.
pub fn sections(source: &str, from: usize) -> Vec<Found> {
    // One pass over the lines keeps the sections still open (at most one per level); when a
    // heading closes one, its lines are read again from its heading — headings stand outside
    // fenced code, so a section starts outside one. A line lies in at most one section per
    // level: linear in the body, and the memory of six sections, whatever the card.
    struct Open {
        level: usize,
        span: Span,
        /// Where its lines start, and the number of the line before the first.
        next: usize,
        number: usize,
        kinds: Vec<Section>,
    }
    let mut found = Vec::new();
    let mut open: Vec<Open> = Vec::new();
    let close = |o: Open, end: usize, found: &mut Vec<Found>| {
        let documented = says_something(Lines {
            source,
            start: o.next,
            end,
            number: o.number,
            fence: None,
        });
        for section in o.kinds {
            keep(
                found,
                Found {
                    section,
                    heading: o.span,
                    documented,
                },
            );
        }
    };
    for line in Lines::new(source, from) {
        let Some((level, title)) = line.heading else {
            continue;
        };
        // A heading ends every open section of its level or deeper.
        while open.last().is_some_and(|o| o.level >= level) {
            if let Some(o) = open.pop() {
                close(o, line.start, &mut found);
            }
        }
        let kinds = Section::of_heading(&words_of(title));
        if kinds.is_empty() {
            // A heading that ends the sections above it, but not one to read.
            continue;
        }
        open.push(Open {
            level,
            span: Span {
                start: Pos {
                    line: line.number,
                    col: 1,
                    offset: line.start,
                },
                end: line.start + line.text.len(),
            },
            next: line.next,
            number: line.number,
            kinds,
        });
    }
    while let Some(o) = open.pop() {
        close(o, source.len(), &mut found);
    }
    found.sort_by_key(|f| (f.heading.start.offset, f.section));
    found
}

/// The most headings kept per section: where findings point, and whether any documents it.
const KEPT: usize = 12;

/// Adds `f` to `found`, keeping per section the first [`KEPT`] headings (by place), and the
/// first that documents it when none of those does.
fn keep(found: &mut Vec<Found>, f: Found) {
    let same: Vec<usize> = (0..found.len())
        .filter(|i| found[*i].section == f.section)
        .collect();
    if same.len() < KEPT {
        found.push(f);
        return;
    }
    // Full: `f` replaces the last-placed heading that does not document the section, if `f`
    // stands before it, or if `f` documents it and no kept heading does.
    let documented = same.iter().any(|i| found[*i].documented);
    let last = same
        .iter()
        .copied()
        .filter(|i| !found[*i].documented)
        .max_by_key(|i| found[*i].heading.start.offset);
    if let Some(i) = last
        && (f.heading.start.offset < found[i].heading.start.offset || (f.documented && !documented))
    {
        found[i] = f;
    }
}

/// Whether free text (a `governance.documentation` entry) says something beyond placeholders.
pub fn text_says_something(text: &str) -> bool {
    says_something(Lines::new(text, 0))
}

struct Line<'s> {
    start: usize,
    /// Where the next line starts.
    next: usize,
    /// 1-based, in the whole file.
    number: usize,
    text: &'s str,
    /// `(level, title)` when the line is an ATX heading outside fenced code.
    heading: Option<(usize, &'s str)>,
    /// Whether the line is inside a fenced code block.
    code: bool,
    /// Whether the line opens or closes a fenced code block.
    fence: bool,
}

/// The lines of `source` from byte `start` (a line boundary) up to byte `end`, read one at a
/// time; `number` is the number of the line before the first.
struct Lines<'s> {
    source: &'s str,
    start: usize,
    end: usize,
    number: usize,
    fence: Option<(u8, usize)>,
}

impl<'s> Lines<'s> {
    fn new(source: &'s str, from: usize) -> Lines<'s> {
        let start = from.min(source.len());
        let number = source.as_bytes()[..start]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        Lines {
            source,
            start,
            end: source.len(),
            number,
            fence: None,
        }
    }
}

impl<'s> Iterator for Lines<'s> {
    type Item = Line<'s>;

    fn next(&mut self) -> Option<Line<'s>> {
        if self.start >= self.end {
            return None;
        }
        let start = self.start;
        self.number += 1;
        let len = crate::bytes::first_of(self.source.as_bytes(), start, [b'\n'])
            .map_or(self.end, |at| at.min(self.end))
            - start;
        let text = self.source[start..start + len].trim_end_matches('\r');
        let indent = text.len() - text.trim_start_matches(' ').len();
        let trimmed = text.trim_start_matches(' ');
        // Fence characters are ASCII: byte counts are character counts.
        let opens = (indent < 4)
            .then(|| {
                let c = *trimmed.as_bytes().first()?;
                let run = trimmed.bytes().take_while(|x| *x == c).count();
                (matches!(c, b'`' | b'~') && run >= 3).then_some((c, run))
            })
            .flatten();
        let (heading, code, is_fence) = match (self.fence, opens) {
            (Some((c, n)), Some((c2, n2)))
                if c == c2 && n2 >= n && trimmed[n2..].trim().is_empty() =>
            {
                self.fence = None;
                (None, true, true)
            }
            (Some(_), _) => (None, true, false),
            (None, Some(open)) => {
                self.fence = Some(open);
                (None, true, true)
            }
            (None, None) => (if indent < 4 { atx(trimmed) } else { None }, false, false),
        };
        self.start = start + len + 1;
        Some(Line {
            start,
            next: self.start.min(self.source.len()),
            number: self.number,
            text,
            heading,
            code,
            fence: is_fence,
        })
    }
}

/// `(level, title)` of an ATX heading line (`## Title ##`).
fn atx(line: &str) -> Option<(usize, &str)> {
    let level = line.chars().take_while(|c| *c == '#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let rest = &line[level..];
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let title = rest.trim().trim_end_matches('#').trim_end();
    Some((level, title))
}

/// A heading's words: lower case, anything but letters and digits a space, `optional`,
/// `and`, `the` and `model` after the first word dropped where they only decorate.
fn words_of(title: &str) -> Vec<String> {
    let lowered = title.to_lowercase();
    let cleaned: String = lowered
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let mut words: Vec<String> = cleaned
        .split_whitespace()
        .filter(|w| !matches!(*w, "optional" | "and" | "the" | "with" | "a"))
        .map(str::to_string)
        .collect();
    // "How to Get Started with the Model": the trailing "model" adds nothing.
    if words.len() > 2 && words.last().is_some_and(|w| w == "model") {
        words.pop();
    }
    words
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn documented(body: &str) -> Vec<(&'static str, bool, usize)> {
        sections(body, 0)
            .into_iter()
            .map(|f| (f.section.name(), f.documented, f.heading.start.line))
            .collect()
    }

    #[test]
    fn the_templates_placeholders_document_nothing() {
        let body = "# Model Card for x\n\n## Model Details\n\n### Model Description\n\n<!-- Provide a longer summary of what this model is. -->\n\n\n\n- **Developed by:** [More Information Needed]\n- **Model type:** [More Information Needed]\n\n## Bias, Risks, and Limitations\n\n<!-- This section is meant to convey both technical and sociotechnical limitations. -->\n\n[More Information Needed]\n\n### Recommendations\n\nUsers (both direct and downstream) should be made aware of the risks, biases and limitations of the model. More information needed for further recommendations.\n\n## How to Get Started with the Model\n\nUse the code below to get started with the model.\n\n[More Information Needed]\n\n## Training Details\n\n### Training Data\n\n{{ training_data | default(\"[More Information Needed]\", true)}}\n\n## Evaluation\n\nTBD\n";
        assert_eq!(
            documented(body),
            vec![
                ("model_details", false, 3),
                ("model_details", false, 5),
                ("bias_risks_limitations", false, 14),
                ("how_to_get_started", false, 24),
                ("training_details", false, 30),
                ("training_details", false, 32),
                ("evaluation", false, 36),
            ]
        );
    }

    #[test]
    fn written_sections_are_documented_with_their_subsections() {
        let body = "## Training procedure\n\n### Training hyperparameters\n\n- learning_rate: 2e-05\n- num_epochs: 3\n\n## How to use\n\n```python\nfrom transformers import pipeline\n# Evaluation\n```\n\n## Intended uses & limitations\n\nMore information needed\n";
        assert_eq!(
            documented(body),
            vec![
                ("training_details", true, 1),
                ("training_details", true, 3),
                ("how_to_get_started", true, 8),
                ("uses", false, 15),
                ("bias_risks_limitations", false, 15),
            ]
        );
    }

    #[test]
    fn headings_are_matched_by_their_words() {
        for (heading, name) in [
            ("## Bias, Risks, and Limitations", "bias_risks_limitations"),
            ("## Limitations and bias", "bias_risks_limitations"),
            ("# How to Get Started with the Model", "how_to_get_started"),
            ("### Usage ###", "how_to_get_started"),
            ("## Evaluation results", "evaluation"),
            ("## Training Details [optional]", "training_details"),
            ("## Model description", "model_details"),
            ("## Training and evaluation data", "training_details"),
            ("## Results", "evaluation"),
            ("## Benchmarks", "evaluation"),
            ("## Performance", "evaluation"),
            ("### Use with transformers", "how_to_get_started"),
            (
                "## Ethical Considerations and Limitations",
                "bias_risks_limitations",
            ),
            ("## Fine-tuning", "training_details"),
        ] {
            let body = format!("{heading}\nThree real words here.\n");
            assert_eq!(documented(&body), vec![(name, true, 1)], "{heading}");
        }
        assert!(documented("#Training\n\nNot a heading without a space.\n").is_empty());
        assert!(documented("    ## Training\n\nindented code\n").is_empty());
    }

    #[test]
    fn the_hubs_generated_description_says_nothing_of_the_model() {
        let body = "## Model Details\n\n### Model Description\n\nThis is the model card of a 🤗 transformers model that has been pushed on the Hub. This model card has been automatically generated.\n\n- **Developed by:** [More Information Needed]\n";
        assert_eq!(
            documented(body),
            vec![("model_details", false, 1), ("model_details", false, 3)]
        );
    }

    #[test]
    fn thousands_of_headings_keep_the_first_and_one_that_documents() {
        let mut body = "## Training\n\nTBD\n\n".repeat(5_000);
        body.push_str("## Training\n\nThree real words.\n");
        let found = sections(&body, 0);
        assert!(found.len() <= KEPT, "{}", found.len());
        assert_eq!(found[0].heading.start.line, 1);
        assert!(found.iter().any(|f| f.documented));
        assert!(found.iter().all(|f| f.section == Section::TrainingDetails));
    }

    #[test]
    fn free_text_is_held_to_the_same_rule() {
        assert!(!text_says_something("[More Information Needed]"));
        assert!(!text_says_something("TODO"));
        assert!(!text_says_something("TODO: add the numbers later"));
        assert!(!text_says_something("- TBD, see the wiki page"));
        assert!(text_says_something(
            "Fine-tuned for 3 epochs on the 2025 ledger."
        ));
    }
}
