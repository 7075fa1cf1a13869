//! The `aimsgate` command line: parses arguments, runs the check, renders the report once and
//! picks the exit code. The only place that prints.

#![allow(
    clippy::print_stderr,
    reason = "the binary is where output is written; the library never prints"
)]

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use aimsgate::check::{CheckOptions, check};
use aimsgate::config::{Flags, Governance};
use aimsgate::date::Instant;
use aimsgate::error::InputError;
use aimsgate::evaluate::RequestSpec;
use aimsgate::evidence::github::Api;
use aimsgate::evidence::{Evidence, GatherOptions, GitHubOptions, Token};
use aimsgate::pack::Pack;
use aimsgate::publish::{self, Level, Target};
use aimsgate::render::{github, human, json, junit, markdown, sarif};
use aimsgate::report::{Action, Decision, Judged, Report, counted};

/// Exit codes, documented in the README. Nothing that could not be evaluated exits 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exit {
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
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
#[expect(
    clippy::large_enum_variant,
    reason = "parsed once per process; boxing would only obscure the clap definitions"
)]
enum Command {
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
    /// List past decisions recorded as git notes (refs/notes/aimsgate).
    Log(LogArgs),
    /// Prove with the cvc5 SMT solver that every gate never errors, can fire, and is not a
    /// blanket deny, and that organisation properties hold.
    Verify(VerifyArgs),
}

#[derive(Debug, clap::Args)]
struct VerifyArgs {
    #[command(flatten)]
    pack: PackArgs,
    /// Cedar policies stating what must hold: whatever the pack allows, they must allow.
    #[arg(long, value_name = "FILE")]
    properties: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct LogArgs {
    /// Only this model.
    #[arg(long)]
    model: Option<String>,
    /// Only models on which this gate fired.
    #[arg(long)]
    gate: Option<String>,
    /// Only models with this decision.
    #[arg(long, value_enum)]
    decision: Option<DecisionArg>,
    /// Only records of this commit (a prefix of its id).
    #[arg(long)]
    commit: Option<String>,
    /// Read the records of this file (written by `check --record FILE`) instead of the git
    /// notes.
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "human")]
    format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DecisionArg {
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
enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, clap::Args)]
struct InitArgs {
    /// An existing card to add the governance block to (default: write ./model-card.yaml,
    /// unless only --policies is asked for).
    card: Option<PathBuf>,
    /// Copy the default policy pack and its tests into ./policies for customisation, and write
    /// .aimsgate/config.yaml so that every subcommand uses it.
    #[arg(long)]
    policies: bool,
    /// Do not write .github/workflows/aimsgate.yml.
    #[arg(long)]
    no_workflow: bool,
    /// Overwrite files that exist.
    #[arg(long)]
    force: bool,
}

#[derive(Debug, clap::Args)]
struct TestArgs {
    /// A test file or a folder of them (default: `<policies>/tests`, or `policies/tests`).
    dir: Option<PathBuf>,
    #[command(flatten)]
    pack: PackArgs,
}

#[derive(Debug, clap::Args)]
struct ValidateArgs {
    #[command(flatten)]
    pack: PackArgs,
    /// Exit 1 when there are warnings.
    #[arg(long)]
    deny_warnings: bool,
}

