//! The AI system register an ISO/IEC 42001 auditor asks for first: one row per model found
//! (the same discovery as `check`), what its card says of ownership, risk, impact assessment,
//! bias tests, monitoring and incidents, its latest recorded decision, and the model files in
//! the repository that no card covers. Cards that cannot be read are errors, never dropped.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::artifacts::{self, ModelFile};
use crate::card::{Card, Keys};
use crate::discover::{self, Loaded};
use crate::error::InputError;
use crate::record::Record;

/// The columns of a row, in order: the names of the JSON keys and of the CSV header.
pub const COLUMNS: [&str; 17] = [
    "id",
    "card",
    "version",
    "owner",
    "risk_tier",
    "intended_use",
    "impact_assessment",
    "impact_assessment_reference",
    "impact_assessment_approved_on",
    "bias_tests_evaluated_on",
    "bias_tests_model_version",
    "monitoring_owner",
    "incident_contact",
    "last_decision",
    "last_decision_at",
    "last_action",
    "last_environment",
];

/// One model: a value (or nothing) per column of [`COLUMNS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row(pub [Option<String>; 17]);

impl Row {
    /// The value of a column by name.
    pub fn get(&self, column: &str) -> Option<&str> {
        let i = COLUMNS.iter().position(|c| *c == column)?;
        self.0[i].as_deref()
    }

    fn of(card: &Card, last: Option<(&Record, &str)>) -> Row {
        let g = &card.governance;
        let ia = g.impact_assessment.as_ref();
        let bias = g.bias_tests.as_ref();
        Row([
            Some(card.model_id.clone()),
            Some(card.path.clone()),
            g.version.clone(),
            g.owner.clone(),
            g.risk_tier.map(|t| t.as_str().to_string()),
            g.intended_use.clone(),
            ia.and_then(|a| a.status).map(|s| s.as_str().to_string()),
            ia.and_then(|a| a.reference.clone()),
            ia.and_then(|a| a.approved_on).map(|d| d.to_string()),
            bias.and_then(|b| b.evaluated_on).map(|d| d.to_string()),
            bias.and_then(|b| b.model_version.clone()),
            g.monitoring.as_ref().and_then(|m| m.owner.clone()),
            g.incident_contact.clone(),
            last.map(|(_, decision)| decision.to_string()),
            last.map(|(r, _)| r.recorded_at.clone()),
            last.map(|(r, _)| r.action.clone()),
            last.and_then(|(r, _)| r.environment.clone()),
        ])
    }
}

/// The register.
#[derive(Debug, Clone)]
pub struct Inventory {
    /// When it was drawn.
    pub generated_at: crate::date::Instant,
    /// The commit it was drawn from (HEAD), when in a git repository.
    pub commit: Option<String>,
    /// Sorted by card path.
    pub models: Vec<Row>,
    /// Model files no card covers, sorted by path.
    pub ungoverned: Vec<ModelFile>,
    pub errors: Vec<InputError>,
}

/// The register of the models under `paths` (the repository when empty), with each model's
/// latest decision among `records`.
pub fn inventory(
    cwd: &Path,
    root: &Path,
    paths: &[PathBuf],
    keys: &Keys,
    opaque: &[String],
    records: &[Record],
) -> Inventory {
    let (candidates, mut errors) = discover::candidates(cwd, root, paths, opaque);
    let budget = discover::Budget::default();
    let mut cards = Vec::new();
    for candidate in &candidates {
        match candidate.load(keys, &budget) {
            Ok(Loaded::Card(card)) => cards.push(card),
            Ok(Loaded::NotACard { .. }) => {}
            Err(e) => errors.extend(e),
        }
    }
    let mut by_id: HashMap<&str, &str> = HashMap::new();
    for card in &cards {
        if let Some(first) = by_id.insert(&card.model_id, &card.path) {
            errors.push(crate::card::duplicate_id(
                &card.path,
                Some(&card.source),
                card.anchor,
                &card.model_id,
                first,
                "the register would list one system twice",
            ));
        }
    }
    let mut models: Vec<Row> = cards
        .iter()
        .map(|card| Row::of(card, latest(records, &card.model_id)))
        .collect();
    models.sort_by(|a, b| a.get("card").cmp(&b.get("card")));
    let files = match artifacts::scope(cwd, paths) {
        Some(scope) => artifacts::model_files(root, &scope),
        // Only card files named: no folder to look in.
        None => Ok(Vec::new()),
    };
    let ungoverned = match files {
        Ok(files) => {
            let card_paths: Vec<&str> = cards.iter().map(|c| c.path.as_str()).collect();
            artifacts::ungoverned(&files, &card_paths)
                .into_iter()
                .cloned()
                .collect()
        }
        Err(e) => {
            errors.push(e);
            Vec::new()
        }
    };
    errors.sort_by_key(InputError::message);
    Inventory {
        generated_at: crate::date::Instant::now(),
        commit: git2::Repository::open(root).ok().and_then(|r| {
            let id = r.head().ok()?.peel_to_commit().ok()?.id();
            Some(id.to_string())
        }),
        models,
        ungoverned,
        errors,
    }
}

/// The most recent record (by `recorded_at`) that judged model `id`, and its decision there.
fn latest<'r>(records: &'r [Record], id: &str) -> Option<(&'r Record, &'r str)> {
    records
        .iter()
        .filter_map(|r| {
            r.models
                .iter()
                .find(|m| m.id == id)
                .map(|m| (r, m.decision.as_str()))
        })
        .max_by(|a, b| a.0.recorded_at.cmp(&b.0.recorded_at))
}
