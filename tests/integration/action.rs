//! The composite action simulated as GitHub runs it: `action/action.yml` is read, each step's
//! `env:` is resolved from the inputs (and their defaults) as GitHub would, and its `run:` is
//! executed with bash against the built binary, with the variables a runner sets
//! (`GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, `GITHUB_EVENT_PATH`, …) and GitHub's API on loopback.
//! A pull request that breaks two gates gets two annotations on the right lines, a summary that
//! explains both and a failing check; the same pull request fixed turns green.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use aimsgate::yaml::{self, Node, ScalarKind, Value};

use crate::common;
use crate::common::server::{Server, recorded, route, serve};
use crate::common::{commit, repo, root, write};

fn text(node: &Node) -> String {
    match &node.value {
        Value::Scalar { text, kind } if *kind != ScalarKind::Null => text.clone(),
        _ => String::new(),
    }
}

fn action() -> Node {
    let source: Arc<str> =
        Arc::from(std::fs::read_to_string(root().join("action/action.yml")).unwrap());
    yaml::parse(
        &source,
        yaml::Origin { line: 1, offset: 0 },
        yaml::Limits::default(),
    )
    .expect("action.yml parses")
    .expect("action.yml is not empty")
}

/// The action's steps.
fn steps(action: &Node) -> &[Node] {
    let steps = &action
        .get("runs")
        .unwrap()
        .value
        .get("steps")
        .unwrap()
        .value;
    let Value::Seq(steps) = &steps.value else {
        panic!("steps is a list")
    };
    steps
}

/// The step with `id`: its environment (unresolved) and its script.
fn step(action: &Node, id: &str) -> (Vec<(String, String)>, String) {
    let steps = steps(action);
    let step = steps
        .iter()
        .find(|s| s.get("id").is_some_and(|e| text(&e.value) == id))
        .unwrap_or_else(|| panic!("no step `{id}`"));
    assert_eq!(text(&step.get("shell").unwrap().value), "bash");
    let env = match step.get("env").map(|e| &e.value.value) {
        Some(Value::Map(entries)) => entries
            .iter()
            .map(|e| (e.key.clone(), text(&e.value)))
            .collect(),
        _ => Vec::new(),
    };
    (env, text(&step.get("run").unwrap().value))
}

/// Resolves `${{ inputs.x }}`, `${{ github.token }}` and `${{ steps.install.outputs.bin }}`.
fn resolve(expr: &str, inputs: &BTreeMap<String, String>, action: &Node, bin: &Path) -> String {
    let inner = expr
        .trim()
        .trim_start_matches("${{")
        .trim_end_matches("}}")
        .trim();
    if let Some(name) = inner.strip_prefix("inputs.") {
        if let Some(v) = inputs.get(name) {
            return v.clone();
        }
        let declared = &action.get("inputs").unwrap().value;
        let input = declared
            .get(name)
            .unwrap_or_else(|| panic!("undeclared input `{name}`"));
        let default = input
            .value
            .get("default")
            .map(|d| text(&d.value))
            .unwrap_or_default();
        return if default.contains("${{") {
            resolve(&default, inputs, action, bin)
        } else {
            default
        };
    }
    match inner {
        "github.token" => TOKEN.to_string(),
        "steps.install.outputs.bin" => bin.to_string_lossy().into_owned(),
        "github.action_repository" => String::new(),
        // No cache in these runs: the install step takes the release or builds.
        "steps.cache.outputs.cache-hit" => String::new(),
        other => panic!("the test does not know `{other}`"),
    }
}

const TOKEN: &str = "ghs_ACTIONTOKEN0123456789SECRET";

struct Outcome {
    /// The runner's temporary folder, kept for as long as the outcome is looked at.
    _runner: tempfile::TempDir,
    code: i32,
    stdout: String,
    outputs: BTreeMap<String, String>,
    summary: String,
}

