//! The audit trail: decision records appended to a file and attached to the commit as git notes
//! under refs/notes/aimsgate, read back by `aimsgate log`; a record that cannot be written
//! fails the check.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common;
use crate::common::{Aimsgate, commit, repo, root, write};

fn aimsgate(dir: &Path, args: &[&str]) -> (i32, String, String) {
    Aimsgate::new(dir)
        .args(args)
        .env("USER", "auditor-test")
        .run()
        .parts()
}

fn example(name: &str) -> Vec<u8> {
    std::fs::read(root().join("fixtures/example/models").join(name)).unwrap()
}

/// A repository with one allowed and one blocked model, committed.
fn repository() -> (tempfile::TempDir, git2::Repository, String) {
    let (dir, repo) = repo();
    write(
        &repo,
        "models/sentiment/model-card.yaml",
        &example("sentiment-classifier/model-card.yaml"),
    );
    write(
        &repo,
        "models/fraud/README.md",
        &example("fraud-detector/README.md"),
    );
    let sha = commit(&repo, "Models", ("Alice Dev", "alice@acme.example")).to_string();
    (dir, repo, sha)
}

const STAGING: [&str; 6] = [
    "--action",
    "deploy",
    "--env",
    "staging",
    "--now",
    "2026-11-20",
];

