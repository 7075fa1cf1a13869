//! What `aimsgate check` writes once it has a report: the outputs, the report on standard
//! output, the publishing to GitHub, and the decision record.

use std::io::{IsTerminal, Write};

use aimsgate::date::Instant;
use aimsgate::error::{EvidenceError, InputError, IoError, Kind, RecordError};
use aimsgate::evidence::Evidence;
use aimsgate::github::Api;
use aimsgate::pack::Pack;
use aimsgate::publish::{self, Level, Target};
use aimsgate::render::{github, human, json, junit, markdown, sarif};
use aimsgate::report::{Action, Decision, Judged, Report};

use super::attest::{self, Attesting};
use super::check::{ActionArg, CheckArgs, FormatArg, OutputArg, PublishArg, actor, gather_options};
use super::{Exit, env, style};

/// Writes the outputs, publishes, and records: every report, also one made of errors found
/// before any card was judged, ends here. An output that cannot be opened makes the report's
/// decision an error before anything is rendered, so the report, the outputs and the record
/// all say what the exit code says.
pub(crate) fn finish(
    args: &CheckArgs,
    mut report: Report,
    pack: Option<&Pack>,
    evidence: &Evidence,
    actor: &str,
    attesting: Option<&Attesting>,
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
                    IoError::Write(format!(
                        "cannot write the {} report: {e}",
                        format_name(output.format)
                    )),
                ));
                report.decision = Decision::Error;
            }
        }
    }
    // Subjects hashed and files opened before anything is rendered, so that an attestation
    // that cannot be made is an error the report, the outputs and the record all carry.
    // A run that could not evaluate attests nothing: what it judged may rest on what it could
    // not read.
    if attesting.is_some() && report.decision == Decision::Error {
        eprintln!("aimsgate: no attestation is written for a run that could not evaluate");
    }
    let prepared = attesting
        .filter(|_| report.decision != Decision::Error)
        .and_then(|a| attest::prepare(a, &mut report, evidence, &cwd, &root));
    let mut exit = emit(args, &report, files);
    if !args.publish.is_empty() {
        publish_report(args, &report, evidence);
    }
    // The record is made only when something keeps it: the records file, the note, or the
    // statements, which name it by its digest.
    if args.record.is_none() && !args.record_git_note && prepared.is_none() {
        return exit;
    }
    let record = aimsgate::record::of(&report, pack, evidence, actor);
    let line = match record.line() {
        Ok(line) => line,
        Err(e) => {
            eprintln!("aimsgate: the decision record cannot be made, so the check fails: {e}");
            return Exit::Error;
        }
    };
    if let Err(e) = record_line(args, &line, evidence, &cwd, &root) {
        eprintln!("aimsgate: the decision was not recorded, so the check fails: {e}");
        exit = Exit::Error;
    }
    if let (Some(attesting), Some(prepared)) = (attesting, prepared) {
        let written = attest::write(
            prepared,
            attesting,
            &report,
            &record.policies.sha256,
            &aimsgate::record::sha256(line.as_bytes()),
        );
        if let Err(e) = written {
            eprintln!("aimsgate: the attestations were not written, so the check fails: {e}");
            exit = Exit::Error;
        }
    }
    exit
}

pub(crate) fn format_name(format: FormatArg) -> &'static str {
    match format {
        FormatArg::Human => "human",
        FormatArg::Json => "JSON",
        FormatArg::Sarif => "SARIF",
        FormatArg::Github => "GitHub",
        FormatArg::Markdown => "Markdown",
        FormatArg::Junit => "JUnit",
    }
}

/// Writes the decision record's `line` where asked. No silent pass without its record.
pub(crate) fn record_line(
    args: &CheckArgs,
    line: &str,
    evidence: &Evidence,
    cwd: &std::path::Path,
    root: &std::path::Path,
) -> Result<(), Kind> {
    if let Some(file) = &args.record {
        aimsgate::record::append(&cwd.join(file), line, root)?;
    }
    if args.record_git_note {
        let commit = match &evidence.git {
            Ok(g) => g.commit.clone(),
            Err(why) => {
                return Err(RecordError::Note(format!(
                    "--record-git-note needs the commit: {why}"
                ))
                .into());
            }
        };
        aimsgate::record::note(cwd, &commit, line)?;
    }
    Ok(())
}

/// Publishes the report as asked, printing what happened; never changes the exit code.
pub(crate) fn publish_report(args: &CheckArgs, report: &Report, evidence: &Evidence) {
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
pub(crate) fn emit_errors(
    args: &CheckArgs,
    policies: Option<&str>,
    errors: Vec<InputError>,
) -> Exit {
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
        .map_err(|e| EvidenceError::Git(format!("cannot read the current directory: {e}")))
        .and_then(|cwd| aimsgate::evidence::git::open(&cwd))
        .and_then(|repo| aimsgate::evidence::git::facts(&repo));
    let mut local = Evidence::unavailable("not gathered: the run failed before judging");
    local.git = evidence;
    finish(args, report, None, &local, &actor(), None)
}

/// Renders `report` in `format` to `out`. Human output to a file or pipe has no colour.
pub(crate) fn render(
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
pub(crate) fn emit(
    args: &CheckArgs,
    report: &Report,
    files: Vec<(&OutputArg, std::fs::File)>,
) -> Exit {
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
