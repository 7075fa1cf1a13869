//! Renderers: leaf modules that turn a [`crate::report::Report`] into text on a writer.
//! They never evaluate and never pick an exit code.

pub mod explain;
pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod log;
pub mod markdown;
pub mod sarif;