/// Where the policy pack and the governance configuration come from.
#[derive(Debug, Clone, clap::Args)]
struct PackArgs {
    /// A policy pack directory instead of the embedded one (or the configuration's `policies`).
    #[arg(long, value_name = "DIR")]
    policies: Option<PathBuf>,
    /// The protected ref (for example `refs/remotes/origin/main`): the pack, the waivers, the
    /// statement and `.aimsgate/config.yaml` are read from its tree, never from the working
    /// tree, so a change cannot loosen the gate that judges it. A name that matches more than
    /// one ref is an error.
    #[arg(long, visible_alias = "policies-ref", value_name = "GIT_REF")]
    protected_ref: Option<String>,
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

#[derive(Debug, clap::Args)]
struct ExplainArgs {
    /// The gate id, e.g. `bias-tests-passed`.
    gate: String,
    #[command(flatten)]
    pack: PackArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SoaFormat {
    Markdown,
    Csv,
    Json,
}

#[derive(Debug, clap::Args)]
struct ControlsArgs {
    #[command(flatten)]
    pack: PackArgs,
    /// The organisation's decisions (default: .aimsgate/soa.yaml under the repository root, if it exists).
    #[arg(long, value_name = "FILE")]
    soa: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "markdown")]
    format: SoaFormat,
    /// Exit 1 when a control is neither covered by a gate nor justified.
    #[arg(long)]
    fail_on_gaps: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ActionArg {
    Release,
    Deploy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PublishArg {
    /// A Check Run named `aimsgate` with every finding as an annotation.
    CheckRun,
    /// One sticky pull request comment, updated in place.
    Comment,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    Human,
    Json,
    Sarif,
    Github,
    Markdown,
    Junit,
}

/// `--output FORMAT=PATH`.
#[derive(Debug, Clone)]
struct OutputArg {
    format: FormatArg,
    path: PathBuf,
}

fn parse_output(s: &str) -> Result<OutputArg, String> {
    let (format, path) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not FORMAT=PATH (for example sarif=aimsgate.sarif)"))?;
    let format = FormatArg::from_str(format, true).map_err(|_| {
        format!("`{format}` is not a format: human, json, sarif, github, markdown or junit")
    })?;
    if path.is_empty() {
        return Err(format!("`{s}` names no file"));
    }
    Ok(OutputArg {
        format,
        path: PathBuf::from(path),
    })
}

#[derive(Debug, clap::Args)]
struct CheckArgs {
    /// Cards or directories to check (default: discover the cards of the current repository).
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// The lifecycle transition being gated.
    #[arg(long, value_enum, default_value = "release")]
    action: ActionArg,
    /// Target environment (required with `--action deploy`); `production` triggers the
    /// production gates.
    #[arg(long = "env", value_name = "ENV")]
    environment: Option<String>,
    /// The instant ages are measured from: YYYY-MM-DD or RFC 3339 (default: now).
    #[arg(long, value_name = "DATE|DATETIME")]
    now: Option<String>,
    #[command(flatten)]
    pack: PackArgs,
    /// Check only the models whose card or card folder changed since the merge base of this
    /// ref and HEAD (uncommitted changes count too); a change to the policy pack checks all.
    #[arg(long, value_name = "GIT_REF")]
    changed_since: Option<String>,
    /// The repository's default branch, when neither the GitHub event nor origin/HEAD says.
    #[arg(long, value_name = "BRANCH")]
    default_branch: Option<String>,
    /// GitHub token for reading pull request reviews (default: $GITHUB_TOKEN). Never printed.
    #[arg(long, value_name = "TOKEN")]
    github_token: Option<String>,
    /// The GitHub repository (default: $GITHUB_REPOSITORY, the event's, or the origin remote's).
    #[arg(long, value_name = "OWNER/NAME")]
    repo: Option<String>,
    /// Publish to GitHub (repeatable): `check-run`, `comment`. Needs a token; what cannot be
    /// published is a notice or a warning, never a change of the verdict or exit code.
    #[arg(long, value_enum, value_name = "WHAT")]
    publish: Vec<PublishArg>,
    /// Seconds to wait for each GitHub API answer.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    github_timeout: u64,
    /// The waivers file (default: the configuration's `waivers`, else .aimsgate/waivers.yaml
    /// if it exists), read from the protected ref when there is one.
    #[arg(long, value_name = "FILE")]
    waivers: Option<PathBuf>,
    /// Append this run's decision record (a JSON line) to FILE; if it cannot be written, the
    /// check fails.
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    /// Attach the decision record to the commit as a git note under refs/notes/aimsgate.
    #[arg(long)]
    record_git_note: bool,
    /// Output format on standard output.
    #[arg(long, value_enum, default_value = "human")]
    format: FormatArg,
    /// Also write the report in FORMAT to PATH (repeatable), e.g. `--output sarif=aimsgate.sarif`.
    #[arg(long = "output", value_name = "FORMAT=PATH", value_parser = parse_output)]
    outputs: Vec<OutputArg>,
}

/// Who is releasing or deploying: the CI job's actor, the local user, else git's
/// `user.name` and `user.email` (of the repository, or the user's configuration).
fn actor() -> String {
    let from_env = ["GITHUB_ACTOR", "USER", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()));
    from_env
        .or_else(|| {
            let config = std::env::current_dir()
                .ok()
                .and_then(|d| git2::Repository::discover(d).ok())
                .and_then(|r| r.config().ok())
                .or_else(|| git2::Config::open_default().ok())?;
            let get = |k: &str| config.get_string(k).ok().filter(|v| !v.trim().is_empty());
            match (get("user.name"), get("user.email")) {
                (Some(name), Some(email)) => Some(format!("{name} <{email}>")),
                (Some(one), None) | (None, Some(one)) => Some(one),
                (None, None) => None,
            }
        })
        .unwrap_or_else(|| "unknown".to_string())
}

fn style(terminal: bool) -> human::Style {
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

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                Exit::Error
            } else {
                Exit::Allowed
            };
            let _ = e.print();
            return code.into();
        }
    };
    match cli.command {
        Command::Check(args) => run_check(args).into(),
        Command::Explain(args) => run_explain(&args).into(),
        Command::Controls(args) => run_controls(&args).into(),
        Command::Validate(args) => run_validate(&args).into(),
        Command::Test(args) => run_test(&args).into(),
        Command::Init(args) => run_init(&args).into(),
        Command::Log(args) => run_log(&args).into(),
        Command::Verify(args) => run_verify(&args).into(),
    }
}

