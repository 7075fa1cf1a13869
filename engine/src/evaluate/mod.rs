//! Builds the Cedar request for a card and judges it against the pack, failing closed.
//!
//! The entity is built directly from the typed card (no JSON round trip), with the few derived
//! attributes the schema documents. Every policy of the pack is evaluated by Cedar's evaluator,
//! each policy's condition (its scope and `when`/`unless` clauses as one expression, as Cedar's
//! authorizer forms it) built once per run rather than once per policy and card; that tells
//! which gates fired, whether a permit applies, and which policies erred. The verdict follows
//! Cedar's rule — any applicable forbid denies, no applicable permit denies — except that a gate
//! of severity `warning` reports without blocking, and any policy that could not be evaluated
//! makes the verdict an error: Cedar would skip it, and a skipped forbid is a gate that silently
//! does not apply. A test holds this, card by card, to what Cedar's `Authorizer` answers.

use std::collections::HashSet;
use std::str::FromStr;
use std::sync::Arc;

use cedar_policy::{
    Context, Entities, Entity, EntityId, EntityTypeName, EntityUid, Request,
    RestrictedExpression as Expr,
};

use crate::card::Card;
use crate::date::Instant;
use crate::error::{EvalError, InputError, Kind, PackError};
use crate::evidence::Evidence;
use crate::evidence::EvidenceKey;
use crate::evidence::tags::tag_version;
use crate::pack::Pack;
use crate::report::{Action, Decision, Finding, ModelReport};

mod attr;
mod conform;
mod context;
mod entity;

use attr::Attr;
use cedar_policy_core::ast::{Literal, Value, ValueKind};
use context::{git_record, github_record, review_record};
use entity::{model_entity, shapes};

/// What is being asked: which transition, where to, when, by whom.
#[derive(Debug, Clone)]
pub struct RequestSpec {
    pub action: Action,
    pub environment: Option<String>,
    pub now: Instant,
    pub actor: String,
}

/// A card's Cedar request, ready to authorize.
#[derive(Debug)]
pub struct Prepared {
    pub request: Request,
    pub entities: Entities,
}

/// One policy of the pack, ready to evaluate: what Cedar's authorizer evaluates for it.
#[derive(Debug)]
struct Condition {
    /// The policy's id as Cedar shows it (in its reasons and errors).
    id: String,
    permit: bool,
    /// The scope and the `when`/`unless` clauses as one expression.
    expr: cedar_policy_core::ast::Expr,
    /// The policy's slots (none: a pack holds static policies only).
    slots: cedar_policy_core::ast::SlotEnv,
}

/// What the pack says of one card.
#[derive(Debug, Default, PartialEq)]
struct Judged {
    /// The forbids whose condition holds.
    fired: HashSet<String>,
    /// Whether some permit's condition holds.
    permitted: bool,
    /// The policies that could not be evaluated, with Cedar's error, in the pack's order.
    errors: Vec<(String, String)>,
}

/// Evaluates cards against one pack and one request; built once per run.
#[derive(Debug)]
pub struct Evaluator<'p> {
    pack: &'p Pack,
    evidence: &'p Evidence,
    /// Every policy of the pack, in the order Cedar's authorizer evaluates them.
    conditions: Vec<Condition>,
    action: Action,
    action_uid: EntityUid,
    principal: EntityUid,
    context: Context,
    model_type: EntityTypeName,
    /// Tags at HEAD, for each model's release version.
    tags: Vec<String>,
    /// The instant ages are measured from.
    now: Instant,
    /// Whether each card's entity is checked against the schema (debug builds: every card).
    /// Release builds check the shapes the entity builder can produce once, in
    /// [`Evaluator::new`]; see [`Evaluator::check_shapes`].
    per_card_schema: bool,
    /// The shape a model entity is cut to, when the pack's schema is older than the engine
    /// and does not declare every attribute it builds (see `conform`).
    conform: Option<&'p crate::card::Keys>,
}

fn type_name(name: &str) -> Result<EntityTypeName, Box<InputError>> {
    EntityTypeName::from_str(name).map_err(|e| {
        Box::new(InputError::new(
            None,
            EvalError::Request(format!("internal: bad entity type `{name}`: {e}")),
        ))
    })
}

