//! Harnesses shared by the fuzz targets under `fuzz/` and the test that replays their seed
//! corpus (the fixtures) on every `cargo test`. Each panics only when an invariant breaks:
//! reading never panics; a card that did not parse is never allowed; an allowed verdict has no
//! blocking finding; a verdict with an evaluation error is an error.

use std::sync::Arc;

use crate::card::{self, Format};
use crate::date::Instant;
use crate::evaluate::{Evaluator, RequestSpec};
use crate::evidence::Evidence;
use crate::pack::Pack;
use crate::report::{Action, Decision, Judged, Report};

/// Bytes → card, in every format, discovered or named; and the identity a card is given when
/// it is read for that alone is the one reading it whole gives.
pub fn card(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let text: Arc<str> = Arc::from(text);
    let keys = card::Keys::engine();
    for (format, file) in [
        (Format::Markdown, "m/README.md"),
        (Format::Yaml, "m/model-card.yaml"),
        (Format::Json, "m/model-card.json"),
    ] {
        for explicit in [true, false] {
            let whole = card::parse(file, Arc::clone(&text), format, explicit, "m", &keys);
            // Read twice through one index: the second is what the index remembers.
            let ids = card::ids::IdIndex::memory();
            let identity = || {
                card::identity_of(
                    data.to_vec(),
                    std::path::Path::new(file),
                    file,
                    explicit,
                    &keys,
                    &ids,
                )
                .map(|i| i.map(|i| (i.model_id, i.anchor)).ok())
            };
            let (first, again) = (identity(), identity());
            if let (Ok(Some(whole)), Ok(first), Ok(again)) = (whole, first, again) {
                let whole = Some((whole.model_id, whole.anchor));
                assert_eq!(first, whole, "the identity read alone is not the card's");
                assert_eq!(again, whole, "the identity remembered is not the card's");
            }
        }
    }
}

/// Bytes → YAML events and tree: wherever the plain-subset reader takes a document (the whole
/// text, or a Markdown card's front matter), its events are saphyr-parser's, spans included,
/// and the tree built as it reads (or the error) is the one saphyr-parser's events build,
/// under the default bounds for inputs of even length and small ones for the others (one of
/// the two per input, so each costs two trees, not four). Returns how many of the two
/// documents the reader took.
pub fn yaml(data: &[u8]) -> usize {
    let Ok(text) = std::str::from_utf8(data) else {
        return 0;
    };
    let limits = if data.len().is_multiple_of(2) {
        crate::yaml::Limits::default()
    } else {
        crate::yaml::Limits {
            max_depth: 3,
            max_nodes: 25,
            max_bytes: 60,
        }
    };
    let mut taken = 0;
    let mut check = |text: &str| {
        taken += usize::from(crate::yaml::quick_reads_as_saphyr(text));
        let _ = crate::yaml::built_as_saphyr_builds(text, limits);
    };
    check(text);
    if let Some(rest) = text.strip_prefix("---\n")
        && let Some(end) = rest.find("\n---")
    {
        check(&rest[..=end]);
    }
    taken
}

/// Bytes → verdict under three requests, with the invariants of the gate.
pub fn pipeline(pack: &Pack, data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let evidence = Evidence::unavailable("fuzzing");
    let now = Instant::from_unix_seconds(1_795_000_000).unwrap_or_else(Instant::now);
    for (action, environment) in [
        (Action::Release, None),
        (Action::Deploy, Some("staging")),
        (Action::Deploy, Some("production")),
    ] {
        let spec = RequestSpec {
            action,
            environment: environment.map(str::to_string),
            now,
            actor: "fuzz".into(),
        };
        let judged = Judged {
            action,
            environment: spec.environment.clone(),
            now,
            policies: "embedded".into(),
        };
        let parsed = card::parse(
            "fuzz/card.md",
            Arc::from(text),
            Format::Markdown,
            true,
            "m",
            &pack.card_keys,
        );
        let card = match parsed {
            Ok(Some(card)) => card,
            Ok(None) => unreachable_card(),
            Err(errors) => {
                let report = Report::new(judged, Vec::new(), Vec::new(), None, errors);
                assert_eq!(
                    report.decision,
                    Decision::Error,
                    "a card that did not parse was judged"
                );
                continue;
            }
        };
        let Ok(evaluator) = Evaluator::new(pack, &spec, &evidence) else {
            continue;
        };
        let (model, errors) = evaluator.evaluate(&card);
        let blocks = model.findings.iter().any(crate::verdict::blocks);
        let report = Report::new(judged, vec![model], Vec::new(), None, errors.clone());
        if !errors.is_empty() {
            assert_eq!(
                report.decision,
                Decision::Error,
                "an evaluation error was not an error"
            );
        }
        if report.decision == Decision::Allowed {
            assert!(!blocks, "allowed with a blocking finding");
        }
    }
}

/// A named card is always a card; reaching this is a reader bug.
fn unreachable_card() -> ! {
    #[expect(
        clippy::panic,
        reason = "the fuzz harness reports invariant violations by panicking"
    )]
    {
        panic!("an explicitly named card was not read as a card")
    }
}
