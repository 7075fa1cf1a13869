//! `aimsgate init`: a governance block, a workflow and a copy of the pack, every target checked
//! before anything is written.

use std::io::Write;
use std::path::PathBuf;

use aimsgate::error::InputError;

use super::{Exit, current_dir};

#[derive(Debug, clap::Args)]
pub(crate) struct InitArgs {
    /// An existing card to add the governance block to (default: write ./model-card.yaml,
    /// unless only --policies is asked for).
    pub(crate) card: Option<PathBuf>,
    /// Copy the default policy pack and its tests into ./policies for customisation, and write
    /// .aimsgate/config.yaml so that every subcommand uses it.
    #[arg(long)]
    pub(crate) policies: bool,
    /// Do not write .github/workflows/aimsgate.yml.
    #[arg(long)]
    pub(crate) no_workflow: bool,
    /// Overwrite files that exist.
    #[arg(long)]
    pub(crate) force: bool,
}

pub(crate) fn run(args: &InitArgs) -> Result<Exit, Vec<InputError>> {
    let cwd = current_dir()?;
    let options = aimsgate::init::Options {
        card: args.card.clone(),
        // A new card is written unless one is named, or only the pack was asked for.
        new_card: args.card.is_none() && !args.policies,
        workflow: !args.no_workflow,
        policies: args.policies,
        force: args.force,
    };
    let writes = match aimsgate::init::plan(&cwd, &options) {
        Ok(w) => w,
        Err(errors) => {
            let mut errors: Vec<InputError> = errors
                .into_iter()
                .map(|e| InputError::new(None, e))
                .collect();
            if let Some(last) = errors.pop() {
                errors.push(last.with_help("nothing was written"));
            }
            return Err(errors);
        }
    };
    let (done, failed) = match aimsgate::init::apply(writes) {
        Ok(done) => (done, None),
        Err((done, e)) => (done, Some(e)),
    };
    let mut out = std::io::stdout().lock();
    for d in &done {
        let shown = d.path.strip_prefix(&cwd).unwrap_or(&d.path);
        let _ = writeln!(out, "{}: {}", shown.display(), d.what);
    }
    if let Some(e) = failed {
        return Err(vec![InputError::new(None, e)]);
    }
    let next = match (options.new_card || options.card.is_some(), args.policies) {
        (true, true) => {
            "fill in the governance block, edit policies/, then run `aimsgate validate`, `aimsgate test` and `aimsgate check` (.aimsgate/config.yaml makes them use policies/)"
        }
        (true, false) => "fill in the governance block, then run `aimsgate check`",
        (false, _) => {
            "edit policies/, then run `aimsgate validate`, `aimsgate test` and `aimsgate check` (.aimsgate/config.yaml makes them use policies/)"
        }
    };
    let _ = writeln!(out, "next: {next}");
    Ok(Exit::Allowed)
}
