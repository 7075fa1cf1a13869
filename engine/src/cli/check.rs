//! `aimsgate check`: its arguments, the request and evidence they make, and the run.

use std::path::PathBuf;

use clap::ValueEnum;

use aimsgate::check::{CheckOptions, Early, check_with};
use aimsgate::config::Governance;
use aimsgate::date::Instant;
use aimsgate::error::{ArgError, InputError, IoError};
use aimsgate::evaluate::RequestSpec;
use aimsgate::evidence::{Evidence, GatherOptions, GitHubOptions, Token};
use aimsgate::report::Action;

use super::attest::AttestArgs;
use super::emit::{emit_errors, finish};
use super::{Exit, PackArgs, env};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ActionArg {
    Release,
    Deploy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PublishArg {
    /// A Check Run named `aimsgate` with every finding as an annotation.
    CheckRun,
    /// One sticky pull request comment, updated in place.
    Comment,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FormatArg {
    Human,
    Json,
    Sarif,
    Github,
    Markdown,
    Junit,
}

/// `--output FORMAT=PATH`.
#[derive(Debug, Clone)]
pub(crate) struct OutputArg {
    pub(crate) format: FormatArg,
    pub(crate) path: PathBuf,
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
pub(crate) struct CheckArgs {
    /// Cards or directories to check (default: discover the cards of the current repository).
    #[arg(value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,
    /// The lifecycle transition being gated.
    #[arg(long, value_enum, default_value = "release")]
    pub(crate) action: ActionArg,
    /// Target environment (required with `--action deploy`); `production` triggers the
    /// production gates.
    #[arg(long = "env", value_name = "ENV")]
    pub(crate) environment: Option<String>,
    /// The instant ages are measured from: YYYY-MM-DD or RFC 3339 (default: now).
    #[arg(long, value_name = "DATE|DATETIME")]
    pub(crate) now: Option<String>,
    #[command(flatten)]
    pub(crate) pack: PackArgs,
    /// Check only the models whose card or card folder changed since the merge base of this
    /// ref and HEAD (uncommitted changes count too); a change to the policy pack checks all.
    #[arg(long, value_name = "GIT_REF")]
    pub(crate) changed_since: Option<String>,
    /// The repository's default branch, when neither the GitHub event nor origin/HEAD says.
    #[arg(long, value_name = "BRANCH")]
    pub(crate) default_branch: Option<String>,
    /// GitHub token for reading pull request reviews (default: $GITHUB_TOKEN). Never printed.
    #[arg(long, value_name = "TOKEN")]
    pub(crate) github_token: Option<String>,
    /// The GitHub repository (default: $GITHUB_REPOSITORY, the event's, or the origin remote's).
    #[arg(long, value_name = "OWNER/NAME")]
    pub(crate) repo: Option<String>,
    /// Publish to GitHub (repeatable): `check-run`, `comment`. Needs a token; what cannot be
    /// published is a notice or a warning, never a change of the verdict or exit code.
    #[arg(long, value_enum, value_name = "WHAT")]
    pub(crate) publish: Vec<PublishArg>,
    /// Seconds to wait for each GitHub API answer.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub(crate) github_timeout: u64,
    /// The waivers file (default: the configuration's `waivers`, else .aimsgate/waivers.yaml
    /// if it exists), read from the protected ref when there is one.
    #[arg(long, value_name = "FILE")]
    pub(crate) waivers: Option<PathBuf>,
    /// Append this run's decision record (a JSON line) to FILE; if it cannot be written, the
    /// check fails.
    #[arg(long, value_name = "FILE")]
    pub(crate) record: Option<PathBuf>,
    /// Attach the decision record to the commit as a git note under refs/notes/aimsgate.
    #[arg(long)]
    pub(crate) record_git_note: bool,
    /// Output format on standard output.
    #[arg(long, value_enum, default_value = "human")]
    pub(crate) format: FormatArg,
    /// Also write the report in FORMAT to PATH (repeatable), e.g. `--output sarif=aimsgate.sarif`.
    #[arg(long = "output", value_name = "FORMAT=PATH", value_parser = parse_output)]
    pub(crate) outputs: Vec<OutputArg>,
    #[command(flatten)]
    pub(crate) attest: AttestArgs,
}

/// Who is releasing or deploying: the CI job's actor, the local user, else git's
/// `user.name` and `user.email` (of the repository, or the user's configuration).
pub(crate) fn actor() -> String {
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

/// Where evidence comes from: flags first, then the governance configuration, then GitHub
/// Actions' environment.
pub(crate) fn gather_options(args: &CheckArgs, governance: Option<&Governance>) -> GatherOptions {
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
                ArgError::Value(
                    "`--action deploy` needs `--env ENV`: the gates depend on where the model goes"
                        .into(),
                ),
            )
            .with_help("for example `--env production` or `--env staging`"),
        );
    }
    let now = match &args.now {
        None => Instant::now(),
        Some(text) => Instant::parse(text).unwrap_or_else(|why| {
            errors.push(InputError::new(
                None,
                ArgError::Value(format!("--now: {why}")),
            ));
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

pub(crate) fn run(args: CheckArgs) -> Result<Exit, Vec<InputError>> {
    let cwd = match std::env::current_dir() {
        Ok(d) => d,
        Err(e) => {
            return Ok(emit_errors(
                &args,
                None,
                vec![InputError::new(
                    None,
                    IoError::Read(format!("cannot read the current directory: {e}")),
                )],
            ));
        }
    };
    let request = match request(&args) {
        Ok(r) => r,
        Err(errors) => return Ok(emit_errors(&args, None, errors)),
    };
    if let Some(e) = super::attest::misuse(&args.attest) {
        return Ok(emit_errors(&args, None, vec![e]));
    }
    // The signing key is read before anything is judged.
    let attesting = match args.attest.attesting() {
        Ok(a) => a,
        Err(e) => return Ok(emit_errors(&args, None, vec![e])),
    };
    let mut flags = args.pack.flags();
    flags.waivers = args.waivers.clone();
    let governance = match Governance::resolve(&cwd, &flags) {
        Ok(g) => g,
        Err(errors) => return Ok(emit_errors(&args, None, errors)),
    };
    // The evidence (git's status of the work tree, GitHub's reviews) is gathered while the
    // pack loads, and under `--changed-since` while the cards are read for their ids: none
    // needs another.
    let (pack, evidence, early) = std::thread::scope(|scope| {
        let evidence =
            scope.spawn(|| Evidence::gather(&cwd, &gather_options(&args, Some(&governance))));
        let pack = governance.load_pack();
        let early = match (&pack, &args.changed_since) {
            (Ok(pack), Some(_)) => {
                Early::read(&cwd, &args.paths, Some(&governance), &pack.card_keys)
            }
            _ => None,
        };
        let evidence = evidence
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (pack, evidence, early)
    });
    let pack = match pack {
        Ok(p) => p,
        Err(errors) => return Ok(emit_errors(&args, Some(&governance.pack_origin()), errors)),
    };
    let evidence = match evidence {
        Ok(e) => e,
        Err(e) => return Ok(emit_errors(&args, Some(&pack.origin), vec![*e])),
    };
    let options = CheckOptions {
        paths: args.paths.clone(),
        request,
        cwd,
        evidence,
        governance: Some(governance),
    };
    let mut report = check_with(&pack, &options, early);
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
    Ok(finish(
        &args,
        report,
        Some(&pack),
        &options.evidence,
        &options.request.actor,
        attesting.as_ref(),
    ))
}
