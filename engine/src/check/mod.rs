//! `aimsgate check` as a library call: discover cards, keep those the change touches, evaluate
//! each against the pack, apply the waivers the protected configuration grants, account for
//! the cards the change removed, and gather the verdicts into one [`Report`].

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use git2::Repository;

use crate::card::Keys;
use crate::card::ids::IdIndex;

mod early;
mod identity;
mod ungoverned;
mod vanished;

use crate::config::Governance;
use crate::discover::{self, Loaded};
use crate::error::{CardError, ConfigError, InputError};
use crate::evaluate::{Evaluator, RequestSpec};
use crate::evidence::Evidence;
use crate::pack::Gate;
use crate::pack::Pack;
use crate::report::{ChangeSummary, Judged, ModelReport, RefUsed, Report, Skipped, Warning, short};
use crate::setting::{self, Setting};
use crate::span::Span;
use crate::spread::spread;
use crate::waivers::{Identity, Matched, Waivers};
pub use early::Early;
use identity::id_at;
use vanished::{committed_card, removed_cards};

/// What to check and how.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Files and directories; empty means the repository containing `cwd`.
    pub paths: Vec<PathBuf>,
    pub request: RequestSpec,
    pub cwd: PathBuf,
    /// Git evidence, gathered beforehand.
    pub evidence: Evidence,
    /// Where the waivers come from, and the protected ref; `None`: no waivers at all.
    pub governance: Option<Governance>,
}

/// Reads the waivers the governance configuration names (from the protected ref when there
/// is one).
fn load_waivers(
    governance: &Governance,
    pack: &Pack,
    now: crate::date::Instant,
) -> Result<Waivers, Vec<InputError>> {
    let (file, required) = &governance.waivers;
    match governance.read(file)? {
        Some(f) => Waivers::parse(&f.shown, &f.text, pack, now),
        None if *required => Err(vec![InputError::new(
            Some(&discover::display(&governance.root, file, file)),
            ConfigError::Place(match governance.protected() {
                Some(r) => format!("the waivers file does not exist at {}", r.given),
                None => "the waivers file does not exist".to_string(),
            }),
        )]),
        None => Ok(Waivers::default()),
    }
}

/// The card behind a verdict, as much of it as the run needs once the card is judged: its id
/// and where it is, to name duplicates; its owner, for the waivers. The text of a card the run
/// skips is not kept (a run that skips thousands would hold them all): it is read again in the
/// rare case that it is quoted.
#[derive(Debug)]
struct Seen {
    id: String,
    path: String,
    source: Option<Arc<str>>,
    anchor: Span,
    owner: Option<String>,
}

impl Seen {
    /// A card known by its id and where it stands, its text not kept and its owner not read:
    /// a skipped card's.
    fn bare(id: String, path: String, anchor: Span) -> Seen {
        Seen {
            id,
            path,
            source: None,
            anchor,
            owner: None,
        }
    }
}

/// What became of one candidate file.
#[derive(Debug)]
enum Outcome {
    /// Not a card; `changed` when the committed version must be looked at (see
    /// [`Loaded::NotACard`]).
    NotACard {
        changed: bool,
    },
    Unreadable(Vec<InputError>),
    Skipped(Seen),
    /// Read, but not judged: the request could not be built (that error is the run's).
    Unjudged(Seen),
    Judged {
        seen: Seen,
        model: ModelReport,
        errors: Vec<InputError>,
    },
}

/// Whether the change (if any) asks for this card: a model is checked when the change touches
/// its card or the card's folder; a change to governance configuration re-checks every model.
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
    keys: &Keys,
    evidence: &Evidence,
    budget: &discover::Budget,
    ids: &IdIndex,
) -> Outcome {
    // A card the change does not ask for is read only for its identity: whether it claims
    // the id of a card the change made is all the run needs of it. A card that is a link is
    // always judged: what it leads to may be a file the change edited anywhere in the
    // repository, which its own path does not show.
    if !wanted(&candidate.shown, evidence) && !candidate.is_link() {
        return early::skip(candidate, keys, budget, ids, &mut 0);
    }
    let card = match candidate.load(keys, budget) {
        Ok(Loaded::Card(card)) => card,
        Ok(Loaded::NotACard { changed }) => return Outcome::NotACard { changed },
        Err(errors) => return Outcome::Unreadable(errors),
    };
    let seen = Seen {
        id: card.model_id.clone(),
        path: card.path.clone(),
        source: Some(Arc::clone(&card.source)),
        anchor: card.anchor,
        owner: card.governance.owner.clone(),
    };
    let Some(evaluator) = evaluator else {
        return Outcome::Unjudged(seen);
    };
    let (model, errors) = evaluator.evaluate(&card);
    Outcome::Judged {
        seen,
        model,
        errors,
    }
}

