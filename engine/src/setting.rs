//! The settings a run is given (the protected ref, the base of a change, the repository, …) as
//! the library speaks of them in its messages. The library never spells a command-line flag: a
//! front end names its own spelling once, before a run ([`spell_with`]); the `aimsgate` binary
//! says `--protected-ref`, a library user that names nothing gets plain words ("the protected
//! ref").

use std::sync::OnceLock;

/// A setting a message may tell the reader to give, or name as the origin of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Setting {
    /// The directory of the policy pack.
    Policies,
    /// The ref governance configuration is read from.
    ProtectedRef,
    /// The base a change is judged against.
    ChangedSince,
    /// The repository's default branch.
    DefaultBranch,
    /// The GitHub repository, `OWNER/NAME`.
    Repo,
    /// The token for GitHub's API.
    GithubToken,
    /// Appending each decision record to a git note.
    RecordGitNote,
    /// Writing a signed decision per model.
    Attest,
    /// The most bytes hashed for one model's attestation.
    AttestMaxBytes,
}

impl Setting {
    /// Plain words for the setting, for a front end that names no spelling of its own.
    fn words(self) -> &'static str {
        match self {
            Setting::Policies => "the policy directory",
            Setting::ProtectedRef => "the protected ref",
            Setting::ChangedSince => "the change's base",
            Setting::DefaultBranch => "the default branch",
            Setting::Repo => "the repository",
            Setting::GithubToken => "a GitHub token",
            Setting::RecordGitNote => "recording to a git note",
            Setting::Attest => "attesting",
            Setting::AttestMaxBytes => "the bound on bytes hashed",
        }
    }
}

static SPELLING: OnceLock<fn(Setting) -> &'static str> = OnceLock::new();

/// Names how this front end spells each setting. The first call wins; later ones are ignored,
/// so that one process speaks one vocabulary.
pub fn spell_with(spelling: fn(Setting) -> &'static str) {
    let _ = SPELLING.set(spelling);
}

/// The setting as this front end spells it.
pub fn name(setting: Setting) -> &'static str {
    match SPELLING.get() {
        Some(spell) => spell(setting),
        None => setting.words(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_spelling_settings_are_plain_words() {
        // The library's own tests never name a spelling.
        assert_eq!(name(Setting::ProtectedRef), "the protected ref");
        assert!(!name(Setting::Repo).starts_with('-'));
    }
}
