//! Publishing to GitHub against a loopback server that records every request: the Check Run and
//! its annotations in batches of 50, the sticky comment created once and then updated in place,
//! the fork fallback (403) and server errors — and the exit code never depends on any of it.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Value, json};

use crate::common;
use crate::common::server::{Server, recorded, route, serve};
use crate::common::{Aimsgate, commit, repo, root, write};

const TOKEN: &str = "ghs_PUBLISHTOKEN0123456789SECRET";

fn event() -> String {
    root()
        .join("fixtures/github/event-pull-request.json")
        .to_string_lossy()
        .into_owned()
}

/// A repository with `n` models, each failing three gates and warning on one.
fn repository(n: usize) -> tempfile::TempDir {
    let (dir, repo) = repo();
    for i in 0..n {
        write(
            &repo,
            &format!("models/m{i:03}/model-card.yaml"),
            b"governance:\n  owner: \"@acme/ml\"\n",
        );
    }
    commit(&repo, "Models", ("Alice Dev", "alice@acme.example"));
    dir
}

struct Run {
    code: i32,
    stderr: String,
}

fn publish(dir: &Path, server: &Server, what: &[&str]) -> Run {
    let event = event();
    let mut run = Aimsgate::check(dir)
        .staging()
        .json()
        .env("GITHUB_API_URL", &server.url)
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_EVENT_PATH", &event)
        .env("GITHUB_EVENT_NAME", "pull_request");
    for w in what {
        run = run.args(&["--publish", w]);
    }
    let (code, stdout, stderr) = run.run().parts();
    assert!(
        !stdout.contains(TOKEN) && !stderr.contains(TOKEN),
        "the token leaked"
    );
    serde_json::from_str::<Value>(&stdout).expect("the JSON report is still on stdout");
    Run { code, stderr }
}

/// Reviews so that the reviews evidence is there (not needed for staging, but asked for).
fn review_routes() -> Vec<common::server::Route> {
    vec![
        route("/pulls/42/reviews", 200, &recorded("reviews-42.json")),
        route(
            "GET /repos/acme/models/commits/",
            200,
            &recorded("commit.json"),
        ),
    ]
}

