//! `aimsgate check` as a library call: discover cards, keep those the change touches, evaluate
//! each against the pack, and gather the verdicts into one [`Report`].

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::discover;
use crate::error::InputError;
use crate::evaluate::{Evaluator, RequestSpec};
use crate::evidence::Evidence;
use crate::pack::Pack;
use crate::report::{ChangeSummary, EvidenceNote, Judged, ModelReport, Report, Rule, Skipped};
use crate::waivers::{self, Waivers};
use crate::yaml::Span;

/// Where waivers come from.
#[derive(Debug, Clone, Default)]
pub enum WaiverSource {
    /// `.aimsgate/waivers.yaml` under the repository root, when it exists.
    #[default]
    Default,
    /// `--waivers FILE`, which must exist.
    File(PathBuf),
    /// None at all.
    None,
}

/// What to check and how.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Files and directories; empty means the repository containing `cwd`.
    pub paths: Vec<PathBuf>,
    pub request: RequestSpec,
    pub cwd: PathBuf,
    /// Git evidence, gathered beforehand.
    pub evidence: Evidence,
    pub waivers: WaiverSource,
}

/// Reads the waivers file, if any.
fn load_waivers(
    source: &WaiverSource,
    root: &std::path::Path,
    cwd: &std::path::Path,
    pack: &Pack,
    now: crate::date::Instant,
) -> Result<Waivers, Vec<InputError>> {
    let (file, required) = match source {
        WaiverSource::None => return Ok(Waivers::default()),
        WaiverSource::Default => (root.join(waivers::DEFAULT_PATH), false),
        WaiverSource::File(f) => (cwd.join(f), true),
    };
    let shown = discover::display(root, &discover::absolute(cwd, &file), &file);
    match std::fs::read_to_string(&file) {
        Ok(text) => Waivers::parse(&shown, &text, pack, now),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => Ok(Waivers::default()),
        Err(e) => Err(vec![InputError::new(
            Some(&shown),
            format!("cannot read the waivers file: {e}"),
        )]),
    }
}

/// The card behind a verdict, as much of it as the run needs once the card is judged: its id
/// and where it is, to name duplicates.
struct Seen {
    id: String,
    path: String,
    source: Arc<str>,
    anchor: Span,
}

/// What became of one candidate file.
enum Outcome {
    NotACard,
    Unreadable(Vec<InputError>),
    Skipped(Seen),
    /// Read, but not judged: the request could not be built (that error is the run's).
    Unjudged(Seen),
    Judged {
        seen: Seen,
        model: ModelReport,
        errors: Vec<InputError>,
        /// The waivers that matched its findings.
        waived: Vec<usize>,
    },
}

/// Whether the change (if any) asks for this card: a model is checked when the change touches
/// its card or the card's folder; a change to the policy pack re-checks every model.
fn wanted(path: &str, evidence: &Evidence) -> bool {
    match &evidence.change {
        Some(change) if !evidence.policies_changed => {
            let folder = path.rsplit_once('/').map_or("", |(f, _)| f);
            change.touches(path) || folder.is_empty() || change.touches(folder)
        }
        _ => true,
    }
}

/// Reads, parses and judges one candidate. The card itself is dropped here: a run over
/// thousands of cards keeps only their reports.
fn judge(
    candidate: &discover::Candidate,
    evaluator: Option<&Evaluator>,
    waivers: &Waivers,
    evidence: &Evidence,
    now: crate::date::Instant,
) -> Outcome {
    let card = match candidate.load() {
        Ok(Some(card)) => card,
        Ok(None) => return Outcome::NotACard,
        Err(errors) => return Outcome::Unreadable(errors),
    };
    let seen = Seen {
        id: card.model_id.clone(),
        path: card.path.clone(),
        source: Arc::clone(&card.source),
        anchor: card.anchor,
    };
    if !wanted(&card.path, evidence) {
        return Outcome::Skipped(seen);
    }
    let Some(evaluator) = evaluator else {
        return Outcome::Unjudged(seen);
    };
    let (mut model, mut errors) = evaluator.evaluate(&card);
    let (waived, waiver_errors) = waivers.apply(&mut model, &card, now);
    errors.extend(waiver_errors);
    Outcome::Judged {
        seen,
        model,
        errors,
        waived,
    }
}

