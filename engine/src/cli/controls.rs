//! `aimsgate controls`: the Statement of Applicability.

use std::path::PathBuf;

use clap::ValueEnum;

use aimsgate::error::{ConfigError, InputError};

use super::{Exit, PackArgs, setup_with, written};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SoaFormat {
    Markdown,
    Csv,
    Json,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ControlsArgs {
    #[command(flatten)]
    pub(crate) pack: PackArgs,
    /// The organisation's decisions (default: .aimsgate/soa.yaml under the repository root, if it exists).
    #[arg(long, value_name = "FILE")]
    pub(crate) soa: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "markdown")]
    pub(crate) format: SoaFormat,
    /// Exit 1 when a control is neither covered by a gate nor justified.
    #[arg(long)]
    pub(crate) fail_on_gaps: bool,
}

pub(crate) fn run(args: &ControlsArgs) -> Result<Exit, Vec<InputError>> {
    let mut flags = args.pack.flags();
    flags.soa = args.soa.clone();
    let (_, governance, pack) = setup_with(&flags)?;
    let (file, required) = &governance.soa;
    let decisions = match governance.read(file) {
        Ok(Some(f)) => aimsgate::soa::read_decisions(&f.shown, &f.text)?,
        Ok(None) if !required => Vec::new(),
        Ok(None) => {
            return Err(vec![InputError::new(
                Some(&file.to_string_lossy()),
                ConfigError::Place("the statement does not exist".into()),
            )]);
        }
        Err(e) => return Err(e),
    };
    let rows = aimsgate::soa::statement(&pack, &decisions);
    written(|out| match args.format {
        SoaFormat::Markdown => aimsgate::render::soa::markdown(&rows, out),
        SoaFormat::Csv => aimsgate::render::soa::csv(&rows, out),
        SoaFormat::Json => aimsgate::render::soa::json(&rows, out),
    })?;
    if args.fail_on_gaps && rows.iter().any(|r| r.status == "gap") {
        Ok(Exit::Blocked)
    } else {
        Ok(Exit::Allowed)
    }
}
