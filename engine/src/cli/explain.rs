//! `aimsgate explain`: what a gate checks and how to satisfy it.

use aimsgate::error::{ArgError, InputError};

use super::{Exit, PackArgs, setup, written};

#[derive(Debug, clap::Args)]
pub(crate) struct ExplainArgs {
    /// The gate id, e.g. `bias-tests-passed`.
    pub(crate) gate: String,
    #[command(flatten)]
    pub(crate) pack: PackArgs,
}

pub(crate) fn run(args: &ExplainArgs) -> Result<Exit, Vec<InputError>> {
    let (_, pack) = setup(&args.pack)?;
    let Some(gate) = pack.gate(&args.gate) else {
        // The closest id when one is a slip away; else those sharing a word with it.
        let closest = pack
            .gates
            .iter()
            .map(|g| (strsim::levenshtein(&g.id, &args.gate), g.id.as_str()))
            .min()
            .filter(|(d, _)| *d <= 3)
            .map(|(_, id)| id);
        let near: Vec<&str> = match closest {
            Some(id) => vec![id],
            None => pack
                .gates
                .iter()
                .map(|g| g.id.as_str())
                .filter(|id| id.split('-').any(|w| w.len() > 3 && args.gate.contains(w)))
                .collect(),
        };
        let mut e = InputError::new(
            None,
            ArgError::Value(format!("the policy pack has no gate `{}`", args.gate)),
        );
        e = e.with_help(if near.is_empty() {
            format!(
                "the gates are: {}",
                pack.gates
                    .iter()
                    .map(|g| g.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else {
            format!("did you mean {}?", near.join(" or "))
        });
        return Err(vec![e]);
    };
    written(|out| aimsgate::render::explain::render(gate, out))?;
    Ok(Exit::Allowed)
}