/// Runs the `check` step in `workdir` as a pull request event.
fn run_check_step(workdir: &Path, server: &Server, inputs: &[(&str, &str)]) -> Outcome {
    let action = action();
    let (env, script) = step(&action, "check");
    let inputs: BTreeMap<String, String> = inputs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_aimsgate"));
    let runner = tempfile::tempdir().unwrap();
    let output = runner.path().join("github_output");
    let summary = runner.path().join("step_summary");
    std::fs::write(&output, "").unwrap();
    std::fs::write(&summary, "").unwrap();
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(&script)
        .current_dir(workdir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_ACTION_PATH", root().join("action"))
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env(
            "GITHUB_EVENT_PATH",
            root().join("fixtures/github/event-pull-request.json"),
        )
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_BASE_REF", "main")
        .env("GITHUB_API_URL", &server.url)
        .env("RUNNER_TEMP", runner.path());
    for (key, value) in env {
        let value = if value.contains("${{") {
            resolve(&value, &inputs, &action, &bin)
        } else {
            value
        };
        cmd.env(key, value);
    }
    let out = cmd.output().expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !stdout.contains(TOKEN) && !stderr.contains(TOKEN),
        "the token leaked"
    );
    let outputs = runner_outputs(&std::fs::read_to_string(&output).unwrap());
    Outcome {
        _runner: runner,
        code: out.status.code().expect("an exit code"),
        stdout: format!("{stdout}{stderr}"),
        outputs,
        summary: std::fs::read_to_string(&summary).unwrap(),
    }
}

fn github_routes() -> Vec<common::server::Route> {
    vec![
        route("/pulls/42/reviews", 200, &recorded("reviews-42.json")),
        route(
            "GET /repos/acme/models/commits/",
            200,
            &recorded("commit.json"),
        ),
        route("POST /repos/acme/models/check-runs", 201, r#"{"id": 31}"#),
        route("GET /repos/acme/models/issues/42/comments", 200, "[]"),
        route(
            "POST /repos/acme/models/issues/42/comments",
            201,
            r#"{"id": 5}"#,
        ),
    ]
}

const GOOD: &str = "fixtures/example/models/sentiment-classifier/model-card.yaml";

#[test]
fn a_pull_request_that_breaks_two_gates_fails_and_the_fix_turns_it_green() {
    let (dir, repo) = repo();
    let good = std::fs::read_to_string(root().join(GOOD)).unwrap();
    // The pull request removes the owner and lets a bias result drift out of its threshold.
    let broken = good
        .replacen("\n  owner: \"@acme/support-ml\"\n", "\n", 1)
        .replace("        value: 0.02\n", "        value: 0.09\n");
    assert_ne!(broken, good);
    write(&repo, "models/sentiment/model-card.yaml", good.as_bytes());
    commit(&repo, "Sentiment model", ("Omar Ali", "omar@acme.example"));
    common::track_origin(&repo, "main");
    write(&repo, "models/sentiment/model-card.yaml", broken.as_bytes());
    commit(&repo, "Retrain", ("Alice Dev", "alice@acme.example"));
    let server = serve(github_routes());
    let sarif = dir.path().join("out/aimsgate.sarif");
    std::fs::create_dir_all(sarif.parent().unwrap()).unwrap();
    let sarif_input = sarif.to_string_lossy().into_owned();
    let inputs = [("sarif", sarif_input.as_str())];
    let r = run_check_step(dir.path(), &server, &inputs);

    assert_eq!(
        r.code, 1,
        "the step fails when the gate blocks: {}",
        r.stdout
    );
    assert_eq!(r.outputs["decision"], "blocked");
    assert_eq!(r.outputs["blocked-models"], "sentiment");
    assert!(Path::new(&r.outputs["report"]).exists());
    assert!(sarif.exists(), "the SARIF file is written");
    let annotations: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("::error "))
        .collect();
    assert_eq!(annotations.len(), 2, "{}", r.stdout);
    let expect = [
        ("owner-assigned", "line=13,"),
        ("bias-tests-passed", "line=30,"),
    ];
    for (gate, line) in expect {
        assert!(
            annotations.iter().any(|a| a.contains(gate)
                && a.contains("file=models/sentiment/model-card.yaml,")
                && a.contains(line)),
            "no annotation for {gate} at {line}: {annotations:#?}"
        );
    }
    assert!(r.summary.contains("❌ blocked"), "{}", r.summary);
    assert!(r.summary.contains("`owner-assigned`") && r.summary.contains("`bias-tests-passed`"));
    let check = server
        .requests
        .lock()
        .unwrap()
        .iter()
        .find(|q| q.path.ends_with("/check-runs"))
        .and_then(|q| q.body.clone())
        .expect("a check run");
    assert_eq!(check["conclusion"], "failure");
    assert_eq!(check["output"]["annotations"].as_array().unwrap().len(), 2);

    // The fix.
    write(&repo, "models/sentiment/model-card.yaml", good.as_bytes());
    commit(
        &repo,
        "Restore the owner; retrain with the fairness constraint",
        ("Alice Dev", "alice@acme.example"),
    );
    let server = serve(github_routes());
    let r = run_check_step(dir.path(), &server, &inputs);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(r.outputs["decision"], "allowed");
    assert_eq!(r.outputs["blocked-models"], "");
    assert!(
        !r.stdout.lines().any(|l| l.starts_with("::error ")),
        "{}",
        r.stdout
    );
    assert!(r.summary.contains("✅ allowed"), "{}", r.summary);
    let check = server
        .requests
        .lock()
        .unwrap()
        .iter()
        .find(|q| q.path.ends_with("/check-runs"))
        .and_then(|q| q.body.clone())
        .expect("a check run");
    assert_eq!(check["conclusion"], "success");
}

