//! `aimsgate inventory`: the AI system register, with each model's latest recorded decision
//! and the model files no card covers.

use std::path::PathBuf;

use clap::ValueEnum;

use aimsgate::error::InputError;

use super::{Exit, PackArgs, setup_with, written};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum InventoryFormat {
    Markdown,
    Csv,
    Json,
}

#[derive(Debug, clap::Args)]
pub(crate) struct InventoryArgs {
    /// Cards or directories (default: the cards of the current repository).
    #[arg(value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) pack: PackArgs,
    /// Decision records to take each model's latest decision from (a `check --record` file);
    /// the git notes under refs/notes/aimsgate are read too, when there are any.
    #[arg(long, value_name = "FILE")]
    pub(crate) record: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "markdown")]
    pub(crate) format: InventoryFormat,
}

pub(crate) fn run(args: &InventoryArgs) -> Result<Exit, Vec<InputError>> {
    let (cwd, governance, pack) = setup_with(&args.pack.flags())?;
    let mut records = Vec::new();
    let mut errors = Vec::new();
    if let Some(file) = &args.record {
        match aimsgate::record::read_file(&cwd.join(file)) {
            Ok(r) => records.extend(r.records),
            // The error names the file.
            Err(e) => errors.push(InputError::new(None, e)),
        }
    }
    if governance.root.join(".git").exists() {
        // No notes is no record; notes that cannot be read are said, never passed over.
        match aimsgate::record::read_notes(&governance.root) {
            Ok(notes) => records.extend(notes.records),
            Err(e) => errors.push(InputError::new(None, e)),
        }
    }
    let mut inventory = aimsgate::inventory::inventory(
        &cwd,
        &governance.root,
        &args.paths,
        &pack.card_keys,
        &governance.config.submodules_without_cards,
        &records,
    );
    inventory.errors.extend(errors);
    let failed = !inventory.errors.is_empty();
    written(|out| match args.format {
        InventoryFormat::Markdown => aimsgate::render::inventory::markdown(&inventory, out),
        InventoryFormat::Csv => aimsgate::render::inventory::csv(&inventory, out),
        InventoryFormat::Json => aimsgate::render::inventory::json(&inventory, out),
    })?;
    if failed {
        // Listed in the register (JSON, Markdown); said on standard error for every format.
        super::fail(&inventory.errors);
        Ok(Exit::Error)
    } else {
        Ok(Exit::Allowed)
    }
}