#[test]
fn a_check_run_carries_every_annotation_in_batches_of_50() {
    // Fifteen findings each (the card holds an owner only): 120 annotations.
    let dir = repository(8);
    let mut routes = review_routes();
    routes.push(route(
        "POST /repos/acme/models/check-runs",
        201,
        r#"{"id": 777}"#,
    ));
    routes.push(route(
        "PATCH /repos/acme/models/check-runs/777",
        200,
        r#"{"id": 777}"#,
    ));
    let server = serve(routes);
    let r = publish(dir.path(), &server, &["check-run"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("check run 777 published (failure, 120 annotations)"),
        "{}",
        r.stderr
    );
    let requests = server.requests.lock().unwrap().clone();
    let runs: Vec<_> = requests
        .iter()
        .filter(|q| q.path.contains("check-runs"))
        .collect();
    let sizes: Vec<(String, usize)> = runs
        .iter()
        .map(|q| {
            let body = q.body.as_ref().expect("a JSON body");
            (
                q.method.clone(),
                body["output"]["annotations"].as_array().unwrap().len(),
            )
        })
        .collect();
    assert_eq!(
        sizes,
        [
            ("POST".to_string(), 50),
            ("PATCH".to_string(), 50),
            ("PATCH".to_string(), 20)
        ]
    );
    let created = runs[0].body.as_ref().unwrap();
    assert_eq!(created["name"], "aimsgate");
    assert_eq!(
        created["head_sha"],
        "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
    );
    assert_eq!(created["conclusion"], "failure");
    assert_eq!(created["status"], "completed");
    let first = &created["output"]["annotations"][0];
    assert_eq!(first["path"], "models/m000/model-card.yaml");
    assert!(first["start_line"].as_u64().unwrap() >= 1);
    // Blocking findings are failures, advisory ones warnings.
    let levels: BTreeSet<&str> = created["output"]["annotations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["annotation_level"].as_str().unwrap())
        .collect();
    assert_eq!(levels, BTreeSet::from(["failure", "warning"]));
}

#[test]
fn the_sticky_comment_is_created_once_then_updated_in_place() {
    let dir = repository(1);
    let mut routes = review_routes();
    routes.push(route(
        "GET /repos/acme/models/issues/42/comments",
        200,
        "[]",
    ));
    routes.push(route(
        "POST /repos/acme/models/issues/42/comments",
        201,
        r#"{"id": 9001}"#,
    ));
    let server = serve(routes);
    let r = publish(dir.path(), &server, &["comment"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("pull request comment 9001 created"),
        "{}",
        r.stderr
    );
    let posted = server
        .requests
        .lock()
        .unwrap()
        .iter()
        .find(|q| q.method == "POST")
        .and_then(|q| q.body.clone())
        .unwrap();
    let body = posted["body"].as_str().unwrap().to_string();
    assert!(body.starts_with("<!-- aimsgate:report -->"), "{body}");
    assert!(body.contains("❌ blocked"));

    // The next run finds its comment among others and updates it.
    let comments = json!([
        { "id": 17, "body": "LGTM", "user": { "login": "jane" } },
        { "id": 9001, "body": body, "user": { "login": "github-actions[bot]" } }
    ]);
    let mut routes = review_routes();
    routes.push(route(
        "GET /repos/acme/models/issues/42/comments",
        200,
        &comments.to_string(),
    ));
    routes.push(route(
        "PATCH /repos/acme/models/issues/comments/9001",
        200,
        r#"{"id": 9001}"#,
    ));
    let server = serve(routes);
    let r = publish(dir.path(), &server, &["comment"]);
    assert!(
        r.stderr.contains("pull request comment 9001 updated"),
        "{}",
        r.stderr
    );
    let methods: Vec<String> = server
        .requests
        .lock()
        .unwrap()
        .iter()
        .filter(|q| q.path.contains("comments"))
        .map(|q| format!("{} {}", q.method, q.path))
        .collect();
    assert_eq!(
        methods,
        [
            "GET /repos/acme/models/issues/42/comments?per_page=100&page=1",
            "PATCH /repos/acme/models/issues/comments/9001",
        ]
    );
}

#[test]
fn a_read_only_token_skips_publishing_with_a_notice_and_keeps_the_verdict() {
    let dir = repository(1);
    let mut routes = review_routes();
    let forbidden = recorded("error-403.json");
    routes.push(route("POST /repos/acme/models/check-runs", 403, &forbidden));
    routes.push(route(
        "GET /repos/acme/models/issues/42/comments",
        200,
        "[]",
    ));
    routes.push(route(
        "POST /repos/acme/models/issues/42/comments",
        403,
        &forbidden,
    ));
    let server = serve(routes);
    let r = publish(dir.path(), &server, &["check-run", "comment"]);
    assert_eq!(
        r.code, 1,
        "the verdict, not the publishing, decides: {}",
        r.stderr
    );
    assert_eq!(
        r.stderr.matches("aimsgate: notice:").count(),
        2,
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("check run skipped: the token may not do it"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);
}

#[test]
fn server_errors_are_retried_then_reported_as_a_warning() {
    let (dir, repo) = repo();
    let card =
        std::fs::read(root().join("fixtures/example/models/sentiment-classifier/model-card.yaml"))
            .unwrap();
    write(&repo, "models/ok/model-card.yaml", &card);
    commit(&repo, "A good model", ("Alice Dev", "alice@acme.example"));
    let mut routes = review_routes();
    routes.push(route(
        "POST /repos/acme/models/check-runs",
        502,
        &recorded("error-500.json"),
    ));
    let server = serve(routes);
    let r = publish(dir.path(), &server, &["check-run"]);
    assert_eq!(r.code, 0, "an allowed model stays allowed: {}", r.stderr);
    assert!(
        r.stderr
            .contains("aimsgate: warning: check run failed: GitHub answered 502"),
        "{}",
        r.stderr
    );
    let posts = server
        .requests
        .lock()
        .unwrap()
        .iter()
        .filter(|q| q.method == "POST")
        .count();
    assert_eq!(posts, 3, "asked three times in all");
}

#[test]
fn without_a_token_nothing_is_published() {
    let dir = repository(1);
    let server = serve(Vec::new());
    let out = Aimsgate::check(dir.path())
        .args(&["--publish", "check-run", "--repo", "acme/models"])
        .env("GITHUB_API_URL", &server.url)
        .run();
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("publishing skipped: no GitHub token"));
    assert!(server.paths().is_empty());
}