/// `f` over `items`, spread over the machine's cores, results in the order of `items`.
fn spread<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    // Below this many items per thread, starting threads costs more than it saves.
    const PER_THREAD: usize = 8;
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(items.len() / PER_THREAD);
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let from = next.fetch_add(PER_THREAD, Ordering::Relaxed);
            if from >= items.len() {
                break done;
            }
            for (i, item) in items.iter().enumerate().skip(from).take(PER_THREAD) {
                done.push((i, f(item)));
            }
        }
    };
    let mut results: Vec<Option<R>> = Vec::new();
    results.resize_with(items.len(), || None);
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut all = work();
        for h in helpers {
            // A worker that panicked is a bug; its items are then judged here, again.
            all.extend(h.join().unwrap_or_default());
        }
        for (i, r) in all {
            results[i] = Some(r);
        }
    });
    results
        .into_iter()
        .zip(items)
        .map(|(r, item)| r.unwrap_or_else(|| f(item)))
        .collect()
}

/// Runs the check. Never fails: whatever could not be read or evaluated is in the report's
/// errors, and makes its decision [`crate::report::Decision::Error`].
pub fn check(pack: &Pack, options: &CheckOptions) -> Report {
    let evidence = &options.evidence;
    let root = match &evidence.git {
        Ok(facts) => facts.root.clone(),
        Err(_) => discover::repository_root(&options.cwd),
    };
    let (candidates, mut errors) = discover::candidates(&options.cwd, &root, &options.paths);
    let now = options.request.now;
    let (waivers, waiver_errors) =
        match load_waivers(&options.waivers, &root, &options.cwd, pack, now) {
            Ok(w) => (w, Vec::new()),
            Err(e) => (Waivers::default(), e),
        };
    let evaluator = Evaluator::new(pack, &options.request, evidence);
    let outcomes = spread(&candidates, |c| {
        judge(c, evaluator.as_ref().ok(), &waivers, evidence, now)
    });

    let mut cards: Vec<&Seen> = Vec::new();
    for outcome in &outcomes {
        match outcome {
            Outcome::NotACard => {}
            Outcome::Unreadable(e) => errors.extend(e.iter().cloned()),
            Outcome::Skipped(seen) | Outcome::Unjudged(seen) | Outcome::Judged { seen, .. } => {
                cards.push(seen);
            }
        }
    }
    let mut by_id: HashMap<&str, &str> = HashMap::new();
    for card in &cards {
        if let Some(first) = by_id.insert(&card.id, &card.path) {
            errors.push(
                InputError::at(
                    &card.path,
                    &card.source,
                    card.anchor,
                    format!(
                        "model id `{}` is also the id of `{first}`: findings and waivers would be ambiguous",
                        card.id
                    ),
                )
                .with_help("give each model a distinct `governance.id`"),
            );
        }
    }
    let no_card = cards.is_empty();
    errors.extend(waiver_errors);
    if let Err(e) = &evaluator {
        errors.push(InputError::clone(e));
    }

    let mut used = vec![false; waivers.waivers.len()];
    let mut models = Vec::new();
    let mut skipped = Vec::new();
    for outcome in outcomes {
        match outcome {
            Outcome::Judged {
                model,
                errors: errs,
                waived,
                ..
            } => {
                for i in waived {
                    used[i] = true;
                }
                models.push(model);
                errors.extend(errs);
            }
            Outcome::Skipped(seen) => {
                if let Some(change) = &evidence.change {
                    skipped.push(Skipped {
                        id: seen.id,
                        path: seen.path,
                        reason: format!(
                            "neither the card nor its folder changed since {} (merge base {})",
                            change.base,
                            short(&change.merge_base)
                        ),
                    });
                }
            }
            _ => {}
        }
    }
    // A waiver that matched nothing is stale, unless it may be for a model this run skipped.
    let stale_waivers = waivers
        .waivers
        .iter()
        .zip(&used)
        .filter(|(w, used)| !**used && !skipped.iter().any(|s: &Skipped| w.matches(&w.gate, &s.id)))
        .map(|(w, _)| w.clone())
        .collect();

    if no_card && errors.is_empty() {
        let place = if options.paths.is_empty() {
            discover::display(&root, &root, &root)
        } else {
            options
                .paths
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        };
        errors.push(
            InputError::new(None, format!("no model card found in {place}"))
                .with_help("a card is a `model-card.yaml|yml|json`, or a Markdown file whose front matter has a `governance` block; name a card file to check it even without one"),
        );
    }

    let mut report = Report::new(
        Judged {
            action: options.request.action,
            environment: options.request.environment.clone(),
            now: options.request.now,
            policies: pack.origin.clone(),
        },
        models,
        skipped,
        evidence.change.as_ref().map(|c| ChangeSummary {
            base: c.base.clone(),
            merge_base: c.merge_base.clone(),
            files: c.files.len(),
            policies_changed: evidence.policies_changed,
        }),
        errors,
    );
    report.evidence = EvidenceNote::all(evidence);
    report.rules = pack.gates.iter().map(Rule::of).collect();
    report.stale_waivers = stale_waivers;
    report
}

/// A commit id shortened for display.
fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}