fn run_verify(args: &VerifyArgs) -> Exit {
    let (cwd, pack) = match setup(&args.pack) {
        Ok(x) => x,
        Err(e) => return fail(&e),
    };
    let properties = match &args.properties {
        None => None,
        Some(file) => {
            let shown = file.to_string_lossy().into_owned();
            let text = match std::fs::read_to_string(cwd.join(file)) {
                Ok(t) => t,
                Err(e) => {
                    return fail(&[InputError::new(Some(&shown), format!("cannot read: {e}"))]);
                }
            };
            let source: std::sync::Arc<str> = std::sync::Arc::from(text.as_str());
            match text.parse::<cedar_policy::PolicySet>() {
                Ok(set) => Some(set),
                Err(e) => {
                    return fail(&[aimsgate::error::from_diagnostic(
                        &shown,
                        &source,
                        &e,
                        "the properties do not parse: ",
                    )]);
                }
            }
        }
    };
    let verification = match aimsgate::verify::verify(&pack, properties.as_ref()) {
        Ok(v) => v,
        Err(e) => {
            return fail(&[InputError::new(
                None,
                format!("could not analyse the pack: {e}"),
            )]);
        }
    };
    let mut out = std::io::stdout().lock();
    for (subject, obligations) in aimsgate::verify::by_subject(&verification) {
        let failed: Vec<_> = obligations.iter().filter(|o| o.failure.is_some()).collect();
        if failed.is_empty() {
            let _ = writeln!(out, "proven   {subject}: {} obligations", obligations.len());
        }
        for o in failed {
            let _ = writeln!(out, "FAILED   {subject}: {}", o.claim);
            for line in o.failure.as_deref().unwrap_or_default().lines() {
                let _ = writeln!(out, "           {line}");
            }
        }
    }
    let _ = writeln!(
        out,
        "\n{}: {} obligations, {} failed",
        pack.origin,
        verification.obligations.len(),
        verification.failed()
    );
    if verification.failed() > 0 {
        Exit::Blocked
    } else {
        Exit::Allowed
    }
}

