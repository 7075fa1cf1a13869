//! Hostile inputs, each with its expected behaviour (the table in HOSTILE.md names these tests),
//! and a fail-closed sweep: every command, driven through the failures it can meet, never exits
//! 0 where the gate could not judge.

use std::path::Path;

use serde_json::Value;

use crate::common;
use crate::common::server::{recorded, route, serve};
use crate::common::{commit, repo, root, write};

fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let (code, out, err) = common::Aimsgate::new(dir)
        .args(args)
        .envs(env)
        .run()
        .parts();
    (code, format!("{out}{err}"))
}

const GOOD: &str = "governance:\n  owner: \"@a\"\n  risk_tier: limited\n  intended_use: x\n  data:\n    sources: [{name: s, provenance: p, personal_data: false}]\n  bias_tests:\n    results:\n      - {metric: dpd, value: 0.01, threshold: 0.1}\n";

fn card(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("m")).unwrap();
    std::fs::write(dir.path().join("m/model-card.yaml"), text).unwrap();
    dir
}

fn check(dir: &Path, extra: &[&str]) -> (i32, String) {
    let mut args = vec![
        "check",
        "--action",
        "deploy",
        "--env",
        "staging",
        "--now",
        "2026-11-20",
    ];
    args.extend(extra);
    run(dir, &args, &[])
}

#[test]
fn yaml_application_tags_are_refused() {
    let (code, out) = check(
        card("governance: !!python/object:os.system {cmd: ls}\n").path(),
        &[],
    );
    assert_eq!(code, 2);
    assert!(out.contains("unsupported YAML tag"), "{out}");
}

#[test]
fn infinite_and_overflowing_bias_values_are_refused() {
    for value in [".inf", "-.inf", "1e999", ".NaN"] {
        let text = GOOD.replace("value: 0.01", &format!("value: {value}"));
        let (code, out) = check(card(&text).path(), &[]);
        assert_eq!(code, 2, "{value}: {out}");
        assert!(out.contains("must be a finite number"), "{value}: {out}");
    }
    let (code, out) = check(
        card(&GOOD.replace("threshold: 0.1", "threshold: .inf")).path(),
        &[],
    );
    assert_eq!(code, 2, "{out}");
}

#[test]
fn enum_values_in_the_wrong_case_are_refused_with_a_hint() {
    let (code, out) = check(
        card(&GOOD.replace("risk_tier: limited", "risk_tier: LIMITED")).path(),
        &[],
    );
    assert_eq!(code, 2);
    assert!(out.contains("did you mean `limited`?"), "{out}");
}

#[test]
fn dates_at_the_ends_of_the_range_are_judged_and_beyond_it_refused() {
    let with = |date: &str| {
        GOOD.replace(
            "  intended_use: x\n",
            &format!("  intended_use: x\n  impact_assessment: {{status: approved, approved_on: {date}}}\n"),
        )
        .replace("risk_tier: limited", "risk_tier: high\n  human_oversight: y")
    };
    for date in ["0001-01-01", "9999-12-31"] {
        let (code, out) = check(card(&with(date)).path(), &["--format", "json"]);
        assert_eq!(code, 1, "{date}: {out}");
        let doc: Value = serde_json::from_str(&out).unwrap();
        let gates: Vec<&str> = doc["models"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["gate"].as_str().unwrap())
            .collect();
        assert!(
            gates.contains(&"impact-assessment-current"),
            "{date}: {gates:?}"
        );
    }
    for date in ["0000-12-31", "10000-01-01"] {
        let (code, _) = check(card(&with(date)).path(), &[]);
        assert_eq!(code, 2, "{date}");
    }
}

