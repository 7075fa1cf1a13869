//! A one-thread-per-connection HTTP/1.1 server on 127.0.0.1 that plays back recorded GitHub
//! answers and records what the client sent. Tests never reach the network.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::root;

/// One canned answer: for requests whose path contains `pattern`.
#[derive(Clone)]
pub(crate) struct Route {
    /// Matched against `METHOD path`, so `POST /repos` and `/pulls/1` both work.
    pub pattern: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub delay: Duration,
}

pub(crate) fn route(pattern: &str, status: u16, body: &str) -> Route {
    Route {
        pattern: pattern.to_string(),
        status,
        headers: Vec::new(),
        body: body.as_bytes().to_vec(),
        delay: Duration::ZERO,
    }
}

pub(crate) fn recorded(name: &str) -> String {
    std::fs::read_to_string(root().join("fixtures/github").join(name)).expect("a recorded payload")
}

/// What the client sent.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub body: Option<Value>,
}

pub(crate) struct Server {
    pub url: String,
    pub requests: Arc<Mutex<Vec<Request>>>,
}

impl Server {
    pub(crate) fn paths(&self) -> Vec<String> {
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
pub(crate) fn serve(routes: Vec<Route>) -> Server {
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
    let method = head.split_whitespace().next().unwrap_or("").to_string();
    let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        })
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    let body = stream
        .read_exact(&mut body)
        .ok()
        .and_then(|()| serde_json::from_slice(&body).ok());
    let authorization = head
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        })
        .map(|(_, v)| v.trim().to_string());
    log.lock().unwrap().push(Request {
        method: method.clone(),
        path: path.clone(),
        authorization,
        body,
    });
    let target = format!("{method} {path}");
    let answer = routes
        .iter()
        .find(|r| target.contains(&r.pattern))
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
    let _ = stream.write_all(response.as_bytes());
    let _ = stream.write_all(&answer.body);
}