impl<'p> Evaluator<'p> {
    pub fn new(
        pack: &'p Pack,
        spec: &RequestSpec,
        evidence: &'p Evidence,
    ) -> Result<Self, Box<InputError>> {
        let action_uid = EntityUid::from_type_name_and_id(
            type_name("Aims::Action")?,
            EntityId::new(spec.action.as_str()),
        );
        let principal =
            EntityUid::from_type_name_and_id(type_name("Aims::Actor")?, EntityId::new(&spec.actor));
        let mut pairs = vec![("now".to_string(), Expr::new_datetime(spec.now.to_cedar()))];
        if let Some(env) = &spec.environment {
            pairs.push(("environment".to_string(), Expr::new_string(env.clone())));
        }
        let build = |what: &str, e: EvalError| {
            Box::new(InputError::new(
                None,
                EvalError::Request(format!("cannot build the {what} evidence record: {e}")),
            ))
        };
        if let Ok(facts) = &evidence.git {
            let git = git_record(facts, evidence).map_err(|e| build("git", e))?;
            pairs.push((EvidenceKey::Git.name().to_string(), git));
        }
        if let Some(branch) = evidence.branch() {
            pairs.push((EvidenceKey::Branch.name().to_string(), Expr::text(&branch)));
        }
        if let Some(default) = &evidence.default_branch {
            pairs.push((
                EvidenceKey::DefaultBranch.name().to_string(),
                Expr::text(default),
            ));
        }
        if let Some(event) = &evidence.event {
            let record = github_record(event).map_err(|e| build("GitHub event", e))?;
            pairs.push((EvidenceKey::Github.name().to_string(), record));
        }
        if let Ok(reviews) = &evidence.review {
            let record = review_record(reviews).map_err(|e| build("review", e))?;
            pairs.push((EvidenceKey::Review.name().to_string(), record));
        }
        let context = Context::from_pairs(pairs).map_err(|e| {
            InputError::new(
                Some(&pack.origin),
                EvalError::Request(format!("cannot build the request context: {e}")),
            )
        })?;
        let mut evaluator = Evaluator {
            pack,
            evidence,
            conditions: conditions(pack),
            action: spec.action,
            action_uid,
            principal,
            context,
            model_type: type_name("Aims::Model")?,
            tags: evidence.tags(),
            now: spec.now,
            per_card_schema: cfg!(debug_assertions),
            conform: None,
        };
        // A schema that does not declare what the engine builds may be one copied from an
        // older default pack: cut the entities to it, and judge with that if it then fits.
        let fits = match evaluator.check_shapes() {
            Err(first) if pack.model_shape.is_some() => {
                evaluator.conform = pack.model_shape.as_ref();
                evaluator.check_shapes().map_err(|_| first)
            }
            other => other,
        };
        fits.map_err(|e| {
            Box::new(InputError::new(
                Some(&pack.origin),
                e.context("the policy pack's schema does not fit what aimsgate knows of a card: "),
            ))
        })?;
        Ok(evaluator)
    }

    /// Checks once, against the pack's schema, the request (its principal, action, resource
    /// type and context are the same for every card) and the entities of three synthetic
    /// cards: one with every field the entity builder reads (so every attribute and nested
    /// field it can produce is present, and must be declared with the type it is built with),
    /// one with no governance (every optional attribute absent), and one whose records are
    /// present but empty (every optional nested field absent). Cedar's conformance rules are
    /// per attribute, and each attribute is always built with the same type, so a card's
    /// entity conforms when these three do; cards then skip the per-card check. The embedded
    /// schema's fit is the test suite's (the entities are the same on every run); the
    /// request's context, made of the run's evidence, is checked on every run.
    fn check_shapes(&self) -> Result<(), Kind> {
        let resource =
            EntityUid::from_type_name_and_id(self.model_type.clone(), EntityId::new("shape"));
        Request::new(
            self.principal.clone(),
            self.action_uid.clone(),
            resource,
            self.context.clone(),
            Some(&self.pack.schema),
        )
        .map_err(|e| PackError::Schema(format!("the request does not fit: {}", chain(&e))))?;
        if self.pack.fits_engine {
            return Ok(());
        }
        self.check_entity_shapes()
    }