fn run_log(args: &LogArgs) -> Exit {
    let cwd = match current_dir() {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let read = match &args.record {
        Some(file) => aimsgate::record::read_file(&cwd.join(file)),
        None => aimsgate::record::read_notes(&cwd),
    };
    let read = match read {
        Ok(r) => r,
        Err(e) => return fail(&[InputError::new(None, e)]),
    };
    for w in &read.warnings {
        eprintln!("aimsgate: warning: {}", human::escape(w));
    }
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
    let mut out = std::io::stdout().lock();
    let written = match args.format {
        LogFormat::Json => serde_json::to_writer_pretty(&mut out, &rows)
            .map_err(std::io::Error::other)
            .and_then(|()| writeln!(out)),
        LogFormat::Human => aimsgate::render::log::render(&rows, &mut out),
    };
    match written {
        Ok(()) => Exit::Allowed,
        Err(e) => fail(&[InputError::new(None, format!("cannot write: {e}"))]),
    }
}

fn run_init(args: &InitArgs) -> Exit {
    let cwd = match current_dir() {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
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
            return fail(&errors);
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
        return fail(&[InputError::new(None, e)]);
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
    Exit::Allowed
}

fn run_test(args: &TestArgs) -> Exit {
    let (cwd, governance, pack) = match setup_with(&args.pack.flags()) {
        Ok(x) => x,
        Err(e) => return fail(&e),
    };
    // The pack's own tests: beside the pack the flag or the configuration names.
    let target = args.dir.clone().unwrap_or_else(|| match &governance.pack {
        aimsgate::config::PackAt::Dir(dir, _) => governance.root.join(dir).join("tests"),
        aimsgate::config::PackAt::Embedded => PathBuf::from("policies/tests"),
    });
    let mut files = Vec::new();
    let mut stack = vec![cwd.join(&target)];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            match std::fs::read_dir(&p) {
                Ok(entries) => stack.extend(entries.flatten().map(|e| e.path())),
                Err(e) => {
                    return fail(&[InputError::new(
                        Some(&p.to_string_lossy()),
                        format!("cannot read: {e}"),
                    )]);
                }
            }
        } else if p.is_file()
            && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
        {
            files.push(p);
        }
    }
    files.sort();
    if files.is_empty() {
        return fail(&[InputError::new(
            Some(&target.to_string_lossy()),
            "no policy test file (*.yaml) found",
        )]);
    }
    let mut out = std::io::stdout().lock();
    let (mut passed, mut failed) = (0, 0);
    for file in &files {
        let shown = file
            .strip_prefix(&cwd)
            .unwrap_or(file)
            .to_string_lossy()
            .into_owned();
        let content = match std::fs::read_to_string(file) {
            Ok(c) => c,
            Err(e) => return fail(&[InputError::new(Some(&shown), format!("cannot read: {e}"))]),
        };
        let dir = file.parent().unwrap_or(&cwd);
        match aimsgate::policytest::run_file(&pack, &shown, dir, &content) {
            Err(e) => return fail(&e),
            Ok(results) => {
                for r in results {
                    if r.differences.is_empty() {
                        passed += 1;
                        let _ = writeln!(out, "ok    {}  {}", r.location, r.name);
                    } else {
                        failed += 1;
                        let _ = writeln!(out, "FAIL  {}  {}", r.location, r.name);
                        for d in &r.differences {
                            let _ = writeln!(out, "        {d}");
                        }
                    }
                }
            }
        }
    }
    let _ = writeln!(out, "\npolicy tests: {passed} passed, {failed} failed");
    if failed > 0 {
        Exit::Blocked
    } else {
        Exit::Allowed
    }
}

