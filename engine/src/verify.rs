//! `aimsgate verify`: symbolic analysis of a policy pack with `cedar-policy-symcc` and the cvc5
//! SMT solver. For every request shape the schema allows, each gate is proven never to error
//! (Cedar skips an erroring policy, so a gate that can error is a gate that can silently not
//! apply), to be able to fire (not vacuous), and not to fire on every request (not a blanket
//! deny); each action, that the pack neither always allows nor always denies it. Organisation
//! properties — Cedar policies saying what must hold — are checked as implications: whatever
//! the pack allows, the properties allow. A failure comes with a counterexample: a concrete
//! request and model, as Cedar writes them.

use std::collections::BTreeMap;

use cedar_policy::{Policy, PolicySet, RequestEnv};
use cedar_policy_symcc::solver::LocalSolver;
use cedar_policy_symcc::{CedarSymCompiler, CompiledPolicy, CompiledPolicySet};

use crate::error::VerifyError;
use crate::pack::Pack;

/// One proof obligation and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Obligation {
    /// The gate id, `pack`, or the property's id.
    pub subject: String,
    /// What was to be shown.
    pub claim: String,
    /// `None` when proven; otherwise what went wrong, with a counterexample when there is one.
    pub failure: Option<String>,
}

/// The outcome of a verification.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verification {
    pub obligations: Vec<Obligation>,
}

impl Verification {
    pub fn failed(&self) -> usize {
        self.obligations
            .iter()
            .filter(|o| o.failure.is_some())
            .count()
    }
}

fn env_name(env: &RequestEnv) -> String {
    format!("{} on {}", env.action(), env.resource())
}

/// Verifies `pack`, and `properties` (policies that must allow whatever the pack allows).
/// `Err` when the analysis itself cannot run (no solver, a construct symcc does not support).
pub fn verify(pack: &Pack, properties: Option<&PolicySet>) -> Result<Verification, VerifyError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| VerifyError::Solver(format!("cannot start the runtime: {e}")))?;
    // The solver runs as a child process driven by the runtime.
    let _guard = runtime.enter();
    let solver = LocalSolver::cvc5().map_err(|e| {
        VerifyError::Solver(format!("cannot start the cvc5 SMT solver ({e}); install it (Debian: `apt-get install cvc5`) or point the CVC5 variable at it"))
    })?;
    let mut compiler = CedarSymCompiler::new(solver)
        .map_err(|e| VerifyError::Solver(format!("cannot start the symbolic compiler: {e}")))?;
    let schema = &pack.schema;
    let envs: Vec<RequestEnv> = schema.request_envs().collect();
    if envs.is_empty() {
        return Err(VerifyError::Solver(
            "the schema declares no action a request could name".into(),
        ));
    }
    let mut out = Verification::default();
    let fail = |e: cedar_policy_symcc::err::Error| VerifyError::Solver(e.to_string());

    for gate in &pack.gates {
        let policy: &Policy = pack
            .policies
            .policy(&cedar_policy::PolicyId::new(&gate.id))
            .ok_or_else(|| {
                VerifyError::Solver(format!("internal: gate `{}` is not in the pack", gate.id))
            })?;
        let mut fires_somewhere = false;
        for env in &envs {
            let compiled = CompiledPolicy::compile(policy, env, schema).map_err(|e| {
                VerifyError::Solver(format!("gate `{}` ({}): {e}", gate.id, env_name(env)))
            })?;
            let errors = runtime
                .block_on(compiler.check_never_errors_with_counterexample_opt(&compiled))
                .map_err(fail)?;
            out.obligations.push(Obligation {
                subject: gate.id.clone(),
                claim: format!("never errors ({})", env_name(env)),
                failure: errors.map(|cex| format!("it errors on this request:\n{cex}")),
            });
            let never = runtime
                .block_on(compiler.check_never_matches_opt(&compiled))
                .map_err(fail)?;
            fires_somewhere |= !never;
            let always = runtime
                .block_on(compiler.check_always_matches_with_counterexample_opt(&compiled))
                .map_err(fail)?;
            // `check_always_matches_…` returns a request on which it does *not* match: the
            // gate is a blanket deny when there is none.
            out.obligations.push(Obligation {
                subject: gate.id.clone(),
                claim: format!("does not fire on every request ({})", env_name(env)),
                failure: always
                    .is_none()
                    .then(|| "it fires on every request: a blanket deny".to_string()),
            });
        }
        out.obligations.push(Obligation {
            subject: gate.id.clone(),
            claim: "can fire (not vacuous)".into(),
            failure: (!fires_somewhere)
                .then(|| "no request makes it fire: the gate never applies".to_string()),
        });
    }

    for env in &envs {
        let compiled = CompiledPolicySet::compile(&pack.policies, env, schema)
            .map_err(|e| VerifyError::Solver(format!("the pack ({}): {e}", env_name(env))))?;
        let allows = runtime
            .block_on(compiler.check_always_allows_opt(&compiled))
            .map_err(fail)?;
        let denies = runtime
            .block_on(compiler.check_always_denies_opt(&compiled))
            .map_err(fail)?;
        out.obligations.push(Obligation {
            subject: "pack".into(),
            claim: format!(
                "neither always allows nor always denies ({})",
                env_name(env)
            ),
            failure: match (allows, denies) {
                (true, _) => Some("it allows every request: no gate can ever block".into()),
                (_, true) => Some("it denies every request: nothing can ever pass".into()),
                _ => None,
            },
        });
        if let Some(properties) = properties {
            let required = CompiledPolicySet::compile(properties, env, schema).map_err(|e| {
                VerifyError::Solver(format!("the properties ({}): {e}", env_name(env)))
            })?;
            let cex = runtime
                .block_on(compiler.check_implies_with_counterexample_opt(&compiled, &required))
                .map_err(fail)?;
            out.obligations.push(Obligation {
                subject: "properties".into(),
                claim: format!(
                    "whatever the pack allows, the properties allow ({})",
                    env_name(env)
                ),
                failure: cex
                    .map(|c| format!("the pack allows a request the properties forbid:\n{c}")),
            });
        }
    }
    Ok(out)
}

/// Obligations grouped by subject, for printing.
pub fn by_subject(v: &Verification) -> BTreeMap<&str, Vec<&Obligation>> {
    let mut map: BTreeMap<&str, Vec<&Obligation>> = BTreeMap::new();
    for o in &v.obligations {
        map.entry(o.subject.as_str()).or_default().push(o);
    }
    map
}
