//! The `aimsgate` command line: each subcommand's arguments and run, in a module of its own;
//! what they share here. Runs return their errors; `main` renders them once.

pub(crate) mod attest;
pub(crate) mod check;
pub(crate) mod controls;
pub(crate) mod emit;
pub(crate) mod explain;
pub(crate) mod init;
pub(crate) mod inventory;
pub(crate) mod log;
pub(crate) mod test;
pub(crate) mod validate;
pub(crate) mod verify;
pub(crate) mod verify_attestation;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use check::CheckArgs;
use controls::ControlsArgs;
use explain::ExplainArgs;
use init::InitArgs;
use log::LogArgs;
use test::TestArgs;
use validate::ValidateArgs;
use verify::VerifyArgs;

use aimsgate::config::{Flags, Governance};
use aimsgate::error::{InputError, IoError};
use aimsgate::pack::Pack;
use aimsgate::render::human;
use aimsgate::report::Decision;
use aimsgate::setting::Setting;

/// Exit codes, documented in the README. Nothing that could not be evaluated exits 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    /// Every model allowed (warnings may be present).
    Allowed = 0,
    /// At least one model blocked by a gate.
    Blocked = 1,
    /// Something could not be evaluated: input, policy or argument error. Wins over 1.
    Error = 2,
}

impl From<Decision> for Exit {
    fn from(d: Decision) -> Exit {
        match d {
            Decision::Allowed => Exit::Allowed,
            Decision::Blocked => Exit::Blocked,
            Decision::Error => Exit::Error,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "aimsgate",
    version,
    about = "Policy-as-code gate for AI systems: ISO/IEC 42001 controls as Cedar policies over model cards",
    after_help = "Exit codes: 0 allowed (warnings may be present), 1 blocked, 2 could not evaluate."
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
#[expect(
    clippy::large_enum_variant,
    reason = "parsed once per process; boxing would only obscure the clap definitions"
)]
pub(crate) enum Command {
    /// Evaluate model cards against the policy pack.
    Check(CheckArgs),
    /// What a gate checks, its controls, when it applies, and how to satisfy it.
    Explain(ExplainArgs),
    /// The Statement of Applicability: Annex A controls × gates × the organisation's decisions.
    Controls(ControlsArgs),
    /// Validate the policy pack against its schema (strict), and warn about weak annotations.
    Validate(ValidateArgs),
    /// Run policy unit tests: cards, requests and evidence with their expected decisions.
    Test(TestArgs),
    /// Add a governance block to a card (or write model-card.yaml), an example workflow, and
    /// with --policies a copy of the default pack to customise.
    Init(InitArgs),
    /// The AI system register: every model found, its owner, risk tier, impact assessment,
    /// bias tests, monitoring and latest recorded decision, and the model files no card covers.
    Inventory(inventory::InventoryArgs),
    /// List past decisions recorded as git notes (refs/notes/aimsgate).
    Log(LogArgs),
    /// Prove with the cvc5 SMT solver that every gate never errors, can fire, and is not a
    /// blanket deny, and that organisation properties hold.
    Verify(VerifyArgs),
    /// Verify a signed decision (`check --attest DIR --signing-key KEY`) at deploy time: the
    /// signature, the action and environment judged, its age, its waivers, and that the files
    /// deployed are its subjects. Exit 0 allows, 1 refuses, 2 cannot verify.
    VerifyAttestation(verify_attestation::VerifyAttestationArgs),
}

/// Where the policy pack and the governance configuration come from.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct PackArgs {
    /// A policy pack directory instead of the embedded one (or the configuration's `policies`).
    #[arg(long, value_name = "DIR")]
    pub(crate) policies: Option<PathBuf>,
    /// The protected ref (for example `refs/remotes/origin/main`): the pack, the waivers, the
    /// statement and `.aimsgate/config.yaml` are read from its tree, never from the working
    /// tree, so a change cannot loosen the gate that judges it. A name that matches more than
    /// one ref is an error.
    #[arg(long, visible_alias = "policies-ref", value_name = "GIT_REF")]
    pub(crate) protected_ref: Option<String>,
}

impl PackArgs {
    fn flags(&self) -> Flags {
        Flags {
            policies: self.policies.clone(),
            protected_ref: self.protected_ref.clone(),
            waivers: None,
            soa: None,
        }
    }
}

/// How the command line spells each setting the library's messages name (see
/// `aimsgate::setting`): the flags below and in `check.rs`.
pub(crate) fn flag(setting: Setting) -> &'static str {
    match setting {
        Setting::Policies => "--policies",
        Setting::ProtectedRef => "--protected-ref",
        Setting::ChangedSince => "--changed-since",
        Setting::DefaultBranch => "--default-branch",
        Setting::Repo => "--repo",
        Setting::GithubToken => "--github-token",
        Setting::RecordGitNote => "--record-git-note",
        Setting::Attest => "--attest",
        Setting::AttestMaxBytes => "--attest-max-bytes",
        _ => "a setting",
    }
}

pub(crate) fn style(terminal: bool) -> human::Style {
    let width = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|w: &usize| *w >= 40)
        .unwrap_or(100);
    human::Style {
        color: terminal && std::env::var_os("NO_COLOR").is_none(),
        width,
    }
}

/// What a subcommand wrote to standard output, flushed; a write that fails is an error (exit 2),
/// never a silent pass.
pub(crate) fn written(
    draw: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(), Vec<InputError>> {
    let mut out = std::io::stdout().lock();
    draw(&mut out)
        .and_then(|()| std::io::Write::flush(&mut out))
        .map_err(|e| {
            vec![InputError::new(
                None,
                IoError::Write(format!("cannot write: {e}")),
            )]
        })
}

/// Prints errors to standard error; exit 2.
pub(crate) fn fail(errors: &[InputError]) -> Exit {
    let mut err = std::io::stderr().lock();
    let style = style(std::io::stderr().is_terminal());
    for e in errors {
        let _ = human::render_error(e, &mut err, style);
    }
    Exit::Error
}

/// The current directory and the pack the arguments name.
pub(crate) fn setup(pack: &PackArgs) -> Result<(PathBuf, Pack), Vec<InputError>> {
    let (cwd, _, pack) = setup_with(&pack.flags())?;
    Ok((cwd, pack))
}

/// The current directory and the pack the arguments name, with every check run on it.
pub(crate) fn setup_in_full(pack: &PackArgs) -> Result<(PathBuf, Pack), Vec<InputError>> {
    let cwd = current_dir()?;
    let governance = Governance::resolve(&cwd, &pack.flags())?;
    Ok((cwd, governance.load_pack_in_full()?))
}

/// The current directory, the governance set-up and the pack it names.
pub(crate) fn setup_with(flags: &Flags) -> Result<(PathBuf, Governance, Pack), Vec<InputError>> {
    let cwd = current_dir()?;
    let governance = Governance::resolve(&cwd, flags)?;
    let pack = governance.load_pack()?;
    Ok((cwd, governance, pack))
}

pub(crate) fn current_dir() -> Result<PathBuf, Vec<InputError>> {
    std::env::current_dir().map_err(|e| {
        vec![InputError::new(
            None,
            IoError::Read(format!("cannot read the current directory: {e}")),
        )]
    })
}

pub(crate) fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.trim().is_empty())
}