fn run_validate(args: &ValidateArgs) -> Exit {
    let (_, pack) = match setup(&args.pack) {
        Ok(x) => x,
        Err(e) => return fail(&e),
    };
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
        Exit::Blocked
    } else {
        Exit::Allowed
    }
}

/// Prints errors to standard error; exit 2.
fn fail(errors: &[InputError]) -> Exit {
    let mut err = std::io::stderr().lock();
    let style = style(std::io::stderr().is_terminal());
    for e in errors {
        let _ = human::render_error(e, &mut err, style);
    }
    Exit::Error
}

/// The current directory and the pack the arguments name.
fn setup(pack: &PackArgs) -> Result<(PathBuf, Pack), Vec<InputError>> {
    let (cwd, _, pack) = setup_with(&pack.flags())?;
    Ok((cwd, pack))
}

/// The current directory, the governance set-up and the pack it names.
fn setup_with(flags: &Flags) -> Result<(PathBuf, Governance, Pack), Vec<InputError>> {
    let cwd = current_dir()?;
    let governance = Governance::resolve(&cwd, flags)?;
    let pack = governance.load_pack()?;
    Ok((cwd, governance, pack))
}

fn current_dir() -> Result<PathBuf, Vec<InputError>> {
    std::env::current_dir().map_err(|e| {
        vec![InputError::new(
            None,
            format!("cannot read the current directory: {e}"),
        )]
    })
}

fn run_explain(args: &ExplainArgs) -> Exit {
    let (_, pack) = match setup(&args.pack) {
        Ok(x) => x,
        Err(e) => return fail(&e),
    };
    let Some(gate) = pack.gate(&args.gate) else {
        let near: Vec<&str> = pack
            .gates
            .iter()
            .map(|g| g.id.as_str())
            .filter(|id| id.split('-').any(|w| w.len() > 3 && args.gate.contains(w)))
            .collect();
        let mut e = InputError::new(None, format!("the policy pack has no gate `{}`", args.gate));
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
        return fail(&[e]);
    };
    let mut out = std::io::stdout().lock();
    match aimsgate::render::explain::render(gate, &mut out).and_then(|()| out.flush()) {
        Ok(()) => Exit::Allowed,
        Err(e) => fail(&[InputError::new(None, format!("cannot write: {e}"))]),
    }
}

fn run_controls(args: &ControlsArgs) -> Exit {
    let mut flags = args.pack.flags();
    flags.soa = args.soa.clone();
    let (_, governance, pack) = match setup_with(&flags) {
        Ok(x) => x,
        Err(e) => return fail(&e),
    };
    let (file, required) = &governance.soa;
    let decisions = match governance.read(file) {
        Ok(Some(f)) => match aimsgate::soa::read_decisions(&f.shown, &f.text) {
            Ok(d) => d,
            Err(e) => return fail(&e),
        },
        Ok(None) if !required => Vec::new(),
        Ok(None) => {
            return fail(&[InputError::new(
                Some(&file.to_string_lossy()),
                "the statement does not exist",
            )]);
        }
        Err(e) => return fail(&e),
    };
    let rows = aimsgate::soa::statement(&pack, &decisions);
    let mut out = std::io::stdout().lock();
    let written = match args.format {
        SoaFormat::Markdown => aimsgate::soa::markdown(&rows, &mut out),
        SoaFormat::Csv => aimsgate::soa::csv(&rows, &mut out),
        SoaFormat::Json => aimsgate::soa::json(&rows, &mut out),
    }
    .and_then(|()| out.flush());
    if let Err(e) = written {
        return fail(&[InputError::new(None, format!("cannot write: {e}"))]);
    }
    if args.fail_on_gaps && rows.iter().any(|r| r.status == "gap") {
        Exit::Blocked
    } else {
        Exit::Allowed
    }
}

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.trim().is_empty())
}