#[test]
fn a_step_that_cannot_evaluate_fails_with_decision_error() {
    let (dir, repo) = repo();
    write(
        &repo,
        "models/x/model-card.yaml",
        b"governance:\n  risk_tier: severe\n",
    );
    commit(&repo, "Bad card", ("Alice Dev", "alice@acme.example"));
    common::track_origin(&repo, "main");
    let server = serve(github_routes());
    let r = run_check_step(
        dir.path(),
        &server,
        &[("comment", "false"), ("check-run", "false")],
    );
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert_eq!(r.outputs["decision"], "error");
    assert!(
        r.stdout
            .contains("::error file=models/x/model-card.yaml,line=2"),
        "{}",
        r.stdout
    );
    let published = server
        .requests
        .lock()
        .unwrap()
        .iter()
        .filter(|q| q.method == "POST")
        .count();
    assert_eq!(published, 0, "nothing is published when not asked");
}

#[test]
fn every_input_the_steps_use_is_declared_and_inputs_reach_scripts_only_through_env() {
    let action = action();
    for id in ["install", "check"] {
        let (env, script) = step(&action, id);
        assert!(
            !script.contains("${{"),
            "step `{id}` interpolates an expression into its script"
        );
        for (key, value) in env {
            if let Some(name) = value.trim().strip_prefix("${{ inputs.") {
                let name = name.trim_end_matches("}}").trim();
                assert!(
                    action.get("inputs").unwrap().value.get(name).is_some(),
                    "{key} uses undeclared input `{name}`"
                );
            }
        }
    }
}

/// Runs the `install` step with a release served from loopback.
fn run_install_step(
    server: &Server,
    version: &str,
) -> (i32, String, BTreeMap<String, String>, tempfile::TempDir) {
    let action = action();
    let (env, script) = step(&action, "install");
    let inputs: BTreeMap<String, String> = [("version".to_string(), version.to_string())].into();
    let runner = tempfile::tempdir().unwrap();
    let output = runner.path().join("github_output");
    std::fs::write(&output, "").unwrap();
    let arch = if std::env::consts::ARCH == "aarch64" {
        "ARM64"
    } else {
        "X64"
    };
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(&script)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GITHUB_ACTION_PATH", root().join("action"))
        .env("GITHUB_OUTPUT", &output)
        .env("RUNNER_TEMP", runner.path())
        .env("RUNNER_OS", "Linux")
        .env("RUNNER_ARCH", arch)
        .env("AIMSGATE_DOWNLOAD_URL", &server.url);
    for (key, value) in env {
        let value = if value.contains("${{") {
            resolve(&value, &inputs, &action, Path::new(""))
        } else {
            value
        };
        cmd.env(key, value);
    }
    let out = cmd.output().expect("bash runs");
    let outputs = runner_outputs(&std::fs::read_to_string(&output).unwrap());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text, outputs, runner)
}

/// A release tarball of the built binary, as the release workflow names it, and its sha256.
fn release(version: &str) -> (String, Vec<u8>, String) {
    let target = if std::env::consts::ARCH == "aarch64" {
        "aarch64-unknown-linux-gnu"
    } else {
        "x86_64-unknown-linux-gnu"
    };
    let asset = format!("aimsgate-v{version}-{target}.tar.gz");
    let work = tempfile::tempdir().unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_aimsgate"), work.path().join("aimsgate")).unwrap();
    let status = Command::new("tar")
        .args(["-czf", &asset, "aimsgate"])
        .current_dir(work.path())
        .status()
        .unwrap();
    assert!(status.success());
    let bytes = std::fs::read(work.path().join(&asset)).unwrap();
    let sum = Command::new("sha256sum")
        .arg(&asset)
        .current_dir(work.path())
        .output()
        .unwrap();
    let sum = String::from_utf8(sum.stdout).unwrap();
    (asset, bytes, sum)
}

