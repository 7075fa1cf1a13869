//! GitHub evidence end to end: the real binary reads an event payload and asks GitHub's REST API
//! for reviews — here a server on loopback that the test starts, answering with the recorded
//! payloads under `fixtures/github/` and recording what the client asked. No test reaches the
//! network. Also GitHub's failure modes: 401, 403 (rate limit and permissions), 404, 500, and a
//! slow answer; in each the gate fails closed, says why, and the token never appears.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::common::server::{Route, Server, recorded, route, serve};
use crate::common::{Aimsgate, commit, repo, root, write};

const TOKEN: &str = "ghs_TESTTOKEN0123456789abcdefSECRET";

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
    let r = Aimsgate::check(dir).json().args(args).envs(env).run();
    Run {
        code: r.code,
        doc: serde_json::from_str(&r.stdout).unwrap_or(Value::Null),
        output: r.output(),
    }
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
