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
        let near = pack.gates_near(&args.gate);
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
    let relevelled = pack.relevelled.iter().find(|r| r.gate == gate.id);
    written(|out| aimsgate::render::explain::render(gate, relevelled, out))?;
    Ok(Exit::Allowed)
}