#[cfg(unix)]
#[test]
fn a_card_that_is_a_symbolic_link_outside_the_repository_is_not_followed() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("card.yaml"), GOOD).unwrap();
    let repo = tempfile::tempdir().unwrap();
    git2::Repository::init(repo.path()).unwrap();
    std::fs::create_dir_all(repo.path().join("m")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("card.yaml"),
        repo.path().join("m/model-card.yaml"),
    )
    .unwrap();
    let (code, out) = check(repo.path(), &["m/model-card.yaml"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("symbolic link that leads outside the repository"),
        "{out}"
    );
    // Found by discovery it is not followed either, and not passed over: where a card may
    // be and cannot be read, the run cannot judge.
    let (code, out) = check(repo.path(), &[]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("m/model-card.yaml: is a symbolic link that leads outside"),
        "{out}"
    );
    // A link inside the repository is followed, named or discovered.
    std::fs::write(repo.path().join("real.txt"), GOOD).unwrap();
    std::fs::remove_file(repo.path().join("m/model-card.yaml")).unwrap();
    std::os::unix::fs::symlink(
        repo.path().join("real.txt"),
        repo.path().join("m/model-card.yaml"),
    )
    .unwrap();
    let (code, out) = check(repo.path(), &["m/model-card.yaml"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = check(repo.path(), &[]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn paths_with_newlines_and_percent_signs_stay_inside_their_workflow_command() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("a%b\nc");
    std::fs::create_dir_all(&folder).unwrap();
    // With an id of its own, the card is judged (the folder's name is no model id).
    std::fs::write(
        folder.join("model-card.yaml"),
        GOOD.replace("  owner: \"@a\"\n", "  id: m\n"),
    )
    .unwrap();
    let (code, out) = check(dir.path(), &["--format", "github"]);
    assert_eq!(code, 1, "{out}");
    for line in out.lines() {
        assert!(line.starts_with("::"), "{line:?}");
    }
    assert!(out.contains("file=a%25b%0Ac/model-card.yaml"), "{out}");
    // Without one, the folder's name would be the id: refused at the card.
    std::fs::write(
        folder.join("model-card.yaml"),
        GOOD.replace("  owner: \"@a\"\n", ""),
    )
    .unwrap();
    let (code, out) = check(dir.path(), &["--format", "github"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("is not a valid model id"), "{out}");
    for line in out.lines() {
        assert!(line.starts_with("::"), "{line:?}");
    }
}

#[test]
fn github_answers_that_are_not_json_or_are_truncated_fail_the_gate_closed() {
    let (dir, repo) = repo();
    write(
        &repo,
        "m/README.md",
        &std::fs::read(root().join("fixtures/cards/owner-assigned/pass.md")).unwrap(),
    );
    commit(&repo, "m", ("A", "a@x"));
    let event = root().join("fixtures/github/event-pull-request.json");
    for body in [
        "<html>Service Unavailable</html>",
        "[{\"id\": 80, \"user\": {\"login\": \"jane\"",
    ] {
        let server = serve(vec![
            route("/pulls/42/reviews", 200, body),
            route("/commits/", 200, &recorded("commit.json")),
        ]);
        let (code, out) = run(
            dir.path(),
            &[
                "check",
                "--action",
                "deploy",
                "--env",
                "production",
                "--now",
                "2026-11-20",
                "--format",
                "json",
            ],
            &[
                ("GITHUB_API_URL", &server.url),
                ("GITHUB_TOKEN", "t0ken"),
                ("GITHUB_EVENT_PATH", &event.to_string_lossy()),
                ("GITHUB_EVENT_NAME", "pull_request"),
            ],
        );
        assert_eq!(code, 1, "{out}");
        let doc: Value = serde_json::from_str(&out).unwrap();
        let f = &doc["models"][0]["findings"][0];
        assert_eq!(f["gate"], "independent-approval");
        assert!(f["message"].as_str().unwrap().contains("not JSON"), "{f}");
    }
}

/// What is run, where, with which environment, and the exit code it must give.
type Scenario<'a> = (
    &'a str,
    &'a Path,
    Vec<&'a str>,
    Vec<(&'a str, &'a str)>,
    i32,
);

/// Every command, through the failures it can meet: never exit 0 where it could not judge.
#[test]
fn fail_closed_sweep() {
    let empty = tempfile::tempdir().unwrap();
    let good = card(GOOD);

    // An unreadable card: a directory where the card should be.
    let dir_card = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir_card.path().join("model-card.yaml")).unwrap();

    // A corrupt git repository.
    let corrupt = card(GOOD);
    std::fs::create_dir_all(corrupt.path().join(".git")).unwrap();
    std::fs::write(corrupt.path().join(".git/HEAD"), "not a ref\n").unwrap();

    // A policy pack that does not load.
    let bad_pack = tempfile::tempdir().unwrap();
    std::fs::write(
        bad_pack.path().join("gates.cedar"),
        "permit (principal, action, resource);",
    )
    .unwrap();
    let bad_pack = bad_pack.path().to_string_lossy().into_owned();

    let production = [
        "check",
        "--action",
        "deploy",
        "--env",
        "production",
        "--now",
        "2026-11-20",
    ];
    let scenarios: Vec<Scenario<'_>> = vec![
        ("no card at all", empty.path(), vec!["check"], vec![], 2),
        (
            "a card path that is a directory",
            dir_card.path(),
            vec!["check", "model-card.yaml"],
            vec![],
            2,
        ),
        (
            "a corrupt repository with --changed-since",
            corrupt.path(),
            vec!["check", "--changed-since", "main"],
            vec![],
            2,
        ),
        (
            "a corrupt repository with --record-git-note",
            corrupt.path(),
            vec![
                "check",
                "--now",
                "2026-11-20",
                "--action",
                "deploy",
                "--env",
                "staging",
                "--record-git-note",
            ],
            vec![],
            2,
        ),
        (
            "a pack that does not load",
            good.path(),
            vec!["check", "--policies", &bad_pack],
            vec![],
            2,
        ),
        (
            "--policies-ref outside a repository",
            good.path(),
            vec!["check", "--policies-ref", "main"],
            vec![],
            2,
        ),
        (
            "the GitHub API is down",
            good.path(),
            production.to_vec(),
            vec![
                ("GITHUB_TOKEN", "t"),
                ("GITHUB_API_URL", "http://127.0.0.1:9"),
                ("GITHUB_REPOSITORY", "acme/models"),
            ],
            1,
        ),
        (
            "an unreadable event payload",
            good.path(),
            vec!["check"],
            vec![
                ("GITHUB_EVENT_PATH", "/no/such/event.json"),
                ("GITHUB_EVENT_NAME", "push"),
            ],
            2,
        ),
        (
            "a record that cannot be written",
            good.path(),
            vec![
                "check",
                "--now",
                "2026-11-20",
                "--action",
                "deploy",
                "--env",
                "staging",
                "--record",
                "/proc/aimsgate/decisions.jsonl",
            ],
            vec![],
            2,
        ),
        (
            "validate a pack that does not load",
            good.path(),
            vec!["validate", "--policies", &bad_pack],
            vec![],
            2,
        ),
        (
            "test without test files",
            empty.path(),
            vec!["test"],
            vec![],
            2,
        ),
        (
            "controls with an unreadable statement",
            good.path(),
            vec!["controls", "--soa", "/no/such/soa.yaml"],
            vec![],
            2,
        ),
        (
            "explain an unknown gate",
            good.path(),
            vec!["explain", "no-such-gate"],
            vec![],
            2,
        ),
        (
            "log outside a repository",
            empty.path(),
            vec!["log"],
            vec![],
            2,
        ),
        (
            "init over a card that has governance",
            good.path(),
            vec!["init", "m/model-card.yaml", "--no-workflow"],
            vec![],
            2,
        ),
    ];
    for (what, dir, args, env, expected) in scenarios {
        let (code, out) = run(dir, &args, &env);
        assert_eq!(code, expected, "{what}: {out}");
    }
}

#[test]
fn paths_and_ids_cannot_start_lines_of_their_own_in_any_format() {
    let dir = tempfile::tempdir().unwrap();
    // A folder whose name holds a fake total, workflow commands, an encoded line break and an
    // invisible character; its card has an id of its own and is blocked.
    let folder = dir.path().join(
        "m\nallowed: 2 models checked for release; 2 allowed, 0 blocked\n::add-mask::x\n::error::pwned%0A\u{200B}\r::warning::cr",
    );
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("model-card.yaml"),
        GOOD.replace("  owner: \"@a\"\n", "  id: m\n"),
    )
    .unwrap();
    for format in ["human", "json", "sarif", "github", "markdown", "junit"] {
        let (code, out) = check(dir.path(), &["--format", format]);
        assert_eq!(code, 1, "{format}: {out}");
        // A CI log reader ends a line at LF and at a lone CR.
        for line in out.split(['\n', '\r']) {
            for injected in [
                "allowed: 2",
                "::add-mask::",
                "::error::pwned",
                "::warning::cr",
            ] {
                assert!(
                    !line.trim_start().starts_with(injected),
                    "{format}: {line:?} starts a line of its own in {out}"
                );
            }
        }
    }
    // An id with the same text is refused at its line, in every format.
    let dir = card(&GOOD.replace(
        "  owner: \"@a\"\n",
        "  owner: \"@a\"\n  id: \"m\\n::error::pwned\\r::add-mask::x\\u200B\"\n",
    ));
    for format in ["human", "json", "sarif", "github", "markdown", "junit"] {
        let (code, out) = check(dir.path(), &["--format", format]);
        assert_eq!(code, 2, "{format}: {out}");
        assert!(out.contains("is not a valid model"), "{format}: {out}");
        for line in out.split(['\n', '\r']) {
            assert!(
                !line.trim_start().starts_with("::error::pwned")
                    && !line.trim_start().starts_with("::add-mask::"),
                "{format}: {line:?}"
            );
        }
    }
}

