//! Where a document's events come from, for the readers that pull them one at a time (the
//! id scan of [`super::find`]): saphyr-parser, or — for a document inside a plain subset —
//! the very same events read line by line by [`super::quick`]. The tree itself takes them as
//! they are read ([`super::parse`]).

use saphyr_parser::{Event, Parser, ScanError, Span};

use super::quick;

/// The events of a document: saphyr-parser's, or the same events read by [`quick`] when the
/// document is inside its plain subset. Every YAML this crate reads goes through here.
pub(super) enum Source<'a> {
    Saphyr(Box<Parser<'a, saphyr_parser::StrInput<'a>>>),
    Quick(std::vec::IntoIter<(Event<'a>, Span)>),
}

impl<'a> Source<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        match quick::events(text) {
            Some(events) => Source::Quick(events.into_iter()),
            None => Source::Saphyr(Box::new(Parser::new_from_str(text))),
        }
    }

    pub(super) fn next_event(&mut self) -> Option<Result<(Event<'a>, Span), ScanError>> {
        match self {
            Source::Saphyr(parser) => parser.next_event(),
            Source::Quick(events) => events.next().map(Ok),
        }
    }
}

/// The events of `text` as the tree gets them (the plain reader's, or saphyr-parser's), read
/// and dropped; how many there were. For the benchmark's "events alone" measurement.
#[doc(hidden)]
pub fn count_events(text: &str) -> usize {
    struct Count(usize);
    impl<'a> quick::Sink<'a> for Count {
        fn event(&mut self, _: Event<'a>, _: Span) -> Result<(), quick::Bail> {
            self.0 += 1;
            Ok(())
        }
    }
    let mut count = Count(0);
    if quick::read(text, &mut count).is_ok() {
        return count.0;
    }
    let mut parser = Parser::new_from_str(text);
    let mut n = 0;
    while let Some(Ok(_)) = parser.next_event() {
        n += 1;
    }
    n
}

/// Whether the plain-subset reader ([`quick`]) takes `text`; where it does, its events must be
/// exactly saphyr-parser's, spans included, and this panics naming the first that is not. For
/// the `yaml` fuzz target and the tests.
#[doc(hidden)]
pub fn quick_reads_as_saphyr(text: &str) -> bool {
    let Some(quick) = quick::events(text) else {
        return false;
    };
    let mut parser = Parser::new_from_str(text);
    for (i, expected) in quick.iter().enumerate() {
        let saphyr = parser.next_event().map(|e| e.map_err(|e| e.to_string()));
        assert_eq!(
            saphyr.as_ref(),
            Some(&Ok(expected.clone())),
            "event {i} of {text:?}: saphyr-parser's, then the plain reader's"
        );
    }
    let rest = parser.next_event();
    assert!(
        rest.is_none(),
        "{text:?}: saphyr-parser goes on after the plain reader's last event: {rest:?}"
    );
    true
}
