//! `aimsgate validate`: the pack against its schema, strictly, with its warnings.

use std::io::{IsTerminal, Write};

use aimsgate::error::InputError;
use aimsgate::render::human;
use aimsgate::report::counted;

use super::{Exit, PackArgs, setup, style};

#[derive(Debug, clap::Args)]
pub(crate) struct ValidateArgs {
    #[command(flatten)]
    pub(crate) pack: PackArgs,
    /// Exit 1 when there are warnings.
    #[arg(long)]
    pub(crate) deny_warnings: bool,
}

pub(crate) fn run(args: &ValidateArgs) -> Result<Exit, Vec<InputError>> {
    let (_, pack) = setup(&args.pack)?;
    let mut out = std::io::stdout().lock();
    let style = style(std::io::stdout().is_terminal());
    for w in &pack.warnings {
        let _ = human::render_warning(w, &mut out, style);
    }
    let _ = writeln!(
        out,
        "{}: {} ({}, {}) validate against the schema in strict mode; {}",
        pack.origin,
        counted(pack.policies.num_of_policies(), "policy", "policies"),
        counted(pack.gates.len(), "gate", "gates"),
        counted(pack.permits.len(), "permit", "permits"),
        counted(pack.warnings.len(), "warning", "warnings")
    );
    if args.deny_warnings && !pack.warnings.is_empty() {
        Ok(Exit::Blocked)
    } else {
        Ok(Exit::Allowed)
    }
}
