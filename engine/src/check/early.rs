//! What a `--changed-since` run reads while git works out what changed.
//!
//! Git's status of the work tree walks every folder of it; a run that judges only the cards a
//! change touched still reads every other card for its id. Neither needs the other, so the
//! command reads the ids first, on the cores git's status leaves idle: every card is read as a
//! card the change does not ask for is read ([`skip`]). Once the change is known, the cards it
//! asks for (and every card that is a link) are read again, whole, and judged; the rest keep
//! what was read here. What the run decides is what it decides without this: the same change
//! asks for the same cards, and a card that is skipped is read by the same function, only
//! sooner.

use std::path::{Path, PathBuf};

use git2::Repository;

use super::{Outcome, Seen};
use crate::card::Keys;
use crate::card::ids::IdIndex;
use crate::config::Governance;
use crate::discover::{self, Candidate, Loaded};
use crate::error::{EvidenceError, InputError};
use crate::spread::spread;

/// The candidates of a run, and the identity of each, read before the change is known.
#[derive(Debug)]
pub struct Early {
    /// The work tree's root they were listed from: the run's must be the same.
    pub(super) root: PathBuf,
    pub(super) tracked: Vec<Candidate>,
    pub(super) errors: Vec<InputError>,
    pub(super) untracked: discover::Untracked,
    pub(super) budget: discover::Budget,
    pub(super) ids: IdIndex,
    /// One per tracked candidate, as a skipped card, with what its reading took from the
    /// budget: `None` for one that is a link, which is always read whole.
    pub(super) outcomes: Vec<Option<(Outcome, u64)>>,
}

impl Early {
    /// Lists the candidates under `paths` (the repository containing `cwd` when empty) and
    /// reads each for its identity. `None` outside a git work tree: `--changed-since` then
    /// fails on its own.
    pub fn read(
        cwd: &Path,
        paths: &[PathBuf],
        governance: Option<&Governance>,
        keys: &Keys,
    ) -> Option<Early> {
        let root = crate::evidence::git::open(cwd)
            .ok()?
            .workdir()?
            .to_path_buf();
        // The untracked files of the work tree are listed by git's status of it: the
        // untracked cards are found among them once it is read.
        let (tracked, errors, untracked) =
            discover::tracked_but_top(cwd, &root, paths, &super::opaque(governance));
        let budget = discover::Budget::default();
        let ids = ids_for(&root);
        let outcomes = spread(&tracked, |c| {
            (!c.is_link()).then(|| {
                let mut charged = 0;
                let outcome = skip(c, keys, &budget, &ids, &mut charged);
                (outcome, charged)
            })
        });
        Some(Early {
            root,
            tracked,
            errors,
            untracked,
            budget,
            ids,
            outcomes,
        })
    }

    /// The outcome of every tracked candidate: what was read here for one the change does
    /// not ask for (`wanted` says which it does), `judge`'s for the rest, whose reading here
    /// is given back to `budget` (a card is counted once).
    pub(super) fn complete(
        early: Vec<Option<(Outcome, u64)>>,
        tracked: &[Candidate],
        budget: &discover::Budget,
        wanted: impl Fn(&Candidate) -> bool,
        judge: impl Fn(&Candidate) -> Outcome + Sync,
    ) -> Vec<Outcome> {
        let mut outcomes: Vec<Option<Outcome>> = Vec::with_capacity(early.len());
        let mut again = Vec::new();
        for (i, (read, c)) in early.into_iter().zip(tracked).enumerate() {
            match read {
                Some((outcome, _)) if !wanted(c) => outcomes.push(Some(outcome)),
                read => {
                    if let Some((_, charged)) = read {
                        budget.refund(charged);
                    }
                    outcomes.push(None);
                    again.push(i);
                }
            }
        }
        let judged = spread(&again, |i| judge(&tracked[*i]));
        for (i, outcome) in again.into_iter().zip(judged) {
            outcomes[i] = Some(outcome);
        }
        outcomes
            .into_iter()
            .zip(tracked)
            .map(|(o, c)| {
                // Every slot is filled above; an empty one would be a bug, and is an error.
                o.unwrap_or_else(|| {
                    Outcome::Unreadable(vec![InputError::new(
                        Some(&c.shown),
                        EvidenceError::Git("internal: this card was never read".into()),
                    )])
                })
            })
            .collect()
    }
}

/// The index of ids a `--changed-since` run keeps in the git directory of the work tree at
/// `root` (none under CI, see [`IdIndex::kept`]).
pub(super) fn ids_for(root: &Path) -> IdIndex {
    if !IdIndex::kept() {
        return IdIndex::default();
    }
    Repository::open(root)
        .map(|r| IdIndex::open(r.commondir().join("aimsgate").join("ids")))
        .unwrap_or_default()
}

/// A card the change does not ask for, read for its identity alone: whether it claims the id
/// of a card the change made is all the run needs of it.
pub(super) fn skip(
    candidate: &Candidate,
    keys: &Keys,
    budget: &discover::Budget,
    ids: &IdIndex,
    charged: &mut u64,
) -> Outcome {
    match candidate.identify_charging(keys, budget, ids, charged) {
        Ok(Loaded::Card(card)) => {
            Outcome::Skipped(Seen::bare(card.model_id, card.path, card.anchor))
        }
        Ok(Loaded::NotACard { changed }) => Outcome::NotACard { changed },
        Err(errors) => Outcome::Unreadable(errors),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use crate::discover::{Budget, MAX_TOTAL_CARD_BYTES};

    /// A card read early for its id, then whole because the change touches it, is counted
    /// once against the run's bound on card bytes: with room for one reading of it left, it
    /// is read whole.
    #[test]
    fn a_card_read_again_whole_is_counted_once() {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().canonicalize().unwrap();
        let text = "governance:\n  id: m\n";
        std::fs::write(work.join("model-card.yaml"), text).unwrap();
        let (candidates, errors) = discover::candidates(&work, &work, &[], &[]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(candidates.len(), 1);
        let size = text.len() as u64;
        let keys = crate::pack::Pack::embedded().unwrap().card_keys;
        for (wanted, whole) in [(true, true), (false, false)] {
            let budget = Budget::default();
            budget.spend(MAX_TOTAL_CARD_BYTES - size).unwrap();
            let mut charged = 0;
            let early = skip(
                &candidates[0],
                &keys,
                &budget,
                &IdIndex::default(),
                &mut charged,
            );
            assert!(matches!(early, Outcome::Skipped(_)), "{early:?}");
            assert_eq!(charged, size);
            let outcomes = Early::complete(
                vec![Some((early, charged))],
                &candidates,
                &budget,
                |_| wanted,
                |c| match c.load(&keys, &budget) {
                    Ok(Loaded::Card(card)) => {
                        Outcome::Unjudged(Seen::bare(card.model_id, card.path, card.anchor))
                    }
                    Ok(Loaded::NotACard { changed }) => Outcome::NotACard { changed },
                    Err(e) => Outcome::Unreadable(e),
                },
            );
            match &outcomes[..] {
                [Outcome::Unjudged(seen)] => assert!(whole && seen.id == "m"),
                [Outcome::Skipped(seen)] => assert!(!whole && seen.id == "m"),
                other => panic!("{other:?}"),
            }
        }
    }
}
