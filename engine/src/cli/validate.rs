//! `aimsgate validate`: the pack against its schema, strictly, with its warnings.

use std::io::IsTerminal;

use aimsgate::error::InputError;

use super::{Exit, PackArgs, setup_in_full, style, written};

#[derive(Debug, clap::Args)]
pub(crate) struct ValidateArgs {
    #[command(flatten)]
    pub(crate) pack: PackArgs,
    /// Exit 1 when there are warnings.
    #[arg(long)]
    pub(crate) deny_warnings: bool,
}

pub(crate) fn run(args: &ValidateArgs) -> Result<Exit, Vec<InputError>> {
    let (_, pack) = setup_in_full(&args.pack)?;
    let style = style(std::io::stdout().is_terminal());
    written(|out| {
        aimsgate::render::validate::render(&pack, out, style)?;
        for r in &pack.relevelled {
            writeln!(out, "note: {}", aimsgate::relevel::describe(r))?;
        }
        Ok(())
    })?;
    if args.deny_warnings && !pack.warnings.is_empty() {
        Ok(Exit::Blocked)
    } else {
        Ok(Exit::Allowed)
    }
}
