//! `aimsgate check` as a library call: discover cards, evaluate each against the pack, and
//! gather the verdicts into one [`Report`].

use std::collections::HashMap;
use std::path::PathBuf;

use crate::discover;
use crate::error::InputError;
use crate::evaluate::{Evaluator, RequestSpec};
use crate::pack::Pack;
use crate::report::Report;

/// What to check and how.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Files and directories; empty means the repository containing `cwd`.
    pub paths: Vec<PathBuf>,
    pub request: RequestSpec,
    pub cwd: PathBuf,
}

/// Runs the check. Never fails: whatever could not be read or evaluated is in the report's
/// errors, and makes its decision [`crate::report::Decision::Error`].
pub fn check(pack: &Pack, options: &CheckOptions) -> Report {
    let root = discover::repository_root(&options.cwd);
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

    let mut models = Vec::new();
    match Evaluator::new(pack, &options.request) {
        Ok(evaluator) => {
            for card in &cards {
                let (model, errs) = evaluator.evaluate(card);
                models.push(model);
                errors.extend(errs);
            }
        }
        Err(e) => errors.push(*e),
    }

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

    Report::new(
        options.request.action,
        options.request.environment.clone(),
        options.request.now,
        pack.origin.clone(),
        models,
        errors,
    )
}