#[test]
fn the_release_binary_is_installed_only_when_its_sha256_matches() {
    let (asset, bytes, sum) = release("9.9.9");
    let tarball = common::server::Route {
        body: bytes,
        ..route(&format!("GET /v9.9.9/{asset}"), 200, "")
    };
    let server = serve(vec![
        route(&format!("GET /v9.9.9/{asset}.sha256"), 200, &sum),
        tarball.clone(),
    ]);
    let (code, text, outputs, _runner) = run_install_step(&server, "v9.9.9");
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("sha256 verified"), "{text}");
    let bin = &outputs["bin"];
    let version = Command::new(bin).arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("aimsgate "));

    let tampered = format!("{}  {asset}\n", "0".repeat(64));
    let server = serve(vec![
        route(&format!("GET /v9.9.9/{asset}.sha256"), 200, &tampered),
        tarball,
    ]);
    let (code, text, outputs, runner) = run_install_step(&server, "9.9.9");
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("does not match its published sha256"),
        "{text}"
    );
    assert!(!outputs.contains_key("bin"));
    // The refused download is not left behind (on a runner, or on this machine's /tmp).
    let left: Vec<_> = std::fs::read_dir(runner.path().join("aimsgate"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .filter(|name| name != "bin")
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// The outputs file read as GitHub's runner reads it: `NAME=VALUE` lines, and
/// `NAME<<DELIMITER` followed by the value's lines up to a line that is exactly `DELIMITER`
/// (a missing delimiter fails the step). A later value of a name replaces an earlier one.
fn runner_outputs(text: &str) -> std::collections::BTreeMap<String, String> {
    let mut outputs = std::collections::BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.is_empty() {
            continue;
        }
        let equals = line.find('=');
        let heredoc = line.find("<<");
        match (equals, heredoc) {
            (Some(e), h) if h.is_none_or(|h| e < h) => {
                outputs.insert(line[..e].to_string(), line[e + 1..].to_string());
            }
            (_, Some(h)) => {
                let (name, delimiter) = (&line[..h], &line[h + 2..]);
                let mut value = Vec::new();
                loop {
                    let next = lines
                        .next()
                        .unwrap_or_else(|| panic!("no delimiter `{delimiter}` closes `{name}`"));
                    if next == delimiter {
                        break;
                    }
                    value.push(next);
                }
                outputs.insert(name.to_string(), value.join("\n"));
            }
            _ => panic!("the runner rejects the output line `{line}`"),
        }
    }
    outputs
}

#[test]
fn text_from_cards_never_adds_an_output_or_a_workflow_command() {
    let (dir, repo) = repo();
    let good = std::fs::read_to_string(root().join(GOOD)).unwrap();
    let blocked = good.replacen("\n  owner: \"@acme/support-ml\"\n", "\n", 1);
    // A folder whose name tries to end the outputs and start workflow commands; its card has
    // an id of its own and is blocked.
    let folder = "models/x\ndecision=allowed\nblocked-models=\n::add-mask::secret\n::error::pwned%0A\u{200B}";
    write(
        &repo,
        &format!("{folder}/model-card.yaml"),
        blocked
            .replacen("governance:\n", "governance:\n  id: sneaky\n", 1)
            .as_bytes(),
    );
    commit(&repo, "Models", ("Alice Dev", "alice@acme.example"));
    common::track_origin(&repo, "main");
    let server = serve(github_routes());
    let r = run_check_step(
        dir.path(),
        &server,
        &[("comment", "false"), ("check-run", "false")],
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(
        r.outputs.keys().collect::<Vec<_>>(),
        [
            "attestation-predicate",
            "attestation-subjects",
            "attestations",
            "blocked-models",
            "decision",
            "report"
        ],
        "{:?}",
        r.outputs
    );
    assert_eq!(r.outputs["decision"], "blocked");
    assert_eq!(r.outputs["blocked-models"], "sneaky");
    for line in r.stdout.lines() {
        for injected in [
            "::add-mask::",
            "::error::pwned",
            "decision=",
            "blocked-models=",
        ] {
            assert!(!line.starts_with(injected), "{line:?} in {}", r.stdout);
        }
    }
    // An id that tries the same is refused: the step fails with `error`, and still only the
    // three outputs exist.
    let (dir, second) = common::repo();
    write(
        &second,
        "models/y/model-card.yaml",
        good.replacen(
            "governance:\n",
            "governance:\n  id: \"y\\ndecision=allowed\"\n",
            1,
        )
        .as_bytes(),
    );
    commit(&second, "Models", ("Alice Dev", "alice@acme.example"));
    common::track_origin(&second, "main");
    let server = serve(github_routes());
    let r = run_check_step(
        dir.path(),
        &server,
        &[("comment", "false"), ("check-run", "false")],
    );
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert_eq!(r.outputs.len(), 6, "{:?}", r.outputs);
    assert_eq!(r.outputs["decision"], "error");
}

/// The action's `set_output`, on its own, given values that try to end their output early.
#[test]
fn every_output_is_written_with_a_delimiter_no_value_can_guess() {
    let script = std::fs::read_to_string(root().join("action/run.sh")).unwrap();
    let start = script.find("set_output() {").expect("set_output in run.sh");
    let end = start + script[start..].find("\n}\n").expect("its end") + 3;
    let function = &script[start..end];
    let runner = tempfile::tempdir().unwrap();
    let output = runner.path().join("github_output");
    std::fs::write(&output, "").unwrap();
    let hostile = "sneaky\ndecision=allowed\nEOF\nblocked-models=\nreport<<EOF\n/etc/passwd\nEOF";
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "{function}\nset_output decision blocked\nset_output blocked-models \"$HOSTILE\"\nset_output report /tmp/r.json\n"
        ))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GITHUB_OUTPUT", &output)
        .env("HOSTILE", hostile)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let outputs = runner_outputs(&std::fs::read_to_string(&output).unwrap());
    assert_eq!(outputs.len(), 3, "{outputs:?}");
    assert_eq!(outputs["decision"], "blocked");
    assert_eq!(outputs["blocked-models"], hostile);
    assert_eq!(outputs["report"], "/tmp/r.json");
}

