//! `aimsgate log`: the decisions recorded in git notes or a records file, filtered.

use std::path::PathBuf;

use clap::ValueEnum;

use aimsgate::error::{ArgError, InputError};
use aimsgate::render::human;

use super::{Exit, current_dir, written};

#[derive(Debug, clap::Args)]
pub(crate) struct LogArgs {
    /// Only this model.
    #[arg(long)]
    pub(crate) model: Option<String>,
    /// Only models on which this gate fired.
    #[arg(long)]
    pub(crate) gate: Option<String>,
    /// Only models with this decision.
    #[arg(long, value_enum)]
    pub(crate) decision: Option<DecisionArg>,
    /// Only records of this commit (a prefix of its id).
    #[arg(long)]
    pub(crate) commit: Option<String>,
    /// Read the records of this file (written by `check --record FILE`) instead of the git
    /// notes.
    #[arg(long, value_name = "FILE")]
    pub(crate) record: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "human")]
    pub(crate) format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DecisionArg {
    Allowed,
    Blocked,
    Error,
}

impl DecisionArg {
    fn as_str(self) -> &'static str {
        match self {
            DecisionArg::Allowed => "allowed",
            DecisionArg::Blocked => "blocked",
            DecisionArg::Error => "error",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogFormat {
    Human,
    Json,
}

pub(crate) fn run(args: &LogArgs) -> Result<Exit, Vec<InputError>> {
    if let Some(c) = &args.commit
        && (c.is_empty() || !c.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(vec![InputError::new(
            None,
            ArgError::Value(format!(
                "--commit `{}`: a commit id (or its first digits) is hexadecimal",
                human::escape(c)
            )),
        )]);
    }
    let cwd = current_dir()?;
    let read = match &args.record {
        Some(file) => aimsgate::record::read_file(&cwd.join(file)),
        None => aimsgate::record::read_notes(&cwd),
    };
    let read = match read {
        Ok(r) => r,
        Err(e) => return Err(vec![InputError::new(None, e)]),
    };
    for w in &read.warnings {
        eprintln!("aimsgate: warning: {}", human::escape(w));
    }
    let total = read.records.len();
    let mut rows = Vec::new();
    for mut r in read.records {
        if args
            .commit
            .as_ref()
            .is_some_and(|c| !r.commit.as_deref().unwrap_or("").starts_with(c.as_str()))
        {
            continue;
        }
        r.models.retain(|m| {
            args.model.as_ref().is_none_or(|id| &m.id == id)
                && args.decision.is_none_or(|d| m.decision == d.as_str())
                && args
                    .gate
                    .as_ref()
                    .is_none_or(|g| m.findings.iter().any(|f| &f.gate == g))
        });
        // A run that could not judge (no model, the decision `error`) matches `--decision
        // error`: an error is a decision too, and must never drop out of the log.
        let run_matches = args.model.is_none()
            && args.gate.is_none()
            && args.decision.is_none_or(|d| r.decision == d.as_str());
        if !r.models.is_empty() || run_matches {
            rows.push(r);
        }
    }
    let filtered = args.model.is_some()
        || args.gate.is_some()
        || args.decision.is_some()
        || args.commit.is_some();
    if rows.is_empty() && filtered && total > 0 {
        eprintln!(
            "aimsgate: none of the {total} recorded decisions matches the filters (--model, --gate, --decision and --commit must all match)"
        );
    }
    written(|out| match args.format {
        LogFormat::Json => aimsgate::render::log::json(&rows, out),
        LogFormat::Human => aimsgate::render::log::render(&rows, out),
    })?;
    Ok(Exit::Allowed)
}
