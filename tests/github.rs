//! GitHub evidence end to end: the real binary reads an event payload and asks GitHub's REST API
//! for reviews — here a server on loopback that the test starts, answering with the recorded
//! payloads under `fixtures/github/` and recording what the client asked. No test reaches the
//! network. Also GitHub's failure modes: 401, 403 (rate limit and permissions), 404, 500, and a
//! slow answer; in each the gate fails closed, says why, and the token never appears.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test states its expectations by panicking"
)]

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use common::{commit, repo, root, write};

const TOKEN: &str = "ghs_TESTTOKEN0123456789abcdefSECRET";

/// One canned answer: for requests whose path contains `pattern`.
#[derive(Clone)]
struct Route {
    pattern: String,
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
    delay: Duration,
}

fn route(pattern: &str, status: u16, body: &str) -> Route {
    Route {
        pattern: pattern.to_string(),
        status,
        headers: Vec::new(),
        body: body.to_string(),
        delay: Duration::ZERO,
    }
}

fn recorded(name: &str) -> String {
    std::fs::read_to_string(root().join("fixtures/github").join(name)).expect("a recorded payload")
}

/// What the client sent.
#[derive(Debug, Clone)]
struct Request {
    path: String,
    authorization: Option<String>,
}

struct Server {
    url: String,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl Server {
    fn paths(&self) -> Vec<String> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.path.clone())
            .collect()
    }
}

/// A one-thread HTTP/1.1 server on 127.0.0.1 answering from `routes` (first match; 404
/// otherwise). It stops by itself after 60 seconds or 200 requests.
fn serve(routes: Vec<Route>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let url = format!("http://{}", listener.local_addr().unwrap());
    listener.set_nonblocking(true).unwrap();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&requests);
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut served = 0;
        while Instant::now() < deadline && served < 200 {
            let stream = match listener.accept() {
                Ok((s, _)) => s,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                }
                Err(_) => return,
            };
            served += 1;
            let (routes, log) = (routes.clone(), Arc::clone(&log));
            std::thread::spawn(move || answer(stream, &routes, &log));
        }
    });
    Server { url, requests }
}

/// Reads one request, records it, and answers it from `routes`.
fn answer(mut stream: std::net::TcpStream, routes: &[Route], log: &Mutex<Vec<Request>>) {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
    let authorization = head
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        })
        .map(|(_, v)| v.trim().to_string());
    log.lock().unwrap().push(Request {
        path: path.clone(),
        authorization,
    });
    let answer = routes
        .iter()
        .find(|r| path.contains(&r.pattern))
        .cloned()
        .unwrap_or_else(|| route("", 404, &recorded("error-404.json")));
    std::thread::sleep(answer.delay);
    let mut response = format!(
        "HTTP/1.1 {} X\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n",
        answer.status,
        answer.body.len()
    );
    for (k, v) in &answer.headers {
        response.push_str(&format!("{k}: {v}\r\n"));
    }
    response.push_str("\r\n");
    response.push_str(&answer.body);
    let _ = stream.write_all(response.as_bytes());
}

/// A repository holding one high-risk card that passes every card gate, at `folder`.
fn repository(folder: &str) -> (tempfile::TempDir, String) {
    let (dir, repo) = repo();
    let card = std::fs::read(root().join("fixtures/cards/owner-assigned/pass.md")).unwrap();
    write(&repo, &format!("{folder}/README.md"), &card);
    let sha = commit(&repo, "Add the model", ("Alice Dev", "alice@acme.example"));
    (dir, sha.to_string())
}

struct Run {
    code: i32,
    doc: Value,
    output: String,
}

fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aimsgate"));
    cmd.arg("check")
        .args(["--now", "2026-11-20", "--format", "json"])
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("the binary runs");
    let code = out.status.code().expect("an exit code");
    assert_ne!(code, 101, "panic: {}", String::from_utf8_lossy(&out.stderr));
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    Run { code, doc, output }
}

const PRODUCTION: [&str; 4] = ["--action", "deploy", "--env", "production"];

