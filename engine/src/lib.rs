//! aimsgate: a policy-as-code gate for AI systems. Cedar policies encode the lifecycle gates of an
//! ISO/IEC 42001 AI management system; the engine evaluates them against each model's card and
//! blocks a release or deployment when a control is unmet.
//!
//! Data flows one way: [`discover`] finds cards → [`card`] reads them → [`evaluate`] builds the
//! Cedar request and judges it against the [`pack`] → a [`report::Report`] → [`render`]ers.
//! [`check`] strings these together. Only the binary prints and picks the exit code.

pub mod annex_a;
pub mod artifacts;
pub mod attest;
pub(crate) mod bytes;
pub mod card;
pub(crate) mod chars;
pub mod check;
pub mod config;
pub mod date;
pub mod discover;
pub mod error;
pub mod evaluate;
pub mod evidence;
pub(crate) mod finding;
#[doc(hidden)]
pub mod fuzzing;
pub mod github;
pub mod init;
pub mod inventory;
pub mod output_file;
pub mod pack;
pub mod policytest;
pub mod publish;
pub mod record;
pub mod relevel;
pub mod render;
pub mod report;
pub mod setting;
pub mod soa;
pub mod span;
pub(crate) mod spread;
pub mod verdict;
pub mod verify;
pub(crate) mod waivers;
pub mod yaml;