    /// The entities of the three synthetic cards against the pack's schema (see
    /// [`Evaluator::check_shapes`]).
    fn check_entity_shapes(&self) -> Result<(), Kind> {
        let schema = &self.pack.schema;
        let resource =
            EntityUid::from_type_name_and_id(self.model_type.clone(), EntityId::new("shape"));
        for (text, tag) in shapes::CARDS {
            let source: Arc<str> = Arc::from(*text);
            let card = crate::card::parse(
                "shape.yaml",
                source,
                crate::card::Format::Yaml,
                true,
                "shape",
                &crate::card::Keys::engine(),
            )
            .map_err(|e| PackError::Schema(format!("internal: a shape card does not read: {e:?}")))?
            .ok_or(PackError::Schema(
                "internal: a shape card is not a card".into(),
            ))?;
            let model = self.fit(Entity::from(model_entity::<Value>(
                &card,
                *tag,
                self.now,
                resource.clone(),
            )?))?;
            let actor = Entity::new_no_attrs(self.principal.clone(), HashSet::new());
            Entities::from_entities([model, actor], Some(schema)).map_err(|e| {
                PackError::Schema(format!("a card's entity does not fit: {}", chain(&e)))
            })?;
        }
        Ok(())
    }

    /// The model entity as the pack's schema has it (see `conform`).
    fn fit(&self, model: Entity) -> Result<Entity, EvalError> {
        match self.conform {
            Some(shape) => conform::fit(&model, shape, &self.pack.schema),
            None => Ok(model),
        }
    }

    /// The Cedar request and entities for one card: what [`Evaluator::evaluate`] authorizes.
    pub fn prepare(&self, card: &Card) -> Result<Prepared, Kind> {
        let resource = EntityUid::from_type_name_and_id(
            self.model_type.clone(),
            EntityId::new(&card.model_id),
        );
        let schema = &self.pack.schema;
        let version = tag_version(&self.tags, &card.model_id)?;
        let model = model_entity::<Value>(card, version.as_deref(), self.now, resource.clone())
            .map_err(|e| {
                EvalError::Request(format!("cannot build the Cedar entity for this card: {e}"))
            })?;
        let model = match self.conform {
            // A narrower pack's shape (see `conform`), rare enough to copy the entity out of.
            Some(_) => self.fit(Entity::from(model))?.as_ref().clone(),
            None => model,
        };
        let actor = cedar_policy_core::ast::Entity::with_uid(self.principal.clone().into());
        let schema = self
            .per_card_schema
            .then(|| cedar_policy_core::validator::CoreSchema::new(schema.as_ref()));
        // Neither entity has a parent (the model is made without, the actor by its uid alone),
        // so the transitive closure of their hierarchy is empty: Cedar's public constructor
        // would compute it on every card, for nothing.
        let entities = cedar_policy_core::entities::Entities::from_entities(
            [model, actor],
            schema.as_ref(),
            cedar_policy_core::entities::TCComputation::AssumeAlreadyComputed,
            cedar_policy_core::extensions::Extensions::all_available(),
        )
        .map(Entities::from)
        .map_err(|e| {
            EvalError::Request(format!(
                "the card does not fit the policy pack's schema: {e}"
            ))
        })?;
        // Checked against the schema once, in `new`: only the resource's id differs per card.
        let request = Request::new(
            self.principal.clone(),
            self.action_uid.clone(),
            resource,
            self.context.clone(),
            None,
        )
        .map_err(|e| {
            EvalError::Request(format!(
                "the request does not fit the policy pack's schema: {e}"
            ))
        })?;
        Ok(Prepared { request, entities })
    }

