//! `aimsgate check` as a library call: discover cards, keep those the change touches, evaluate
//! each against the pack, apply the waivers the protected configuration grants, account for
//! the cards the change removed, and gather the verdicts into one [`Report`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use git2::Repository;

use crate::card::{self, Keys};
use crate::config::Governance;
use crate::discover::{self, Loaded};
use crate::error::{CardError, ConfigError, EvidenceError, InputError};
use crate::evaluate::{Evaluator, RequestSpec};
use crate::evidence::Evidence;
use crate::pack::Gate;
use crate::pack::Pack;
use crate::report::{
    ChangeSummary, Finding, Judged, ModelReport, RefUsed, Report, Skipped, Warning, short,
};
use crate::span::Span;
use crate::waivers::{Identity, Matched, Waivers};

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
/// and where it is, to name duplicates; its owner, for the waivers.
struct Seen {
    id: String,
    path: String,
    source: Arc<str>,
    anchor: Span,
    owner: Option<String>,
}

/// What became of one candidate file.
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
) -> Outcome {
    let card = match candidate.load(keys, budget) {
        Ok(Loaded::Card(card)) => card,
        Ok(Loaded::NotACard { changed }) => return Outcome::NotACard { changed },
        Err(errors) => return Outcome::Unreadable(errors),
    };
    let seen = Seen {
        id: card.model_id.clone(),
        path: card.path.clone(),
        source: Arc::clone(&card.source),
        anchor: card.anchor,
        owner: card.governance.owner.clone(),
    };
    if !wanted(&card.path, evidence) {
        return Outcome::Skipped(seen);
    }
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
    let opaque = options
        .governance
        .as_ref()
        .map(|g| g.config.submodules_without_cards.clone())
        .unwrap_or_default();
    let (candidates, mut errors) =
        discover::candidates(&options.cwd, &root, &options.paths, &opaque);
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
    let budget = discover::Budget::default();
    let outcomes = spread(&candidates, |c| {
        judge(c, evaluator.as_ref().ok(), keys, evidence, &budget)
    });
    let repo = Repository::open(&root).ok();

    let mut cards: Vec<&Seen> = Vec::new();
    for (outcome, candidate) in outcomes.iter().zip(&candidates) {
        match outcome {
            Outcome::NotACard { changed: true } => {
                errors.extend(committed_card(candidate, keys));
            }
            Outcome::NotACard { .. } => {}
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
                    CardError::Id(format!(
                        "model id `{}` is also the id of `{first}`: findings and waivers would be ambiguous",
                        card.id
                    )),
                )
                .with_help("give each model a distinct `governance.id`"),
            );
        }
    }
    let no_card = cards.is_empty();
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
            message: "no protected ref was named, so the policy pack, the waivers and the configuration were read from the pull request itself, which can edit them: pass the base branch in full (`--protected-ref refs/remotes/origin/<base>`; the action does) so that a change is judged by configuration it has not changed".into(),
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
    report.warnings = warnings;
    report.evidence = evidence.notes();
    report.rules = pack.gates.iter().map(Gate::rule).collect();
    report.stale_waivers = stale_waivers;
    report
}

/// For a tracked file that is not a card in the work tree but whose bytes are not its
/// committed blob: if the committed version is a card, the checkout hides it (an encoding or
/// filter in `.gitattributes`), or the card was edited to stop being one — an error either
/// way, never "not a card".
fn committed_card(candidate: &discover::Candidate, keys: &Keys) -> Option<InputError> {
    let tracked = candidate.tracked.as_ref()?;
    let repo = Repository::open(tracked.repo.as_path()).ok()?;
    let blob = repo.find_blob(tracked.blob).ok()?;
    let text = std::str::from_utf8(blob.content()).ok()?;
    let was_card = matches!(
        card::parse(
            &candidate.shown,
            Arc::from(text),
            card::Format::of(&candidate.file),
            false,
            "model",
            keys,
        ),
        Ok(Some(_)) | Err(_)
    );
    was_card.then(|| {
        InputError::new(
            Some(&candidate.shown),
            CardError::Encoding("the file in the work tree is not a model card, but the version git has committed is one: a `.gitattributes` encoding or filter changes it on checkout, or it was edited and not committed".into()),
        )
        .with_help("cards are judged as git holds them: remove the `working-tree-encoding` or filter for cards, or commit the change (removing a card's governance block is itself reported)")
    })
}

/// The id the card at `path` has in the tree of `commit`: `Ok(None)` when there is no file
/// there (a new model), `Err` when it cannot be read as a card.
fn id_at(
    repo: &Repository,
    commit: &str,
    path: &str,
    keys: &Keys,
) -> Result<Option<String>, EvidenceError> {
    let git = |e: git2::Error| EvidenceError::Git(e.message().to_string());
    let tree = git2::Oid::from_str(commit)
        .and_then(|oid| repo.find_commit(oid))
        .and_then(|c| c.tree())
        .map_err(git)?;
    let entry = match tree.get_path(Path::new(path)) {
        Ok(e) => e,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
        Err(e) => return Err(git(e)),
    };
    let blob = repo.find_blob(entry.id()).map_err(git)?;
    let text = std::str::from_utf8(blob.content())
        .map_err(|_| EvidenceError::Git(format!("`{path}` is not UTF-8 at {commit}")))?;
    let file = Path::new(path);
    let source: Arc<str> = Arc::from(text);
    Ok(card::identify(
        path,
        &source,
        card::Format::of(file),
        &folder_of(file),
        keys,
    )
    .map(|(id, _)| id))
}

