//! Renderers: leaf modules that draw what a subcommand shows — a check's
//! [`crate::report::Report`], the log's records, the policy tests' results, the proofs, the
//! pack's validation, the statement of applicability — as text on a writer. They never
//! evaluate and never pick an exit code.

pub mod attestation;
pub mod explain;
pub mod github;
pub mod human;
pub mod inventory;
pub mod json;
pub mod junit;
pub mod log;
pub mod markdown;
pub mod policytest;
mod quoted;
pub mod sarif;
pub mod soa;
pub mod validate;
pub mod verify;