/// Where evidence comes from: flags first, then the governance configuration, then GitHub
/// Actions' environment.
fn gather_options(args: &CheckArgs, governance: Option<&Governance>) -> GatherOptions {
    GatherOptions {
        changed_since: args.changed_since.clone(),
        governance_paths: governance.map(Governance::paths).unwrap_or_default(),
        default_branch: args
            .default_branch
            .clone()
            .or_else(|| governance.and_then(|g| g.config.default_branch.clone())),
        github: GitHubOptions {
            event_path: env("GITHUB_EVENT_PATH").map(PathBuf::from),
            event_name: env("GITHUB_EVENT_NAME"),
            api_url: env("GITHUB_API_URL").unwrap_or_else(|| "https://api.github.com".into()),
            token: args
                .github_token
                .clone()
                .or_else(|| env("GITHUB_TOKEN"))
                .and_then(|t| Token::new(&t)),
            repo: args.repo.clone().or_else(|| env("GITHUB_REPOSITORY")),
            timeout: std::time::Duration::from_secs(args.github_timeout.max(1)),
            accept_stale_approvals: governance.is_some_and(|g| g.config.accept_stale_approvals),
        },
    }
}

/// What the arguments ask for, or why they cannot be honoured.
fn request(args: &CheckArgs) -> Result<RequestSpec, Vec<InputError>> {
    let mut errors = Vec::new();
    let action = match args.action {
        ActionArg::Release => Action::Release,
        ActionArg::Deploy => Action::Deploy,
    };
    let environment = args
        .environment
        .as_ref()
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty());
    if action == Action::Deploy && environment.is_none() {
        errors.push(
            InputError::new(
                None,
                "`--action deploy` needs `--env ENV`: the gates depend on where the model goes",
            )
            .with_help("for example `--env production` or `--env staging`"),
        );
    }
    let now = match &args.now {
        None => Instant::now(),
        Some(text) => Instant::parse(text).unwrap_or_else(|why| {
            errors.push(InputError::new(None, format!("--now: {why}")));
            Instant::now()
        }),
    };
    if errors.is_empty() {
        Ok(RequestSpec {
            action,
            environment,
            now,
            actor: actor(),
        })
    } else {
        Err(errors)
    }
}

fn run_check(args: CheckArgs) -> Exit {
    let cwd = match std::env::current_dir() {
        Ok(d) => d,
        Err(e) => {
            return emit_errors(
                &args,
                None,
                vec![InputError::new(
                    None,
                    format!("cannot read the current directory: {e}"),
                )],
            );
        }
    };
    let request = match request(&args) {
        Ok(r) => r,
        Err(errors) => return emit_errors(&args, None, errors),
    };
    let mut flags = args.pack.flags();
    flags.waivers = args.waivers.clone();
    let governance = match Governance::resolve(&cwd, &flags) {
        Ok(g) => g,
        Err(errors) => return emit_errors(&args, None, errors),
    };
    let pack = match governance.load_pack() {
        Ok(p) => p,
        Err(errors) => return emit_errors(&args, Some(&governance.pack_origin()), errors),
    };
    let evidence = match Evidence::gather(&cwd, &gather_options(&args, Some(&governance))) {
        Ok(e) => e,
        Err(e) => return emit_errors(&args, Some(&pack.origin), vec![*e]),
    };
    let options = CheckOptions {
        paths: args.paths.clone(),
        request,
        cwd,
        evidence,
        governance: Some(governance),
    };
    let mut report = check(&pack, &options);
    // Findings link to their line at the commit judged, on the GitHub server of the run.
    report.blob_url = match (&options.evidence.repository, options.evidence.head_sha()) {
        (Some(repo), Some(sha)) => Some(format!(
            "{}/{repo}/blob/{sha}",
            env("GITHUB_SERVER_URL")
                .unwrap_or_else(|| "https://github.com".into())
                .trim_end_matches('/')
        )),
        _ => None,
    };
    finish(
        &args,
        report,
        Some(&pack),
        &options.evidence,
        &options.request.actor,
    )
}