/// The name of a file's folder: a card's id when it declares none.
fn folder_of(file: &Path) -> String {
    file.parent()
        .and_then(Path::file_name)
        .map_or_else(|| "model".to_string(), |n| n.to_string_lossy().into_owned())
}

/// The cards the change removed: every file that was a card at the merge base, changed in the
/// change, and is not a card now. While its folder still holds tracked files (or a submodule)
/// the model is blocked (`card-removed`); so it is when the folder went but its files moved
/// to a folder with no card. With its folder gone, it is listed as removed.
fn removed_cards(
    repo: &Repository,
    change: &crate::evidence::ChangeSet,
    present: &std::collections::HashSet<&str>,
    keys: &Keys,
) -> (Vec<ModelReport>, Vec<Skipped>) {
    let mut blocked = Vec::new();
    let mut gone = Vec::new();
    let root = repo.workdir().map(Path::to_path_buf).unwrap_or_default();
    for before in &change.before {
        let path = &before.path;
        let name = path.rsplit('/').next().unwrap_or(path);
        if !discover::card_name(name) || present.contains(path.as_str()) {
            continue;
        }
        // The blob is in the repository's objects, or in the submodule's it was inside.
        let owner = match &before.submodule {
            None => None,
            Some(sub) => match Repository::open(root.join(sub)) {
                Ok(r) => Some(r),
                Err(_) => continue,
            },
        };
        let odb = owner.as_ref().unwrap_or(repo);
        let Ok(blob) = odb.find_blob(before.blob) else {
            continue;
        };
        let Ok(text) = std::str::from_utf8(blob.content()) else {
            continue;
        };
        let file = Path::new(path);
        let source: Arc<str> = Arc::from(text);
        let Some((id, anchor)) = card::identify(
            path,
            &source,
            card::Format::of(file),
            &folder_of(file),
            keys,
        ) else {
            continue;
        };
        let folder = path.rsplit_once('/').map_or("", |(f, _)| f);
        let now_what = if root.join(path).exists() {
            "is no longer a model card"
        } else {
            "was deleted"
        };
        let base = short(&change.merge_base);
        // Where the model's files are now: still in the folder (in its repository's index,
        // the submodule's for a card inside one), or moved elsewhere unchanged.
        let (index_repo, inner_folder) = match &before.submodule {
            Some(sub) => (
                owner.as_ref(),
                folder
                    .strip_prefix(sub.as_str())
                    .map(|f| f.trim_start_matches('/')),
            ),
            None => (Some(repo), Some(folder)),
        };
        let remains = match (index_repo.and_then(|r| r.index().ok()), inner_folder) {
            (Some(index), Some(inner)) => holds_files(&index, inner),
            _ => false,
        };
        let moved_to: std::collections::BTreeSet<&str> = change
            .moved
            .iter()
            .filter(|(from, _)| folder.is_empty() || from.starts_with(&format!("{folder}/")))
            .map(|(_, to)| to.rsplit_once('/').map_or("", |(f, _)| f))
            .collect();
        let card_where_moved = moved_to.iter().any(|dest| {
            present
                .iter()
                .any(|p| p.rsplit_once('/').map_or("", |(f, _)| f) == *dest)
        });
        let holder = if folder.is_empty() {
            "the repository".to_string()
        } else {
            format!("`{folder}/`")
        };
        let message = if remains {
            Some(format!(
                "`{path}` was the card of model `{id}` at the merge base {base} and {now_what} in this change, while {holder} still holds the model's files"
            ))
        } else if !moved_to.is_empty() && !card_where_moved {
            Some(format!(
                "`{path}` was the card of model `{id}` at the merge base {base} and {now_what} in this change, while the files of {holder} moved to {} with no model card there",
                moved_to
                    .iter()
                    .map(|d| format!("`{d}/`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        } else {
            None
        };
        match message {
            Some(message) => blocked.push(ModelReport {
                id,
                path: path.clone(),
                decision: crate::report::Decision::Blocked,
                findings: vec![Finding::card_removed(path, anchor, message)],
                source,
            }),
            None => gone.push(Skipped {
                id,
                path: path.clone(),
                reason: if moved_to.is_empty() {
                    format!("the card and its folder were removed since the merge base {base}")
                } else {
                    format!(
                        "the card and its folder were moved since the merge base {base}, to {}",
                        moved_to.iter().copied().collect::<Vec<_>>().join(", ")
                    )
                },
            }),
        }
    }
    (blocked, gone)
}

/// Whether the index lists anything in `folder` (or the folder itself, as a submodule);
/// everything, for the repository's root.
fn holds_files(index: &git2::Index, folder: &str) -> bool {
    let inside = format!("{folder}/");
    index.iter().any(|e| {
        let p = String::from_utf8_lossy(&e.path);
        folder.is_empty() || p == folder || p.starts_with(&inside)
    })
}