#[cfg(unix)]
#[test]
fn configuration_is_read_only_from_regular_files_inside_the_repository() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.yaml");
    std::fs::write(&secret, "waivers: [ THE-SECRET-LINE\n").unwrap();
    for (file, target) in [
        (".aimsgate/waivers.yaml", secret.clone()),
        (".aimsgate/config.yaml", secret.clone()),
        (
            ".aimsgate/waivers.yaml",
            std::path::PathBuf::from("/dev/zero"),
        ),
    ] {
        let dir = card(GOOD);
        std::fs::create_dir_all(dir.path().join(".aimsgate")).unwrap();
        std::os::unix::fs::symlink(&target, dir.path().join(file)).unwrap();
        let started = std::time::Instant::now();
        let (code, out) = check(dir.path(), &[]);
        assert_eq!(code, 2, "{file} -> {target:?}: {out}");
        assert!(out.contains("leads outside the repository"), "{out}");
        assert!(
            !out.contains("THE-SECRET-LINE"),
            "the outside file is quoted: {out}"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }
    // A FIFO inside the repository is refused, not opened (which would wait for a writer).
    let dir = card(GOOD);
    std::fs::create_dir_all(dir.path().join(".aimsgate")).unwrap();
    let fifo = dir.path().join(".aimsgate/waivers.yaml");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let (code, out) = check(dir.path(), &[]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("is not a regular file"), "{out}");
    // And one over the size bound.
    std::fs::remove_file(&fifo).unwrap();
    std::fs::write(&fifo, "#".repeat(2 * 1024 * 1024)).unwrap();
    let (code, out) = check(dir.path(), &[]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("larger than 1024 KiB"), "{out}");
}

