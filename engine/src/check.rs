//! `aimsgate check` as a library call: discover cards, keep those the change touches, evaluate
//! each against the pack, and gather the verdicts into one [`Report`].

use std::collections::HashMap;
use std::path::PathBuf;

use crate::discover;
use crate::error::InputError;
use crate::evaluate::{Evaluator, RequestSpec};
use crate::evidence::Evidence;
use crate::pack::Pack;
use crate::report::{ChangeSummary, EvidenceNote, Judged, Report, Rule, Skipped};
use crate::waivers::{self, Waivers};

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

/// Runs the check. Never fails: whatever could not be read or evaluated is in the report's
/// errors, and makes its decision [`crate::report::Decision::Error`].
pub fn check(pack: &Pack, options: &CheckOptions) -> Report {
    let evidence = &options.evidence;
    let root = match &evidence.git {
        Ok(facts) => facts.root.clone(),
        Err(_) => discover::repository_root(&options.cwd),
    };
    let (cards, mut errors) = discover::discover(&options.cwd, &root, &options.paths);

    let mut by_id: HashMap<&str, &str> = HashMap::new();
    for card in &cards {
        if let Some(first) = by_id.insert(&card.model_id, &card.path) {
            errors.push(
                InputError::at(
                    &card.path,
                    &card.source,
                    card.anchor,
                    format!(
                        "model id `{}` is also the id of `{first}`: findings and waivers would be ambiguous",
                        card.model_id
                    ),
                )
                .with_help("give each model a distinct `governance.id`"),
            );
        }
    }

    // With --changed-since, a model is checked when the change touches its card or the card's
    // folder; a change to the policy pack re-checks every model.
    let mut skipped = Vec::new();
    let mut checked = Vec::new();
    for card in &cards {
        match &evidence.change {
            Some(change) if !evidence.policies_changed => {
                let folder = card.path.rsplit_once('/').map_or("", |(f, _)| f);
                if change.touches(&card.path) || folder.is_empty() || change.touches(folder) {
                    checked.push(card);
                } else {
                    skipped.push(Skipped {
                        id: card.model_id.clone(),
                        path: card.path.clone(),
                        reason: format!(
                            "neither the card nor its folder changed since {} (merge base {})",
                            change.base,
                            short(&change.merge_base)
                        ),
                    });
                }
            }
            _ => checked.push(card),
        }
    }

    let now = options.request.now;
    let waivers =
        load_waivers(&options.waivers, &root, &options.cwd, pack, now).unwrap_or_else(|e| {
            errors.extend(e);
            Waivers::default()
        });
    let mut used = vec![false; waivers.waivers.len()];
    let mut models = Vec::new();
    match Evaluator::new(pack, &options.request, evidence) {
        Ok(evaluator) => {
            for card in checked {
                let (mut model, errs) = evaluator.evaluate(card);
                let (hits, waiver_errors) = waivers.apply(&mut model, card, now);
                for i in hits {
                    used[i] = true;
                }
                models.push(model);
                errors.extend(errs);
                errors.extend(waiver_errors);
            }
        }
        Err(e) => errors.push(*e),
    }
    // A waiver that matched nothing is stale, unless it may be for a model this run skipped.
    let stale_waivers = waivers
        .waivers
        .iter()
        .zip(&used)
        .filter(|(w, used)| !**used && !skipped.iter().any(|s: &Skipped| w.matches(&w.gate, &s.id)))
        .map(|(w, _)| w.clone())
        .collect();

    if cards.is_empty() && errors.is_empty() {
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