    /// Judges one card. Errors are returned beside the report; the report's decision is then
    /// [`Decision::Error`].
    pub fn evaluate(&self, card: &Card) -> (ModelReport, Vec<InputError>) {
        let mut report = ModelReport {
            id: card.model_id.clone(),
            path: card.path.clone(),
            decision: Decision::Error,
            findings: Vec::new(),
            source: card.source.clone(),
        };
        let error = |k: Kind| InputError::at(&card.path, &card.source, card.anchor, k);
        let request = match self.prepare(card) {
            Ok(r) => r,
            Err(m) => return (report, vec![error(m)]),
        };
        let Judged {
            fired,
            permitted,
            errors,
        } = self.judge(&request);
        if !errors.is_empty() {
            let errors = errors
                .into_iter()
                .map(|(id, e)| {
                    error(
                        EvalError::Policy(format!(
                            "policy `{id}` could not be evaluated for this model, and a gate that cannot be evaluated cannot be trusted: {e}"
                        ))
                        .into(),
                    )
                })
                .collect();
            return (report, errors);
        }
        let mut findings: Vec<Finding> = self
            .pack
            .gates
            .iter()
            .filter(|g| fired.contains(g.id.as_str()) && !g.off)
            .map(|g| Finding::new(g, card, self.evidence))
            .collect();
        if !permitted {
            findings.push(Finding::not_permitted(card, self.action));
        }
        findings.sort_by(|a, b| {
            (a.location.span.start.offset, &a.gate).cmp(&(b.location.span.start.offset, &b.gate))
        });
        report.decision = crate::verdict::decide(&findings, false);
        report.findings = findings;
        (report, Vec::new())
    }
}

impl Evaluator<'_> {
    /// Evaluates every policy of the pack for one card, as Cedar's authorizer does: a policy
    /// applies when its condition is `true`, and one whose condition errs (or is not a
    /// boolean) is an error.
    fn judge(&self, prepared: &Prepared) -> Judged {
        let request: &cedar_policy_core::ast::Request = prepared.request.as_ref();
        let evaluator = cedar_policy_core::evaluator::Evaluator::new(
            request.clone(),
            prepared.entities.as_ref(),
            cedar_policy_core::extensions::Extensions::all_available(),
        );
        let mut judged = Judged::default();
        for c in &self.conditions {
            // A condition is a conjunction (`&&` of the scope and the clauses), whose value
            // Cedar makes a boolean or an error: the branch for any other value cannot be
            // taken, and would be an error all the same (never "does not apply").
            let value = evaluator.interpret(&c.expr, &c.slots);
            match value.as_ref().map(Value::value_kind) {
                Ok(ValueKind::Lit(Literal::Bool(true))) if c.permit => judged.permitted = true,
                Ok(ValueKind::Lit(Literal::Bool(true))) => {
                    judged.fired.insert(c.id.clone());
                }
                Ok(ValueKind::Lit(Literal::Bool(false))) => {}
                Ok(_) => judged
                    .errors
                    .push((c.id.clone(), "its condition is not a boolean".into())),
                Err(e) => judged.errors.push((c.id.clone(), e.to_string())),
            }
        }
        judged
    }
}

/// Every policy of the pack with its condition, in the order Cedar's authorizer takes them.
fn conditions(pack: &Pack) -> Vec<Condition> {
    let set: &cedar_policy_core::ast::PolicySet = pack.policies.as_ref();
    set.policies()
        .map(|p| Condition {
            id: p.id().to_string(),
            permit: p.effect() == cedar_policy_core::ast::Effect::Permit,
            expr: p.condition(),
            slots: p.env().clone(),
        })
        .collect()
}