/// Writes the outputs, publishes, and records: every report, also one made of errors found
/// before any card was judged, ends here. An output that cannot be opened makes the report's
/// decision an error before anything is rendered, so the report, the outputs and the record
/// all say what the exit code says.
fn finish(
    args: &CheckArgs,
    mut report: Report,
    pack: Option<&Pack>,
    evidence: &Evidence,
    actor: &str,
) -> Exit {
    let cwd = std::env::current_dir().unwrap_or_default();
    let root = evidence.git.as_ref().map_or_else(
        |_| aimsgate::discover::repository_root(&cwd),
        |g| g.root.clone(),
    );
    let mut files = Vec::new();
    for output in &args.outputs {
        match aimsgate::output_file::open(&output.path, aimsgate::output_file::Mode::Replace, &root)
        {
            Ok(file) => files.push((output, file)),
            Err(e) => {
                report.errors.push(InputError::new(
                    Some(&output.path.to_string_lossy()),
                    format!(
                        "cannot write the {} report: {e}",
                        format_name(output.format)
                    ),
                ));
                report.decision = Decision::Error;
            }
        }
    }
    let mut exit = emit(args, &report, files);
    if !args.publish.is_empty() {
        publish_report(args, &report, evidence);
    }
    if let Err(e) = record(args, &report, pack, evidence, actor, &root) {
        eprintln!("aimsgate: the decision was not recorded, so the check fails: {e}");
        exit = Exit::Error;
    }
    exit
}

fn format_name(format: FormatArg) -> &'static str {
    match format {
        FormatArg::Human => "human",
        FormatArg::Json => "JSON",
        FormatArg::Sarif => "SARIF",
        FormatArg::Github => "GitHub",
        FormatArg::Markdown => "Markdown",
        FormatArg::Junit => "JUnit",
    }
}

/// Writes the decision record where asked. No silent pass without its record.
fn record(
    args: &CheckArgs,
    report: &Report,
    pack: Option<&Pack>,
    evidence: &Evidence,
    actor: &str,
    root: &std::path::Path,
) -> Result<(), String> {
    if args.record.is_none() && !args.record_git_note {
        return Ok(());
    }
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let record = aimsgate::record::of(report, pack, evidence, actor);
    let line = record.line()?;
    if let Some(file) = &args.record {
        aimsgate::record::append(&cwd.join(file), &line, root)?;
    }
    if args.record_git_note {
        let commit = match &evidence.git {
            Ok(g) => g.commit.clone(),
            Err(why) => return Err(format!("--record-git-note needs the commit: {why}")),
        };
        aimsgate::record::note(&cwd, &commit, &line)?;
    }
    Ok(())
}

/// Publishes the report as asked, printing what happened; never changes the exit code.
fn publish_report(args: &CheckArgs, report: &Report, evidence: &Evidence) {
    let gather = gather_options(args, None);
    let github = &gather.github;
    let repo = evidence.repository.clone();
    let notes = match (&github.token, repo) {
        (None, _) => vec![publish::Note {
            level: Level::Notice,
            message:
                "publishing skipped: no GitHub token (set GITHUB_TOKEN or pass --github-token)"
                    .into(),
        }],
        (Some(_), None) => vec![publish::Note {
            level: Level::Warning,
            message:
                "publishing skipped: the GitHub repository is unknown (pass --repo OWNER/NAME)"
                    .into(),
        }],
        (Some(token), Some(repo)) => {
            match Api::new(&github.api_url, token, &repo, github.timeout) {
                Err(e) => vec![publish::Note {
                    level: Level::Warning,
                    message: format!("publishing skipped: {e}"),
                }],
                Ok(api) => {
                    let pr = evidence
                        .event
                        .as_ref()
                        .and_then(|e| e.pull_request.as_ref());
                    let head_sha = evidence.head_sha();
                    let targets: Vec<Target> = args
                        .publish
                        .iter()
                        .map(|p| match p {
                            PublishArg::CheckRun => Target::CheckRun,
                            PublishArg::Comment => Target::Comment,
                        })
                        .collect();
                    publish::publish(
                        &api,
                        report,
                        &targets,
                        head_sha.as_deref(),
                        pr.map(|p| p.number),
                    )
                }
            }
        }
    };
    let in_actions = env("GITHUB_ACTIONS").as_deref() == Some("true");
    for n in notes {
        let level = match n.level {
            Level::Notice => "notice",
            Level::Warning => "warning",
        };
        if in_actions {
            eprintln!(
                "::{level} title=aimsgate publish::{}",
                github::escape_data(&n.message)
            );
        } else {
            eprintln!("aimsgate: {level}: {}", n.message);
        }
    }
}