fn findings(doc: &Value) -> Vec<(String, String)> {
    doc["models"]
        .as_array()
        .expect("models")
        .iter()
        .flat_map(|m| m["findings"].as_array().expect("findings").iter())
        .map(|f| {
            (
                f["gate"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pr_event_env<'a>(server: &'a Server, event: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("GITHUB_API_URL", server.url.as_str()),
        ("GITHUB_TOKEN", TOKEN),
        ("GITHUB_EVENT_PATH", event),
        ("GITHUB_EVENT_NAME", "pull_request"),
    ]
}

#[test]
fn a_pull_requests_reviews_are_read_and_only_independent_approvals_count() {
    let (dir, _) = repository("models/m");
    let server = serve(vec![
        route(
            "/repos/acme/models/pulls/42/reviews",
            200,
            &recorded("reviews-42.json"),
        ),
        route("/repos/acme/models/commits/", 200, &recorded("commit.json")),
    ]);
    let event = root().join("fixtures/github/event-pull-request.json");
    let event = event.to_string_lossy();
    let r = run(dir.path(), &PRODUCTION, &pr_event_env(&server, &event));
    assert_eq!(r.code, 0, "{}", r.output);
    assert!(!r.output.contains(TOKEN), "the token leaked: {}", r.output);
    let reviews = r.doc["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "reviews")
        .unwrap();
    assert_eq!(reviews["available"], true);
    assert_eq!(reviews["detail"], "pull request #42: approved by jane, lee");
    let paths = server.paths();
    assert_eq!(
        paths,
        [
            "/repos/acme/models/pulls/42/reviews?per_page=100&page=1",
            "/repos/acme/models/commits/4b825dc642cb6eb9a060e54bf8d69288fbee4904",
        ]
    );
    let auth = server.requests.lock().unwrap()[0]
        .authorization
        .clone()
        .unwrap_or_default();
    assert!(auth.ends_with(TOKEN), "the token was not sent: {auth}");
}

#[test]
fn one_independent_approval_is_not_enough_for_a_high_risk_model() {
    let (dir, _) = repository("models/m");
    let reviews: Vec<Value> = serde_json::from_str(&recorded("reviews-42.json")).unwrap();
    let without_lee: Vec<&Value> = reviews
        .iter()
        .filter(|r| r["user"]["login"] != "lee")
        .collect();
    let server = serve(vec![
        route(
            "/pulls/42/reviews",
            200,
            &serde_json::to_string(&without_lee).unwrap(),
        ),
        route("/commits/", 200, &recorded("commit.json")),
    ]);
    let event = root().join("fixtures/github/event-pull-request.json");
    let event = event.to_string_lossy();
    let r = run(dir.path(), &PRODUCTION, &pr_event_env(&server, &event));
    assert_eq!(r.code, 1, "{}", r.output);
    assert_eq!(
        findings(&r.doc),
        [(
            "independent-approval".to_string(),
            "pull request #42 by @dev-alice: 1 independent approval (@jane)".to_string()
        )]
    );
}

#[test]
fn a_deploy_without_a_pull_request_event_finds_the_pull_request_that_merged_the_commit() {
    let (dir, sha) = repository("models/m");
    let pulls = recorded("commit-pulls.json").replace("MERGE_SHA", &sha);
    let server = serve(vec![
        route(&format!("/commits/{sha}/pulls"), 200, &pulls),
        route("/pulls/42/reviews", 200, &recorded("reviews-42.json")),
        route(&format!("/commits/{sha}"), 200, &recorded("commit.json")),
    ]);
    let args = [&PRODUCTION[..], &["--repo", "acme/models"]].concat();
    let r = run(
        dir.path(),
        &args,
        &[("GITHUB_API_URL", &server.url), ("GITHUB_TOKEN", TOKEN)],
    );
    assert_eq!(r.code, 0, "{}", r.output);
    assert_eq!(
        server.paths(),
        [
            format!("/repos/acme/models/commits/{sha}/pulls?per_page=100&page=1"),
            "/repos/acme/models/pulls/42/reviews?per_page=100&page=1".to_string(),
            format!("/repos/acme/models/commits/{sha}"),
        ]
    );
}

#[test]
fn without_a_token_nothing_is_fetched_and_the_gate_says_why() {
    let (dir, _) = repository("models/m");
    let server = serve(Vec::new());
    let r = run(
        dir.path(),
        &[&PRODUCTION[..], &["--repo", "acme/models"]].concat(),
        &[("GITHUB_API_URL", &server.url)],
    );
    assert_eq!(r.code, 1, "{}", r.output);
    let f = findings(&r.doc);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "independent-approval");
    assert!(
        f[0].1
            .contains("pull request reviews are unknown: no GitHub token"),
        "{}",
        f[0].1
    );
    assert!(server.paths().is_empty());
}

#[test]
fn github_failures_fail_the_gate_closed_and_say_why() {
    let limited = Route {
        headers: vec![
            ("x-ratelimit-remaining".into(), "0".into()),
            ("x-ratelimit-reset".into(), "1795000000".into()),
        ],
        ..route(
            "/pulls/42/reviews",
            403,
            &recorded("error-403-rate-limit.json"),
        )
    };
    let slow = Route {
        delay: Duration::from_secs(3),
        ..route("/pulls/42/reviews", 200, &recorded("reviews-42.json"))
    };
    let cases: Vec<(Route, &str, usize, &[&str])> = vec![
        (
            route("/pulls/42/reviews", 401, &recorded("error-401.json")),
            "401 Unauthorized",
            1,
            &[],
        ),
        (limited, "rate limit is exhausted", 1, &[]),
        (
            route("/pulls/42/reviews", 403, &recorded("error-403.json")),
            "pull-requests: read",
            1,
            &[],
        ),
        (
            route("/pulls/42/reviews", 404, &recorded("error-404.json")),
            "404 Not Found",
            1,
            &[],
        ),
        (
            route("/pulls/42/reviews", 500, &recorded("error-500.json")),
            "answered 500",
            3,
            &[],
        ),
        (slow, "did not answer", 3, &["--github-timeout", "1"]),
    ];
    let event = root().join("fixtures/github/event-pull-request.json");
    let event = event.to_string_lossy().into_owned();
    for (answer, says, attempts, extra) in cases {
        let (dir, _) = repository("models/m");
        let server = serve(vec![answer]);
        let args = [&PRODUCTION[..], extra].concat();
        let r = run(dir.path(), &args, &pr_event_env(&server, &event));
        assert_eq!(r.code, 1, "{says}: {}", r.output);
        assert!(!r.output.contains(TOKEN), "the token leaked: {}", r.output);
        let f = findings(&r.doc);
        assert_eq!(f.len(), 1, "{says}: {f:?}");
        assert_eq!(f[0].0, "independent-approval");
        assert!(f[0].1.contains(says), "expected `{says}` in: {}", f[0].1);
        assert_eq!(
            server.paths().len(),
            attempts,
            "{says}: {:?}",
            server.paths()
        );
    }
}

#[test]
fn a_release_event_tag_gives_the_version_and_allows_a_release_from_it() {
    let (dir, _) = repository("models/fraud-detector");
    let event = root().join("fixtures/github/event-release.json");
    let r = run(
        dir.path(),
        &["--action", "release"],
        &[
            ("GITHUB_EVENT_PATH", &event.to_string_lossy()),
            ("GITHUB_EVENT_NAME", "release"),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.output);
    // The same release from a branch that is not the default one, without the event, blocks.
    let r = run(
        dir.path(),
        &["--action", "release", "--default-branch", "trunk"],
        &[],
    );
    assert_eq!(r.code, 1, "{}", r.output);
    assert_eq!(findings(&r.doc)[0].0, "release-from-protected-ref");
    assert!(
        findings(&r.doc)[0]
            .1
            .contains("the release is from branch `main`")
    );
}

#[test]
fn a_pull_request_into_the_default_branch_may_release() {
    let (dir, _) = repository("models/m");
    let event = root().join("fixtures/github/event-pull-request.json");
    let r = run(
        dir.path(),
        &["--action", "release"],
        &[
            ("GITHUB_EVENT_PATH", &event.to_string_lossy()),
            ("GITHUB_EVENT_NAME", "pull_request"),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.output);
    let github = r.doc["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "github-event")
        .unwrap()
        .clone();
    assert_eq!(github["detail"], "pull_request #42 into main");
}

#[test]
fn an_unreadable_event_payload_is_an_error() {
    let (dir, _) = repository("models/m");
    let bad = dir.path().join("event.json");
    std::fs::write(&bad, "{ not json").unwrap();
    let r = run(
        dir.path(),
        &[],
        &[
            ("GITHUB_EVENT_PATH", &bad.to_string_lossy()),
            ("GITHUB_EVENT_NAME", "push"),
        ],
    );
    assert_eq!(r.code, 2, "{}", r.output);
    assert!(r.output.contains("not JSON"), "{}", r.output);
}