#[test]
fn a_long_text_aliased_many_times_is_refused_not_an_abort() {
    let mut text = format!(
        "governance:\n  owner: &o \"{}\"\n  out_of_scope_uses: [",
        "x".repeat(1024 * 1024)
    );
    text.push_str(&vec!["*o"; 4000].join(", "));
    text.push_str("]\n");
    let (code, out) = check(card(&text).path(), &[]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("MiB of text"), "{out}");
}

/// Card bodies built against the body reader — one line of 3 MiB of template variables, 300,000
/// headings, 3 MiB of empty lines, unclosed comments and bold — are read in one pass each and
/// judged: the body gates warn, nothing hangs or is refused.
#[test]
fn card_bodies_built_against_the_body_reader_are_read_in_one_pass() {
    let front = "---\nlicense: mit\ngovernance:\n  id: m\n---\n";
    for (name, body) in [
        (
            "variables",
            format!("## Training Details\n\n{}\n", "{{}}".repeat(750_000)),
        ),
        ("headings", "# Training\n".repeat(300_000)),
        (
            "empty-lines",
            format!("## Evaluation\n{}", "\n".repeat(3_000_000)),
        ),
        (
            "unclosed",
            format!(
                "## Evaluation\n<!-- {}\n**{}\n",
                "x ".repeat(700_000),
                "y ".repeat(700_000)
            ),
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("README.md"), format!("{front}{body}")).unwrap();
        let (code, out) = check(dir.path(), &["README.md", "--format", "json"]);
        // Judged (blocked: the card lacks an owner and the rest), never an error.
        assert_eq!(code, 1, "{name}: {out}");
        assert!(
            out.contains("\"gate\": \"evaluation-documented\""),
            "{name}: {out}"
        );
    }
}