/// The submodules the protected configuration says hold no model cards.
fn opaque(governance: Option<&Governance>) -> Vec<String> {
    governance
        .map(|g| g.config.submodules_without_cards.clone())
        .unwrap_or_default()
}

/// Runs the check. Never fails: whatever could not be read or evaluated is in the report's
/// errors, and makes its decision [`crate::report::Decision::Error`].
pub fn check(pack: &Pack, options: &CheckOptions) -> Report {
    check_with(pack, options, None)
}

/// [`check`], with the cards' identities read while git worked out what changed
/// ([`Early::read`], for the same paths, configuration and pack): used when the change asks
/// for only some cards, else read anew.
pub fn check_with(pack: &Pack, options: &CheckOptions, early: Option<Early>) -> Report {
    let evidence = &options.evidence;
    let root = match &evidence.git {
        Ok(facts) => facts.root.clone(),
        Err(_) => discover::repository_root(&options.cwd),
    };
    let early =
        early.filter(|e| e.root == root && evidence.change.is_some() && !evidence.policies_changed);
    // The untracked candidates are listed (a walk of the work tree) while the tracked ones
    // are judged.
    let (tracked, mut errors, untracked, budget, ids, read_early) = match early {
        Some(e) => (
            e.tracked,
            e.errors,
            e.untracked,
            e.budget,
            e.ids,
            Some(e.outcomes),
        ),
        None => {
            let (tracked, errors, untracked) = discover::tracked(
                &options.cwd,
                &root,
                &options.paths,
                &opaque(options.governance.as_ref()),
            );
            // The cards a change does not touch are read for their ids only: remembered by
            // content in the git directory from one run to the next.
            let ids = match &evidence.change {
                Some(_) => early::ids_for(&root),
                None => IdIndex::default(),
            };
            (
                tracked,
                errors,
                untracked,
                discover::Budget::default(),
                ids,
                None,
            )
        }
    };
    let model_files = ungoverned::start(&options.cwd, &root, &options.paths);
    let now = options.request.now;
    let (waivers, waiver_errors) = match &options.governance {
        Some(g) => match load_waivers(g, pack, now) {
            Ok(w) => (w, Vec::new()),
            Err(e) => (Waivers::default(), e),
        },
        None => (Waivers::default(), Vec::new()),
    };
    let evaluator = Evaluator::new(pack, &options.request, evidence);
    let keys = &pack.card_keys;
    let judge_one =
        |c: &discover::Candidate| judge(c, evaluator.as_ref().ok(), keys, evidence, &budget, &ids);
    let judge_all = |candidates: &[discover::Candidate]| spread(candidates, judge_one);
    let outcomes = match read_early {
        Some(outcomes) => Early::complete(
            outcomes,
            &tracked,
            &budget,
            |c| wanted(&c.shown, evidence),
            judge_one,
        ),
        None => judge_all(&tracked),
    };
    let listed = evidence
        .change
        .as_ref()
        .and_then(|c| c.untracked.as_deref());
    let (more, more_errors) = untracked.finish_with(&tracked, listed);
    if !more_errors.is_empty() {
        errors.extend(more_errors);
        errors.sort_by_key(InputError::message);
    }
    let (candidates, outcomes): (Vec<_>, Vec<_>) = if more.is_empty() {
        (tracked, outcomes)
    } else {
        let judged = judge_all(&more);
        discover::merge(
            tracked.into_iter().zip(outcomes).collect(),
            more.into_iter().zip(judged).collect(),
        )
        .into_iter()
        .unzip()
    };
    ids.save();
    let repo = Repository::open(&root).ok();

    let mut cards: Vec<(&Seen, &discover::Candidate)> = Vec::new();
    for (outcome, candidate) in outcomes.iter().zip(&candidates) {
        match outcome {
            Outcome::NotACard { changed: true } => {
                errors.extend(committed_card(candidate, keys));
            }
            Outcome::NotACard { .. } => {}
            Outcome::Unreadable(e) => errors.extend(e.iter().cloned()),
            Outcome::Skipped(seen) | Outcome::Unjudged(seen) | Outcome::Judged { seen, .. } => {
                cards.push((seen, candidate));
            }
        }
    }
    let mut by_id: HashMap<&str, &str> = HashMap::new();
    for (card, candidate) in &cards {
        if let Some(first) = by_id.insert(&card.id, &card.path) {
            let source = card
                .source
                .clone()
                .or_else(|| candidate.text_again(card.anchor));
            errors.push(crate::card::duplicate_id(
                &card.path,
                source.as_ref(),
                card.anchor,
                &card.id,
                first,
                "findings and waivers would be ambiguous",
            ));
        }
    }
    let no_card = cards.is_empty();
    let card_paths: Vec<&str> = cards.iter().map(|(c, _)| c.path.as_str()).collect();
    let ungoverned = ungoverned::findings(
        model_files,
        &card_paths,
        evidence,
        options
            .governance
            .as_ref()
            .is_some_and(|g| g.config.ungoverned_artifacts_block),
    );
    let ungoverned = match ungoverned {
        Ok(f) => f,
        Err(e) => {
            errors.push(e);
            Vec::new()
        }
    };
    // Cards at HEAD (or in the work tree), by path: what was a card before the change and is
    // not among them was removed.
    let present: std::collections::HashSet<&str> = outcomes
        .iter()
        .zip(&candidates)
        .filter(|(o, _)| !matches!(o, Outcome::NotACard { .. }))
        .map(|(_, c)| c.shown.as_str())
        .collect();
    let (removed_models, removed) = match (&evidence.change, &repo) {
        (Some(change), Some(repo)) => removed_cards(repo, change, &present, keys),
        _ => (Vec::new(), Vec::new()),
    };
    errors.extend(waiver_errors);
    if let Err(e) = &evaluator {
        errors.push(InputError::clone(e));
    }

    // Waivers apply to the identity the protected configuration granted them to.
    let reference = options
        .governance
        .as_ref()
        .and_then(|g| g.protected())
        .map(|r| (r.given.clone(), r.commit.clone()))
        .or_else(|| {
            evidence.change.as_ref().map(|c| {
                (
                    format!("the merge base {}", short(&c.merge_base)),
                    c.merge_base.clone(),
                )
            })
        });
    let mut warnings = Vec::new();
    let mut used = vec![false; waivers.waivers.len()];
    let mut models = Vec::new();
    let mut skipped = Vec::new();
    for outcome in outcomes {
        match outcome {
            Outcome::Judged {
                seen,
                mut model,
                errors: errs,
            } => {
                let fired: Vec<&str> = model.findings.iter().map(|f| f.gate.as_str()).collect();
                let concerned = waivers
                    .waivers
                    .iter()
                    .any(|w| fired.contains(&w.gate.as_str()));
                let was = match (&reference, &repo) {
                    (Some((_, commit)), Some(repo)) if concerned => {
                        Some(id_at(repo, commit, &seen.path, keys))
                    }
                    _ => None,
                };
                let id = model.id.clone();
                let identity = match &was {
                    None => Identity::Known(&id),
                    Some(Ok(Some(old))) if *old == id => Identity::Known(&id),
                    Some(Ok(Some(old))) => Identity::Renamed { was: old, now: &id },
                    Some(Ok(None)) => Identity::New(&id),
                    Some(Err(_)) => Identity::Unknown,
                };
                if let (Some(Ok(Some(old))), Some((name, _))) = (&was, &reference)
                    && *old != model.id
                {
                    warnings.push(Warning {
                        message: format!(
                            "model `{}` was `{old}` at {name}: its id changed in this change, so a waiver applies only if it covers both `{old}`, the identity it was granted to, and the new id",
                            model.id
                        ),
                        path: Some(seen.path.clone()),
                        line: None,
                    });
                }
                if let (Some(Err(why)), Some((name, _))) = (&was, &reference) {
                    warnings.push(Warning {
                        message: format!(
                            "model `{}`: its identity at {name} cannot be read ({why}), so no waiver applies to it",
                            model.id
                        ),
                        path: Some(seen.path.clone()),
                        line: None,
                    });
                }
                let gates: Vec<&str> = model.findings.iter().map(|f| f.gate.as_str()).collect();
                let matched =
                    waivers.matches(&model.id, &gates, seen.owner.as_deref(), &identity, now);
                for i in &matched.used {
                    used[*i] = true;
                }
                for (finding, m) in model.findings.iter_mut().zip(&matched.per_finding) {
                    match m {
                        Matched::Valid(w) => finding.waived = Some((*w).clone()),
                        Matched::Expired(w) => {
                            finding.message.push_str(&format!(
                                " (the waiver at {}:{} expired on {})",
                                w.path, w.line, w.expires
                            ));
                            finding.expired_waiver = Some((*w).clone());
                        }
                        Matched::Nothing => {}
                    }
                }
                let failed = !errs.is_empty() || !matched.errors.is_empty();
                model.decision = crate::verdict::decide(&model.findings, failed);
                errors.extend(errs);
                errors.extend(matched.errors);
                models.push(model);
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
    models.extend(removed_models);
    // A waiver that matched nothing is stale, but only if it is for a model that was judged:
    // it may be for one this run did not check.
    let stale_waivers = waivers
        .waivers
        .iter()
        .zip(&used)
        .filter(|(w, used)| {
            !**used
                && models
                    .iter()
                    .any(|m| crate::waivers::glob_matches(&w.model, &m.id))
        })
        .map(|(w, _)| w.clone())
        .collect();

    if no_card && errors.is_empty() && removed.is_empty() && models.is_empty() {
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
            InputError::new(
                None,
                CardError::Missing(format!("no model card found in {place}")),
            )
                .with_help("a card is a `model-card.yaml|yml|json`, or a Markdown file whose front matter has a `governance` block (or a key only a model card has: `model-index`, `base_model`, `library_name`, `pipeline_tag`); name a card file to check it even without one"),
        );
    }
    if let Some(g) = &options.governance
        && !g.protected_by_flag
        && evidence
            .event
            .as_ref()
            .is_some_and(|e| e.name.starts_with("pull_request"))
    {
        warnings.insert(0, Warning {
            message: format!("no protected ref was named, so the policy pack, the waivers and the configuration were read from the pull request itself, which can edit them: pass the base branch in full (`{} refs/remotes/origin/<base>`; the action does) so that a change is judged by configuration it has not changed", setting::name(Setting::ProtectedRef)),
            path: None,
            line: None,
        });
    }

    let mut report = Report::with_removed(
        Judged {
            action: options.request.action,
            environment: options.request.environment.clone(),
            now: options.request.now,
            policies: pack.origin.clone(),
        },
        models,
        skipped,
        removed,
        evidence.change.as_ref().map(|c| ChangeSummary {
            base: c.base.clone(),
            base_ref: RefUsed {
                given: c.base_ref.given.clone(),
                full: c.base_ref.full.clone(),
                commit: c.base_ref.commit.clone(),
            },
            merge_base: c.merge_base.clone(),
            files: c.files.len(),
            policies_changed: evidence.policies_changed,
        }),
        errors,
    );
    report.protected = options
        .governance
        .as_ref()
        .and_then(|g| g.protected())
        .map(|r| RefUsed {
            given: r.given.clone(),
            full: r.full.clone(),
            commit: r.commit.clone(),
        });
    // A re-levelled gate is said in every output, never silent, and first: outputs that
    // bound how many warnings they show (GitHub's annotations) show these.
    let mut said: Vec<Warning> = pack
        .relevelled
        .iter()
        .map(|r| Warning {
            message: crate::relevel::describe(r),
            path: None,
            line: None,
        })
        .collect();
    said.extend(warnings);
    report.warnings = said;
    report.evidence = evidence.notes();
    report.rules = pack.gates.iter().map(Gate::rule).collect();
    report.relevelled = pack.relevelled.clone();
    report.stale_waivers = stale_waivers;
    report.add_ungoverned(ungoverned);
    report
}