fn sha256_of(file: &Path) -> String {
    let out = Command::new("sha256sum").arg(file).output().unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn every_check_appends_one_decision_record() {
    let (dir, _repo, sha) = repository();
    let args = [
        &["check"][..],
        &STAGING,
        &["--record", "audit/decisions.jsonl"],
    ]
    .concat();
    std::fs::create_dir_all(dir.path().join("audit")).unwrap();
    let (code, _, err) = aimsgate(dir.path(), &args);
    assert_eq!(code, 1, "{err}");
    let (code, _, _) = aimsgate(dir.path(), &args);
    assert_eq!(code, 1);
    let text = std::fs::read_to_string(dir.path().join("audit/decisions.jsonl")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    let r: Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(r["schema_version"], 1);
    assert_eq!(r["commit"], sha);
    assert_eq!(r["branch"], "main");
    assert_eq!(r["actor"], "auditor-test");
    assert_eq!(r["action"], "deploy");
    assert_eq!(r["environment"], "staging");
    assert_eq!(r["now"], "2026-11-20T00:00:00.000Z");
    assert_eq!(r["decision"], "blocked");
    assert_eq!(r["policies"]["origin"], "embedded");
    assert_eq!(r["policies"]["sha256"].as_str().unwrap().len(), 64);
    let fraud = r["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["path"] == "models/fraud/README.md")
        .unwrap();
    assert_eq!(
        fraud["card_sha256"],
        sha256_of(&dir.path().join("models/fraud/README.md"))
    );
    assert_eq!(fraud["decision"], "blocked");
    assert_eq!(fraud["findings"][0]["gate"], "bias-tests-passed");
    assert!(r["recorded_at"].as_str().unwrap().ends_with('Z'));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("audit"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        1,
        "no temporary file is left behind: {leftovers:?}"
    );
}

#[test]
fn waivers_applied_are_recorded() {
    let (dir, repo, _) = repository();
    write(
        &repo,
        ".aimsgate/waivers.yaml",
        b"waivers:\n  - gate: bias-tests-passed\n    model: fraud-detector\n    reason: retraining\n    approved_by: \"@acme/ai-governance\"\n    expires: 2026-12-01\n    reference: NC-7\n",
    );
    let (_, _, err) = aimsgate(
        dir.path(),
        &[&["check"][..], &STAGING, &["--record", "d.jsonl"]].concat(),
    );
    let r: Value = serde_json::from_str(
        std::fs::read_to_string(dir.path().join("d.jsonl"))
            .unwrap()
            .trim(),
    )
    .unwrap_or_else(|e| panic!("{e}: {err}"));
    let fraud = r["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "fraud-detector")
        .unwrap();
    assert_eq!(fraud["waivers_applied"][0]["gate"], "bias-tests-passed");
    assert_eq!(fraud["waivers_applied"][0]["reference"], "NC-7");
    assert_eq!(fraud["findings"][0]["waived"], true);
}

#[test]
fn a_record_that_cannot_be_written_fails_the_check() {
    let (dir, _repo, _) = repository();
    std::fs::remove_file(dir.path().join("models/fraud/README.md")).unwrap();
    let (code, _, _) = aimsgate(dir.path(), &[&["check"][..], &STAGING].concat());
    assert_eq!(code, 0, "allowed without recording");
    let (code, _, err) = aimsgate(
        dir.path(),
        &[
            &["check"][..],
            &STAGING,
            &["--record", "no/such/dir/d.jsonl"],
        ]
        .concat(),
    );
    assert_eq!(code, 2, "an allowed check without its record fails: {err}");
    assert!(err.contains("the decision was not recorded"), "{err}");
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("model-card.yaml"),
        example("sentiment-classifier/model-card.yaml"),
    )
    .unwrap();
    let (code, _, err) = aimsgate(
        outside.path(),
        &[&["check"][..], &STAGING, &["--record-git-note"]].concat(),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--record-git-note needs the commit"), "{err}");
}

#[test]
fn records_round_trip_through_git_notes_and_the_log_filters_them() {
    let (dir, repo, sha) = repository();
    let note = [&["check"][..], &STAGING, &["--record-git-note"]].concat();
    assert_eq!(aimsgate(dir.path(), &note).0, 1);
    let release = [
        "check",
        "--action",
        "release",
        "--default-branch",
        "main",
        "--now",
        "2026-11-20",
        "--record-git-note",
    ];
    assert_eq!(aimsgate(dir.path(), &release).0, 1);

    let message = repo
        .find_note(
            Some("refs/notes/aimsgate"),
            git2::Oid::from_str(&sha).unwrap(),
        )
        .unwrap()
        .message()
        .unwrap()
        .to_string();
    assert_eq!(
        message.lines().count(),
        2,
        "two records on the commit's note"
    );

    let (code, out, _) = aimsgate(dir.path(), &["log", "--format", "json"]);
    assert_eq!(code, 0);
    let all: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert_eq!(all[0]["commit"], sha);

    let (_, out, _) = aimsgate(
        dir.path(),
        &["log", "--model", "sentiment-classifier", "--format", "json"],
    );
    let only: Value = serde_json::from_str(&out).unwrap();
    assert!(only.as_array().unwrap().iter().all(|r| {
        r["models"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["id"] == "sentiment-classifier")
    }));
    let (_, out, _) = aimsgate(
        dir.path(),
        &[
            "log",
            "--gate",
            "bias-tests-passed",
            "--decision",
            "blocked",
            "--format",
            "json",
        ],
    );
    let blocked: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(blocked.as_array().unwrap().len(), 2);
    assert!(
        blocked[0]["models"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["id"] == "fraud-detector")
    );
    let (_, out, _) = aimsgate(
        dir.path(),
        &["log", "--decision", "allowed", "--commit", &sha[..8]],
    );
    assert!(out.contains("allowed  sentiment"), "{out}");
    assert!(!out.contains("fraud-detector"), "{out}");
    assert!(
        out.contains("deploy to staging") && out.contains("by auditor-test"),
        "{out}"
    );
    assert!(out.ends_with("2 decisions\n"), "{out}");
    assert!(
        out.contains("    pack     embedded (sha256 "),
        "the pack that judged, with or without a protected ref: {out}"
    );
    let (code, _, err) = aimsgate(dir.path(), &["log", "--commit", "zzz"]);
    assert_eq!(code, 2, "not a commit id: {err}");
    assert!(
        err.contains("argument::value") && err.contains("hexadecimal"),
        "{err}"
    );
    let (code, out, err) = aimsgate(dir.path(), &["log", "--model", "nope"]);
    assert_eq!(code, 0);
    assert!(out.ends_with("0 decisions\n"), "{out}");
    assert!(
        err.contains("none of the 2 recorded decisions matches the filters"),
        "{err}"
    );
}

/// Starts `n` real `aimsgate check` processes at once in `dir` with `extra` arguments, and
/// waits for them all: their exit codes.
fn at_once(dir: &Path, n: usize, extra: &[&str]) -> Vec<i32> {
    let children: Vec<std::process::Child> = (0..n)
        .map(|_| {
            Aimsgate::new(dir)
                .args(&[&["check"][..], &STAGING, extra, &["--format", "json"]].concat())
                .env("USER", "auditor-test")
                .command()
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            let code = out.status.code().unwrap();
            assert!(
                code == 1,
                "a run failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            code
        })
        .collect()
}

#[test]
fn many_runs_at_once_keep_every_record_in_the_file() {
    let (dir, _repo, _) = repository();
    let codes = at_once(dir.path(), 24, &["--record", "decisions.jsonl"]);
    assert_eq!(codes.len(), 24);
    let text = std::fs::read_to_string(dir.path().join("decisions.jsonl")).unwrap();
    let records: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(records.len(), 24, "one whole record per run");
}

#[test]
fn many_runs_at_once_keep_every_record_in_the_git_note() {
    let (dir, repo, sha) = repository();
    let codes = at_once(dir.path(), 16, &["--record-git-note"]);
    assert_eq!(codes.len(), 16);
    let note = repo
        .find_note(
            Some("refs/notes/aimsgate"),
            git2::Oid::from_str(&sha).unwrap(),
        )
        .unwrap();
    let lines: Vec<&str> = note.message().unwrap().lines().collect();
    assert_eq!(
        lines.len(),
        16,
        "one record per run; the note holds:\n{}",
        lines.join("\n")
    );
    for l in lines {
        serde_json::from_str::<Value>(l).unwrap();
    }
}

#[test]
fn a_torn_last_line_is_left_alone_and_the_log_names_it() {
    let (dir, _repo, _) = repository();
    // A crash halfway through an earlier write.
    std::fs::write(
        dir.path().join("d.jsonl"),
        "{\"schema_version\": 1, \"recor",
    )
    .unwrap();
    let args = [&["check"][..], &STAGING, &["--record", "d.jsonl"]].concat();
    assert_eq!(aimsgate(dir.path(), &args).0, 1);
    let text = std::fs::read_to_string(dir.path().join("d.jsonl")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(
        lines[0], "{\"schema_version\": 1, \"recor",
        "never rewritten"
    );
    serde_json::from_str::<Value>(lines[1]).unwrap();
    let (code, out, err) = aimsgate(dir.path(), &["log", "--record", "d.jsonl"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("d.jsonl:1: not a decision record, skipped"),
        "{err}"
    );
    assert!(out.ends_with("1 decision\n"), "{out}");
}

#[cfg(unix)]
#[test]
fn a_record_path_that_is_not_a_regular_file_is_refused_at_once() {
    let (dir, _repo, _) = repository();
    let fifo = dir.path().join("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    // A FIFO with a reader waiting, so that opening it would succeed were it allowed.
    let reader = Command::new("cat")
        .arg(&fifo)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    for target in [fifo.to_str().unwrap(), "/dev/full", "/dev/null", "."] {
        let started = std::time::Instant::now();
        let (code, _, err) = aimsgate(
            dir.path(),
            &[&["check"][..], &STAGING, &["--record", target]].concat(),
        );
        assert_eq!(code, 2, "{target}: {err}");
        assert!(
            err.contains("not a regular file") || err.contains("Is a directory"),
            "{target}: {err}"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{target}"
        );
    }
    let mut reader = reader;
    let _ = reader.kill();
    let _ = reader.wait();
}

#[cfg(unix)]
#[test]
fn links_planted_where_the_run_writes_are_never_written_through() {
    let (dir, _repo, _) = repository();
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.txt");
    std::fs::write(&secret, "do not touch\n").unwrap();
    std::os::unix::fs::symlink(&secret, dir.path().join("d.jsonl")).unwrap();
    std::os::unix::fs::symlink(&secret, dir.path().join("report.sarif")).unwrap();
    let (code, _, err) = aimsgate(
        dir.path(),
        &[&["check"][..], &STAGING, &["--record", "d.jsonl"]].concat(),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("symbolic link"), "{err}");
    let (code, _, err) = aimsgate(
        dir.path(),
        &[
            &["check"][..],
            &STAGING,
            &["--output", "sarif=report.sarif"],
        ]
        .concat(),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("symbolic link"), "{err}");
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), "do not touch\n");
    // Nothing was written beside them either.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("tmp"))
        .collect();
    assert!(names.is_empty(), "{names:?}");
}

#[test]
fn a_record_says_what_the_run_did_not_judge_and_against_what() {
    let (dir, repo, base) = repository();
    common::track_origin(&repo, "main");
    // The change touches only the fraud model; sentiment is skipped.
    let mut card = example("fraud-detector/README.md");
    card.extend_from_slice(b"\nRetrained.\n");
    write(&repo, "models/fraud/README.md", &card);
    commit(&repo, "Retrain", ("Alice Dev", "alice@acme.example"));
    let event = dir.path().join("event.json");
    std::fs::write(
        &event,
        std::fs::read_to_string(root().join("fixtures/github/event-pull-request.json")).unwrap(),
    )
    .unwrap();
    let (code, _, err) = common::Aimsgate::new(dir.path())
        .args(
            &[
                &["check"][..],
                &STAGING,
                &[
                    "--record",
                    "d.jsonl",
                    "--changed-since",
                    "refs/remotes/origin/main",
                    "--protected-ref",
                    "refs/remotes/origin/main",
                ],
            ]
            .concat(),
        )
        .envs(&[
            ("GITHUB_EVENT_NAME", "pull_request"),
            ("GITHUB_EVENT_PATH", event.to_str().unwrap()),
        ])
        .run()
        .parts();
    assert_eq!(code, 1, "{err}");
    let r: Value = serde_json::from_str(
        std::fs::read_to_string(dir.path().join("d.jsonl"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    assert_eq!(r["schema_version"], 1);
    assert_eq!(r["event"]["name"], "pull_request");
    assert_eq!(r["event"]["pr_number"], 42);
    assert_eq!(r["event"]["head_ref"], "fraud-2.3.0");
    assert_eq!(r["event"]["base_ref"], "main");
    assert_eq!(
        r["event"]["head_sha"],
        "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
    );
    assert_eq!(
        r["event"]["base_sha"],
        "1f2e3d4c5b6a79880706a5b4c3d2e1f0a9b8c7d6"
    );
    assert_eq!(
        r["branch"], "fraud-2.3.0",
        "the change's own branch, not its base"
    );
    assert_eq!(r["changed_since"]["ref"], "refs/remotes/origin/main");
    assert_eq!(r["changed_since"]["merge_base"], base);
    assert_eq!(r["protected_ref"]["commit"], base);
    assert_eq!(r["skipped"][0]["id"], "sentiment", "{r}");
    assert!(
        r["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("neither the card nor its folder changed"),
        "{r}"
    );
    assert_eq!(r["models"].as_array().unwrap().len(), 1, "{r}");
    // The log shows it to an auditor.
    let (_, out, _) = aimsgate(dir.path(), &["log", "--record", "d.jsonl"]);
    assert!(
        out.contains("event    pull_request #42 from fraud-2.3.0 into main"),
        "{out}"
    );
    assert!(out.contains("skipped  sentiment"), "{out}");
    assert!(
        out.contains("scope    changed since refs/remotes/origin/main"),
        "{out}"
    );
}

#[cfg(unix)]
#[test]
fn a_folder_linked_outside_the_repository_is_never_written_through() {
    let (dir, repo, _) = repository();
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("audit")).unwrap();
    write(&repo, ".keep", b"");
    for args in [
        vec!["--record", "audit/decisions.jsonl"],
        vec!["--output", "sarif=audit/aimsgate.sarif"],
    ] {
        let (code, _, err) = aimsgate(dir.path(), &[&["check"][..], &STAGING, &args].concat());
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("leading outside the repository"), "{err}");
    }
    assert_eq!(
        std::fs::read_dir(outside.path()).unwrap().count(),
        0,
        "nothing was written outside"
    );
}

#[test]
fn a_run_that_fails_before_judging_is_recorded_as_an_error() {
    let (dir, _repo, sha) = repository();
    let (code, _, err) = aimsgate(
        dir.path(),
        &[
            &["check"][..],
            &STAGING,
            &[
                "--record",
                "d.jsonl",
                "--changed-since",
                "refs/remotes/origin/nowhere",
            ],
        ]
        .concat(),
    );
    assert_eq!(code, 2, "{err}");
    let r: Value = serde_json::from_str(
        std::fs::read_to_string(dir.path().join("d.jsonl"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    assert_eq!(r["decision"], "error");
    assert_eq!(r["commit"], sha);
    assert!(r["errors"][0].as_str().unwrap().contains("nowhere"), "{r}");
    assert_eq!(r["policies"]["origin"], "embedded");
    // `log --decision error` finds it, and shows why.
    let (code, out, _) = aimsgate(
        dir.path(),
        &["log", "--record", "d.jsonl", "--decision", "error"],
    );
    assert_eq!(code, 0);
    assert!(out.contains("1 decision\n"), "{out}");
    assert!(out.contains("    error    --changed-since"), "{out}");
}

#[test]
fn an_output_that_cannot_be_written_makes_the_report_and_the_record_say_error() {
    let (dir, _repo, _) = repository();
    std::fs::remove_file(dir.path().join("models/fraud/README.md")).unwrap();
    std::fs::create_dir_all(dir.path().join("aimsgate.sarif")).unwrap();
    let out = Aimsgate::new(dir.path())
        .args(&[&["check"][..], &STAGING].concat())
        .args(&["--format", "json", "--record", "d.jsonl"])
        .args(&["--output", "sarif=aimsgate.sarif"])
        .run();
    assert_eq!(out.code, 2);
    let report: Value = out.json();
    assert_eq!(
        report["decision"], "error",
        "the allowed model's run failed: {report}"
    );
    assert!(
        report["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("SARIF")
    );
    let r: Value = serde_json::from_str(
        std::fs::read_to_string(dir.path().join("d.jsonl"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    assert_eq!(r["decision"], "error", "{r}");
}

#[test]
fn the_log_survives_edited_and_junk_records() {
    let (dir, _repo, _) = repository();
    let args = [&["check"][..], &STAGING, &["--record", "d.jsonl"]].concat();
    assert_eq!(aimsgate(dir.path(), &args).0, 1);
    let mut text = std::fs::read_to_string(dir.path().join("d.jsonl")).unwrap();
    // A commit id whose 12th byte falls inside a character, and lots of junk.
    let edited = text.lines().next().unwrap().replacen(
        "\"commit\":\"",
        "\"commit\":\"aaaaaaaaaaa\u{e9}bcdef",
        1,
    );
    text.push_str(&edited);
    text.push('\n');
    text.push_str(&"junk\n".repeat(10_000));
    std::fs::write(dir.path().join("d.jsonl"), text).unwrap();
    let (code, out, err) = aimsgate(dir.path(), &["log", "--record", "d.jsonl"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("aaaaaaaaaaa\u{e9}"), "{out}");
    assert!(out.ends_with("2 decisions\n"), "{out}");
    assert_eq!(
        err.lines().count(),
        21,
        "20 lines named, the rest counted: {err}"
    );
    assert!(
        err.contains("9980 more lines are not decision records"),
        "{err}"
    );
}

#[test]
fn a_fork_is_named_in_the_record_and_the_log() {
    let (dir, _repo, _) = repository();
    let mut event: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("fixtures/github/event-pull-request.json")).unwrap(),
    )
    .unwrap();
    event["pull_request"]["head"]["ref"] = "main".into();
    event["pull_request"]["head"]["repo"]["full_name"] = "mallory/models".into();
    let path = dir.path().join("event.json");
    std::fs::write(&path, event.to_string()).unwrap();
    let (_, _, err) = common::Aimsgate::new(dir.path())
        .args(&[&["check"][..], &STAGING, &["--record", "d.jsonl"]].concat())
        .envs(&[
            ("GITHUB_EVENT_NAME", "pull_request"),
            ("GITHUB_EVENT_PATH", path.to_str().unwrap()),
        ])
        .run()
        .parts();
    let r: Value = serde_json::from_str(
        std::fs::read_to_string(dir.path().join("d.jsonl"))
            .unwrap()
            .trim(),
    )
    .unwrap_or_else(|e| panic!("{e}: {err}"));
    assert_eq!(r["event"]["head_repo"], "mallory/models");
    let (_, out, _) = aimsgate(dir.path(), &["log", "--record", "d.jsonl"]);
    assert!(out.contains("from mallory/models:main into main"), "{out}");
}
