//! `aimsgate init`: a governance block, a workflow and a copy of the pack, every target checked
//! before anything is written.

use std::io::Write;
use std::path::PathBuf;

use aimsgate::error::{InitError, InputError};

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
    let plan = match aimsgate::init::plan(&cwd, &options) {
        Ok(p) => p,
        Err(errors) => {
            let mut errors: Vec<InputError> = errors
                .into_iter()
                .map(|e| {
                    let force = matches!(e, InitError::Exists(_));
                    let e = InputError::new(None, e);
                    if force {
                        e.with_help("pass --force to overwrite it")
                    } else {
                        e
                    }
                })
                .collect();
            if let Some(last) = errors.pop() {
                let help = match &last.help {
                    Some(h) => format!("{h}; nothing was written"),
                    None => "nothing was written".to_string(),
                };
                errors.push(last.with_help(help));
            }
            return Err(errors);
        }
    };
    let (done, failed) = match aimsgate::init::apply(plan.writes) {
        Ok(done) => (done, None),
        Err((done, e)) => (done, Some(e)),
    };
    let shown = |p: &std::path::Path| p.strip_prefix(&cwd).unwrap_or(p).display().to_string();
    let mut out = std::io::stdout().lock();
    for d in &done {
        let _ = writeln!(out, "{}: {}", shown(&d.path), d.what);
    }
    for k in &plan.kept {
        let _ = writeln!(out, "{}: exists, kept (--force rewrites it)", shown(k));
    }
    if let Some(e) = failed {
        return Err(vec![InputError::new(None, e)]);
    }
    let workflow = done
        .iter()
        .any(|d| d.path.ends_with(aimsgate::init::WORKFLOW_PATH));
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
    if workflow {
        let _ = writeln!(
            out,
            "next: in {}, replace OWNER/aimsgate and COMMIT_SHA with where aimsgate's action is and the commit to pin",
            aimsgate::init::WORKFLOW_PATH
        );
    }
    Ok(Exit::Allowed)
}