/// A second run of the action in one job whose `aimsgate` dies before writing anything must not
/// pass the first run's summary, report or blocked models off as its own.
#[test]
fn a_run_that_writes_nothing_never_reuses_an_earlier_runs_files() {
    let runner = tempfile::tempdir().unwrap();
    let reports = runner.path().join("aimsgate-report");
    std::fs::create_dir_all(&reports).unwrap();
    std::fs::write(
        reports.join("aimsgate.json"),
        r#"{"decision": "blocked", "models": [{"id": "stale", "decision": "blocked"}]}"#,
    )
    .unwrap();
    std::fs::write(reports.join("summary.md"), "STALE SUMMARY\n").unwrap();
    let fake = runner.path().join("aimsgate");
    std::fs::write(&fake, "#!/usr/bin/env bash\nexit 2\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let output = runner.path().join("github_output");
    let summary = runner.path().join("step_summary");
    std::fs::write(&output, "").unwrap();
    std::fs::write(&summary, "").unwrap();
    let out = Command::new("bash")
        .arg(root().join("action/run.sh"))
        .current_dir(runner.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AIMSGATE", &fake)
        .env("RUNNER_TEMP", runner.path())
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("INPUT_PROTECTED_REF", "none")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let outputs = runner_outputs(&std::fs::read_to_string(&output).unwrap());
    assert_eq!(outputs["decision"], "error");
    assert_eq!(outputs["blocked-models"], "");
    assert!(
        !std::fs::read_to_string(&summary).unwrap().contains("STALE"),
        "the earlier run's summary was appended"
    );
}

#[test]
fn a_cached_build_is_used_and_the_cache_key_follows_the_source() {
    // The install step with the cache restored: no build, the cached binary.
    let runner = tempfile::tempdir().unwrap();
    let bin = runner.path().join("aimsgate/bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_aimsgate"), bin.join("aimsgate")).unwrap();
    let output = runner.path().join("github_output");
    std::fs::write(&output, "").unwrap();
    let out = Command::new("bash")
        .arg(root().join("action/install.sh"))
        .env_clear()
        // No cargo on the way: a build would fail.
        .env("PATH", "/usr/bin:/bin")
        .env("RUNNER_TEMP", runner.path())
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_ACTION_PATH", root().join("action"))
        .env("AIMSGATE_CACHED", "true")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("restored from the cache"), "{text}");
    let outputs = runner_outputs(&std::fs::read_to_string(&output).unwrap());
    assert_eq!(outputs["bin"], bin.join("aimsgate").to_string_lossy());

    // The key is the source's: the same twice, another when a source file changes.
    let copy = tempfile::tempdir().unwrap();
    for dir in ["engine", "policies", "action"] {
        for file in common::files(&root().join(dir)) {
            let rel = file.strip_prefix(root()).unwrap();
            let target = copy.path().join(rel);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::copy(&file, target).unwrap();
        }
    }
    for file in ["Cargo.toml", "Cargo.lock"] {
        std::fs::copy(root().join(file), copy.path().join(file)).unwrap();
    }
    let key = || {
        let output = copy.path().join("out");
        std::fs::write(&output, "").unwrap();
        let out = Command::new("bash")
            .arg(copy.path().join("action/source-key.sh"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("GITHUB_ACTION_PATH", copy.path().join("action"))
            .env("GITHUB_OUTPUT", &output)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        runner_outputs(&std::fs::read_to_string(&output).unwrap())["key"].clone()
    };
    let first = key();
    assert_eq!(first.len(), 64, "{first}");
    assert_eq!(key(), first);
    std::fs::write(
        copy.path().join("policies/gates/owner-assigned.cedar"),
        "// changed\n",
    )
    .unwrap();
    assert_ne!(key(), first);
}

/// The `with:` of the step that uses `uses_prefix`, and the step's `if:` and `uses:`.
fn uses_step(action: &Node, uses_prefix: &str) -> (BTreeMap<String, String>, String, String) {
    let steps = steps(action);
    let step = steps
        .iter()
        .find(|s| {
            s.get("uses")
                .is_some_and(|u| text(&u.value).starts_with(uses_prefix))
        })
        .unwrap_or_else(|| panic!("no step uses {uses_prefix}"));
    let with = match step.get("with").map(|w| &w.value.value) {
        Some(Value::Map(entries)) => entries
            .iter()
            .map(|e| (e.key.clone(), text(&e.value)))
            .collect(),
        _ => BTreeMap::new(),
    };
    (
        with,
        text(&step.get("if").unwrap().value),
        text(&step.get("uses").unwrap().value),
    )
}

/// `attest: true` as GitHub runs it: the check step makes the one model's predicate and its
/// subjects ready, and the next step hands exactly those to `actions/attest`, pinned by commit.
#[test]
fn attest_hands_the_one_models_verification_summary_to_github_attestations() {
    let (dir, repo) = repo();
    let good = std::fs::read_to_string(root().join(GOOD)).unwrap();
    write(&repo, "models/sentiment/model-card.yaml", good.as_bytes());
    write(&repo, "models/sentiment/model.onnx", b"onnx weights");
    commit(&repo, "Sentiment model", ("Omar Ali", "omar@acme.example"));
    common::track_origin(&repo, "main");
    let server = serve(github_routes());
    let inputs = [("attest", "true"), ("paths", "models/sentiment")];
    let r = run_check_step(dir.path(), &server, &inputs);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let predicate = &r.outputs["attestation-predicate"];
    let subjects = &r.outputs["attestation-subjects"];
    let predicate: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(predicate).unwrap()).unwrap();
    assert_eq!(predicate["verificationResult"], "PASSED");
    assert_eq!(predicate["aimsgate"]["model"], "sentiment");
    let lines = std::fs::read_to_string(subjects).unwrap();
    let names: Vec<&str> = lines
        .lines()
        .map(|l| {
            let (digest, name) = l.split_once("  ").unwrap();
            assert_eq!(digest.len(), 64, "{l}");
            name
        })
        .collect();
    assert_eq!(
        names,
        [
            "models/sentiment/model-card.yaml",
            "models/sentiment/model.onnx"
        ]
    );
    assert!(Path::new(&r.outputs["attestations"]).is_dir());

    // The attest step: pinned by commit, run only when there is a predicate, fed the outputs.
    let action = action();
    let (with, condition, uses) = uses_step(&action, "actions/attest@");
    let pin = uses.trim_start_matches("actions/attest@");
    assert!(
        pin.len() == 40 && pin.bytes().all(|b| b.is_ascii_hexdigit()),
        "{uses}"
    );
    assert!(condition.contains("inputs.attest == 'true'"), "{condition}");
    assert!(condition.contains("steps.check.outputs.attestation-predicate != ''"));
    assert_eq!(
        with["subject-checksums"],
        "${{ steps.check.outputs.attestation-subjects }}"
    );
    assert_eq!(
        with["predicate-path"],
        "${{ steps.check.outputs.attestation-predicate }}"
    );
    assert_eq!(
        with["predicate-type"],
        "https://slsa.dev/verification_summary/v1"
    );

    // Two models in one run: an error, not a guess at which to attest.
    let second = good.replace("sentiment-classifier", "other");
    write(&repo, "models/other/model-card.yaml", second.as_bytes());
    commit(&repo, "Another model", ("Omar Ali", "omar@acme.example"));
    let server = serve(github_routes());
    let r = run_check_step(dir.path(), &server, &[("attest", "true")]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert_eq!(r.outputs["decision"], "error");
    assert_eq!(r.outputs["attestation-predicate"], "");
    assert!(
        r.stdout.contains("attests one model per run"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_signing_key_signs_the_statements_and_never_stays_on_disk_or_in_the_log() {
    let (dir, repo) = repo();
    let good = std::fs::read_to_string(root().join(GOOD)).unwrap();
    write(&repo, "models/sentiment/model-card.yaml", good.as_bytes());
    commit(&repo, "Sentiment model", ("Omar Ali", "omar@acme.example"));
    common::track_origin(&repo, "main");
    let key = std::fs::read_to_string(root().join("fixtures/keys/ed25519.key")).unwrap();
    let server = serve(github_routes());
    let r = run_check_step(dir.path(), &server, &[("signing-key", key.as_str())]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let folder = PathBuf::from(&r.outputs["attestations"]);
    let envelope = folder.join("sentiment.intoto.jsonl");
    assert!(envelope.exists(), "{}", r.stdout);
    // The key file is gone and no line of the key reached the log.
    let runner = folder.parent().unwrap();
    assert!(!runner.join("signing.key").exists());
    for line in key.lines().filter(|l| !l.starts_with("-----")) {
        assert!(!r.stdout.contains(line), "the key leaked");
    }
    // It verifies with the public half.
    let public = root().join("fixtures/keys/ed25519.pub");
    let verified = Command::new(env!("CARGO_BIN_EXE_aimsgate"))
        .arg("verify-attestation")
        .arg(&envelope)
        .arg("--key")
        .arg(&public)
        .args(["--action", "release"])
        .arg(dir.path().join("models/sentiment/model-card.yaml"))
        .output()
        .unwrap();
    assert_eq!(
        verified.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
}

/// A file name that would start a line of its own in the `sha256sum` list handed to
/// `actions/attest` (and so claim a digest of the author's choosing for a name of the author's
/// choosing) is refused, never written.
#[test]
fn a_subject_name_that_would_forge_a_checksum_line_is_refused() {
    let (dir, repo) = repo();
    let good = std::fs::read_to_string(root().join(GOOD)).unwrap();
    write(&repo, "models/sentiment/model-card.yaml", good.as_bytes());
    let forged = format!(
        "models/sentiment/x\n{}  models/sentiment/evil.onnx",
        "0".repeat(64)
    );
    write(&repo, &forged, b"anything");
    commit(&repo, "Sentiment model", ("Omar Ali", "omar@acme.example"));
    common::track_origin(&repo, "main");
    let server = serve(github_routes());
    let r = run_check_step(
        dir.path(),
        &server,
        &[("attest", "true"), ("paths", "models/sentiment")],
    );
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert_eq!(r.outputs["decision"], "error");
    assert_eq!(r.outputs["attestation-subjects"], "");
    assert!(r.stdout.contains("control character"), "{}", r.stdout);
}

/// Every word of `paths` is a path: it cannot add an option such as a back-dated `--now`.
#[test]
fn paths_cannot_add_options() {
    let (dir, repo) = repo();
    let good = std::fs::read_to_string(root().join(GOOD)).unwrap();
    write(&repo, "models/sentiment/model-card.yaml", good.as_bytes());
    commit(&repo, "Sentiment model", ("Omar Ali", "omar@acme.example"));
    common::track_origin(&repo, "main");
    let server = serve(github_routes());
    let r = run_check_step(
        dir.path(),
        &server,
        &[("paths", "--now 2020-01-01 models/sentiment")],
    );
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert_eq!(r.outputs["decision"], "error");
    assert!(r.stdout.contains("--now"), "named as a path: {}", r.stdout);
}