/// Errors found before any card was checked: a report with no models, for the request the
/// arguments make (`--now` as given, when it reads) and the pack they name (`policies`). It
/// is rendered, and recorded, as any report is: an error is a decision too.
fn emit_errors(args: &CheckArgs, policies: Option<&str>, errors: Vec<InputError>) -> Exit {
    let report = Report::new(
        Judged {
            action: match args.action {
                ActionArg::Release => Action::Release,
                ActionArg::Deploy => Action::Deploy,
            },
            environment: args.environment.clone(),
            now: args
                .now
                .as_deref()
                .and_then(|n| Instant::parse(n).ok())
                .unwrap_or_else(Instant::now),
            policies: policies.unwrap_or_default().to_string(),
        },
        Vec::new(),
        Vec::new(),
        None,
        errors,
    );
    // What git says of HEAD, for the record; nothing else was gathered.
    let evidence = std::env::current_dir()
        .map_err(|e| e.to_string())
        .and_then(|cwd| aimsgate::evidence::git::open(&cwd))
        .and_then(|repo| aimsgate::evidence::git::facts(&repo));
    let mut local = Evidence::unavailable("not gathered: the run failed before judging");
    local.git = evidence;
    finish(args, report, None, &local, &actor())
}

/// Renders `report` in `format` to `out`. Human output to a file or pipe has no colour.
fn render(
    format: FormatArg,
    report: &Report,
    out: &mut dyn Write,
    terminal: bool,
) -> std::io::Result<()> {
    match format {
        FormatArg::Human => human::render(report, out, style(terminal)),
        FormatArg::Json => json::render(report, out),
        FormatArg::Sarif => sarif::render(report, out),
        FormatArg::Github => github::render(report, out),
        FormatArg::Markdown => markdown::render(report, out, false),
        FormatArg::Junit => junit::render(report, out),
    }
}

/// Renders `report` into the outputs opened for it and on standard output (errors on standard
/// error in the human format).
fn emit(args: &CheckArgs, report: &Report, files: Vec<(&OutputArg, std::fs::File)>) -> Exit {
    if args.format == FormatArg::Human {
        let mut err = std::io::stderr().lock();
        let err_style = style(std::io::stderr().is_terminal());
        for e in &report.errors {
            let _ = human::render_error(e, &mut err, err_style);
        }
    }
    let mut exit: Exit = report.decision.into();
    for (output, file) in files {
        let mut file = std::io::BufWriter::new(file);
        let written = render(output.format, report, &mut file, false).and_then(|()| file.flush());
        if let Err(e) = written {
            eprintln!(
                "aimsgate: cannot write {}: {e}",
                output.path.to_string_lossy()
            );
            exit = Exit::Error;
        }
    }
    let stdout = std::io::stdout();
    let terminal = stdout.is_terminal();
    let mut out = stdout.lock();
    let written = render(args.format, report, &mut out, terminal).and_then(|()| out.flush());
    if let Err(e) = written {
        eprintln!("aimsgate: cannot write the report: {e}");
        exit = Exit::Error;
    }
    exit
}
