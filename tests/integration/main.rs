//! aimsgate's integration tests, one binary with a module per concern (one link instead of
//! seventeen): the gate fixtures, the registry, the real binary and every output format, git
//! and GitHub evidence against repositories and a loopback server the tests build, the action
//! as GitHub runs it, the audit trail, the trust boundary, and the structure of the code.
//!
//! Run one concern with `cargo test --test integration cli::`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test states its expectations by panicking"
)]

mod common;

mod action;
mod attest;
mod audit;
mod cli;
mod fixtures;
mod fuzz_corpus;
mod git;
mod github;
mod governance;
mod hostile;
mod inventory;
mod outputs;
mod properties;
mod publish;
mod registry;
mod relevel;
mod structure;
mod trust;
mod verify;
mod waivers;