/// An error with its causes, which Cedar keeps the specifics in.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let more = c.to_string();
        if !out.contains(&more) {
            out.push_str(": ");
            out.push_str(&more);
        }
        cause = c.source();
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]
    use super::*;
    use std::collections::BTreeSet;
    use std::path::Path;

    /// Every attribute path (`bias_tests.results[].group`) of an entity's JSON.
    fn paths(v: &serde_json::Value, prefix: &str, out: &mut BTreeSet<String>) {
        match v {
            serde_json::Value::Object(m) if !m.contains_key("__extn") => {
                for (k, v) in m {
                    let p = format!("{prefix}.{k}");
                    out.insert(p.clone());
                    paths(v, &p, out);
                }
            }
            serde_json::Value::Array(items) => {
                for i in items {
                    paths(i, &format!("{prefix}[]"), out);
                }
            }
            _ => {}
        }
    }

    fn attribute_paths(card: &Card) -> BTreeSet<String> {
        let uid =
            EntityUid::from_type_name_and_id(type_name("Aims::Model").unwrap(), EntityId::new("m"));
        let now = Instant::parse("2026-11-20").unwrap();
        let entity = Entity::from(model_entity::<Value>(card, Some("1.0.0"), now, uid).unwrap());
        let mut out = BTreeSet::new();
        paths(&entity.to_json_value().unwrap()["attrs"], "", &mut out);
        out
    }

    fn cards_under(dir: &Path, out: &mut Vec<Card>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                cards_under(&path, out);
            } else if let Ok(Some(card)) = crate::card::load(
                &path,
                &path.to_string_lossy(),
                true,
                &crate::card::Keys::engine(),
            ) {
                out.push(card);
            }
        }
    }

    /// The entity built from Cedar's values directly is the one Cedar's `Entity::new` makes of
    /// the same attributes as restricted expressions, for every card of the fixtures and every
    /// shape card, with and without a release tag, at two instants (ages differ).
    #[test]
    fn entities_built_from_values_equal_those_cedar_interprets() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut cards = Vec::new();
        cards_under(&root, &mut cards);
        for (text, _) in shapes::CARDS {
            let card = crate::card::parse(
                "shape.yaml",
                Arc::from(*text),
                crate::card::Format::Yaml,
                true,
                "m",
                &crate::card::Keys::engine(),
            );
            cards.push(card.unwrap().unwrap());
        }
        assert!(cards.len() > 50, "the fixtures were read: {}", cards.len());
        let uid =
            EntityUid::from_type_name_and_id(type_name("Aims::Model").unwrap(), EntityId::new("m"));
        let mut dated = 0;
        for card in &cards {
            for (tag, now) in [
                (None, "2026-11-20"),
                (Some("1.0.0"), "2031-02-03T04:05:06Z"),
            ] {
                let now = Instant::parse(now).unwrap();
                let reference = model_entity::<Expr>(card, tag, now, uid.clone()).unwrap();
                let direct =
                    Entity::from(model_entity::<Value>(card, tag, now, uid.clone()).unwrap());
                assert_eq!(direct, reference, "{}", card.path);
                assert_eq!(
                    direct.to_json_value().unwrap(),
                    reference.to_json_value().unwrap(),
                    "{}",
                    card.path
                );
                dated += usize::from(reference.attr("impact_assessment").is_some());
            }
        }
        assert!(
            dated > 20,
            "cards with dated records were compared: {dated}"
        );
    }

    /// What Cedar's `Authorizer` says of a card: the forbids among its reasons, whether a permit
    /// applies (asked of the permits alone), and the errors it reports.
    fn cedar_judged(evaluator: &Evaluator, prepared: &Prepared) -> Judged {
        use cedar_policy::{AuthorizationError, Authorizer, PolicySet};
        let pack = evaluator.pack;
        let response =
            Authorizer::new().is_authorized(&prepared.request, &pack.policies, &prepared.entities);
        let errors = response
            .diagnostics()
            .errors()
            .map(|e| {
                let AuthorizationError::PolicyEvaluationError(e) = e;
                (e.policy_id().to_string(), e.inner().to_string())
            })
            .collect();
        let fired = response
            .diagnostics()
            .reason()
            .map(|id| id.to_string())
            .filter(|id| !pack.permits.contains(id))
            .collect();
        let permits = PolicySet::from_policies(
            pack.policies
                .policies()
                .filter(|p| p.effect() == cedar_policy::Effect::Permit)
                .cloned(),
        )
        .unwrap();
        let permitted = Authorizer::new()
            .is_authorized(&prepared.request, &permits, &prepared.entities)
            .decision()
            == cedar_policy::Decision::Allow;
        Judged {
            fired,
            permitted,
            errors,
        }
    }

    fn evidences() -> Vec<Evidence> {
        let none = Evidence::unavailable("test");
        let mut tagged = none.clone();
        let person = crate::evidence::git::Person {
            name: "A".into(),
            email: "a@example.com".into(),
        };
        tagged.git = Ok(crate::evidence::git::GitFacts {
            root: Path::new("/r").to_path_buf(),
            commit: "0".repeat(40),
            author: person.clone(),
            committer: person,
            time: Instant::parse("2026-11-19").unwrap(),
            signed: false,
            trailers: vec!["Reviewed-by: B <b@example.com>".into()],
            branch: Some("main".into()),
            tags: vec!["fraud-detector-v2.3.0".into(), "v1.0.0".into()],
            origin_head: Some("main".into()),
            origin_url: None,
        });
        tagged.default_branch = Some("main".into());
        tagged.policies_changed = true;
        vec![none, tagged]
    }

    /// A card's entities, made without Cedar computing their hierarchy's closure, are the
    /// store Cedar's public constructor (which computes it) makes of the same two entities,
    /// with the per-card schema check and without.
    #[test]
    fn a_cards_entities_are_the_store_cedars_constructor_makes() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut cards = Vec::new();
        cards_under(&root, &mut cards);
        let pack = Pack::embedded().unwrap();
        let spec = RequestSpec {
            action: Action::Deploy,
            environment: Some("production".into()),
            now: Instant::parse("2026-11-20").unwrap(),
            actor: "someone".into(),
        };
        let evidence = Evidence::unavailable("test");
        let mut compared = 0;
        for per_card_schema in [true, false] {
            let evaluator = Evaluator {
                per_card_schema,
                ..Evaluator::new(&pack, &spec, &evidence).unwrap()
            };
            for card in &cards {
                let Ok(prepared) = evaluator.prepare(card) else {
                    continue;
                };
                let uid = EntityUid::from_type_name_and_id(
                    evaluator.model_type.clone(),
                    EntityId::new(&card.model_id),
                );
                let version = tag_version(&evaluator.tags, &card.model_id).unwrap();
                let model = model_entity::<Value>(card, version.as_deref(), spec.now, uid).unwrap();
                let actor = Entity::new_no_attrs(evaluator.principal.clone(), HashSet::new());
                let schema = per_card_schema.then_some(&pack.schema);
                let reference =
                    Entities::from_entities([Entity::from(model), actor], schema).unwrap();
                assert_eq!(prepared.entities, reference, "{}", card.path);
                compared += 1;
            }
        }
        assert!(compared > 100, "{compared}");
    }

    /// The pack judged policy by policy says of every card what Cedar's `Authorizer` says: the
    /// same fired gates, whether a permit applies, and the same errors in the same order;
    /// for the embedded pack, and for one whose gates err on some cards.
    #[test]
    fn every_card_is_judged_as_cedars_authorizer_judges_it() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut cards = Vec::new();
        cards_under(&root, &mut cards);
        assert!(cards.len() > 50, "the fixtures were read: {}", cards.len());
        let embedded = Pack::embedded().unwrap();
        let mut files = Pack::embedded_pack_files();
        // Without the baseline: a permit that errs on some cards and one that applies to owned
        // cards only; a gate that overflows on a card reporting two metrics or more, only when
        // deploying (the scope is evaluated first).
        files.retain(|f| !f.name.ends_with("baseline.cedar"));
        files.push(crate::pack::PackFile {
            name: "erring.cedar".into(),
            text: Arc::from(
                r#"@id("overflow") @control("A.6.2.4") @title("t") @help("h") @field("governance.owner")
forbid (principal, action == Aims::Action::"deploy", resource)
when { resource.performance_metric_count * 9223372036854775807 > 0 };
@id("erring-permit")
permit (principal, action, resource)
when { resource.performance_metric_count * 9223372036854775807 > 1 };
@id("owned")
permit (principal, action, resource)
when { resource has owner };
"#,
            ),
        });
        let erring = Pack::from_files("erring".into(), files).unwrap();
        let specs = [
            (Action::Deploy, Some("production")),
            (Action::Deploy, Some("staging")),
            (Action::Release, None),
        ];
        let (mut fired, mut unpermitted, mut erred) = (0, 0, 0);
        for pack in [&embedded, &erring] {
            for evidence in &evidences() {
                for (action, environment) in specs {
                    let spec = RequestSpec {
                        action,
                        environment: environment.map(str::to_string),
                        now: Instant::parse("2026-11-20").unwrap(),
                        actor: "someone".into(),
                    };
                    let evaluator = Evaluator::new(pack, &spec, evidence).unwrap();
                    for card in &cards {
                        let Ok(prepared) = evaluator.prepare(card) else {
                            continue;
                        };
                        let ours = evaluator.judge(&prepared);
                        assert_eq!(ours, cedar_judged(&evaluator, &prepared), "{}", card.path);
                        fired += usize::from(!ours.fired.is_empty());
                        unpermitted += usize::from(!ours.permitted);
                        erred += usize::from(!ours.errors.is_empty());
                    }
                }
            }
        }
        assert!(
            fired > 100 && unpermitted > 10 && erred > 10,
            "every outcome was compared: {fired} {unpermitted} {erred}"
        );
    }

    /// Every entity the builder makes fits the embedded schema, whatever the instant and the
    /// release tag: what lets a run with the embedded pack skip the check. Checked against a
    /// schema that lacks an attribute, the check fails (it is not vacuous).
    #[test]
    fn the_embedded_schema_fits_every_shape() {
        let pack = Pack::embedded().unwrap();
        assert!(pack.fits_engine);
        for now in ["2026-11-20", "1970-01-01", "2199-12-31T23:59:59Z"] {
            for evidence in &evidences() {
                let spec = RequestSpec {
                    action: Action::Deploy,
                    environment: Some("production".into()),
                    now: Instant::parse(now).unwrap(),
                    actor: "someone".into(),
                };
                let evaluator = Evaluator::new(&pack, &spec, evidence).unwrap();
                evaluator.check_entity_shapes().unwrap();
            }
        }
        let mut files = Pack::embedded_pack_files();
        let schema = files
            .iter_mut()
            .find(|f| f.name.ends_with(".cedarschema"))
            .unwrap();
        assert!(schema.text.contains("intended_use?: String,"));
        schema.text = Arc::from(schema.text.replacen("intended_use?: String,", "", 1));
        files.retain(|f| !f.name.contains("intended-use"));
        let narrower = Pack::from_files("narrower".into(), files).unwrap();
        assert!(!narrower.fits_engine);
        let spec = RequestSpec {
            action: Action::Deploy,
            environment: None,
            now: Instant::parse("2026-11-20").unwrap(),
            actor: "someone".into(),
        };
        let evidence = Evidence::unavailable("test");
        let evaluator = Evaluator {
            conform: None,
            ..Evaluator::new(&narrower, &spec, &evidence).unwrap()
        };
        assert!(evaluator.check_entity_shapes().is_err());
    }

    /// The full shape card of `check_shapes` holds every attribute path the builder produces
    /// for any card of the fixtures: otherwise a path would escape the once-per-run check.
    #[test]
    fn the_full_shape_covers_every_attribute_the_builder_makes() {
        let (full, _) = shapes::CARDS[0];
        let full = crate::card::parse(
            "full.yaml",
            Arc::from(full),
            crate::card::Format::Yaml,
            true,
            "m",
            &crate::card::Keys::engine(),
        )
        .unwrap()
        .unwrap();
        let covered = attribute_paths(&full);
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut cards = Vec::new();
        cards_under(&root, &mut cards);
        assert!(cards.len() > 50, "the fixtures were read: {}", cards.len());
        for card in &cards {
            let extra: Vec<String> = attribute_paths(card)
                .difference(&covered)
                .cloned()
                .collect();
            assert!(
                extra.is_empty(),
                "{}: {extra:?} not in the full shape",
                card.path
            );
        }
        // And the shape is not trivially small.
        assert!(
            covered.contains(".bias_tests.results[].group"),
            "{covered:?}"
        );
        assert!(
            covered.contains(".data.sources[].personal_data"),
            "{covered:?}"
        );
    }
}
