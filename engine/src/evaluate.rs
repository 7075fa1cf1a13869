//! Builds the Cedar request for a card and judges it against the pack, failing closed.
//!
//! The entity is built directly from the typed card (no JSON round trip), with the few derived
//! attributes the schema documents. One authorization call over the pack tells which policies
//! erred (every policy is evaluated) and, through Cedar's reasons, which gates fired; when some
//! did, a second call over the permits alone tells whether one applies as well. The verdict
//! follows Cedar's rule — any applicable forbid denies, no applicable permit
//! denies — except that a gate of severity `warning` reports without blocking, and any policy
//! that could not be evaluated makes the verdict an error: Cedar would skip it, and a skipped
//! forbid is a gate that silently does not apply.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::Arc;

use cedar_policy::{
    Authorizer, Context, Entities, Entity, EntityId, EntityTypeName, EntityUid, Request,
    RestrictedExpression as Expr,
};

use crate::card::Card;
use crate::card::governance::{BiasTests, DataSection};
use crate::date::Instant;
use crate::error::{EvalError, InputError, Kind, PackError};
use crate::evidence::git::{GitFacts, tag_version};
use crate::evidence::{Event, Evidence, Reviews};
use crate::pack::Pack;
use crate::report::{Action, Decision, Finding, ModelReport};

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

/// Evaluates cards against one pack and one request; built once per run.
#[derive(Debug)]
pub struct Evaluator<'p> {
    pack: &'p Pack,
    evidence: &'p Evidence,
    authorizer: Authorizer,
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
        let build = |what: &str, e: cedar_policy::ExpressionConstructionError| {
            Box::new(InputError::new(
                None,
                EvalError::Request(format!("cannot build the {what} evidence record: {e}")),
            ))
        };
        if let Ok(facts) = &evidence.git {
            let git = git_record(facts, evidence).map_err(|e| build("git", e))?;
            pairs.push(("git".to_string(), git));
        }
        if let Some(branch) = evidence.branch() {
            pairs.push(("branch".to_string(), text(&branch)));
        }
        if let Some(default) = &evidence.default_branch {
            pairs.push(("default_branch".to_string(), text(default)));
        }
        if let Some(event) = &evidence.event {
            let record = github_record(event).map_err(|e| build("GitHub event", e))?;
            pairs.push(("github".to_string(), record));
        }
        if let Ok(reviews) = &evidence.review {
            let record = review_record(reviews).map_err(|e| build("review", e))?;
            pairs.push(("review".to_string(), record));
        }
        let context = Context::from_pairs(pairs).map_err(|e| {
            InputError::new(
                Some(&pack.origin),
                EvalError::Request(format!("cannot build the request context: {e}")),
            )
        })?;
        let evaluator = Evaluator {
            pack,
            evidence,
            authorizer: Authorizer::new(),
            action: spec.action,
            action_uid,
            principal,
            context,
            model_type: type_name("Aims::Model")?,
            tags: evidence.tags(),
            now: spec.now,
            per_card_schema: cfg!(debug_assertions),
        };
        evaluator.check_shapes().map_err(|e| {
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
    /// entity conforms when these three do; cards then skip the per-card check.
    fn check_shapes(&self) -> Result<(), Kind> {
        let schema = &self.pack.schema;
        let resource =
            EntityUid::from_type_name_and_id(self.model_type.clone(), EntityId::new("shape"));
        Request::new(
            self.principal.clone(),
            self.action_uid.clone(),
            resource.clone(),
            self.context.clone(),
            Some(schema),
        )
        .map_err(|e| PackError::Schema(format!("the request does not fit: {}", chain(&e))))?;
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
            let model = model_entity(&card, *tag, self.now, resource.clone())?;
            let actor = Entity::new_no_attrs(self.principal.clone(), HashSet::new());
            Entities::from_entities([model, actor], Some(schema)).map_err(|e| {
                PackError::Schema(format!("a card's entity does not fit: {}", chain(&e)))
            })?;
        }
        Ok(())
    }

    /// The Cedar request and entities for one card: what [`Evaluator::evaluate`] authorizes.
    pub fn prepare(&self, card: &Card) -> Result<Prepared, Kind> {
        let resource = EntityUid::from_type_name_and_id(
            self.model_type.clone(),
            EntityId::new(&card.model_id),
        );
        let schema = &self.pack.schema;
        let version = tag_version(&self.tags, &card.model_id)?;
        let model =
            model_entity(card, version.as_deref(), self.now, resource.clone()).map_err(|e| {
                EvalError::Request(format!("cannot build the Cedar entity for this card: {e}"))
            })?;
        let actor = Entity::new_no_attrs(self.principal.clone(), HashSet::new());
        let schema = self.per_card_schema.then_some(schema);
        let entities = Entities::from_entities([model, actor], schema).map_err(|e| {
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
        let response =
            self.authorizer
                .is_authorized(&request.request, &self.pack.policies, &request.entities);
        let errors: Vec<InputError> = response
            .diagnostics()
            .errors()
            .map(|e| {
                let cedar_policy::AuthorizationError::PolicyEvaluationError(e) = e;
                error(
                    EvalError::Policy(format!(
                        "policy `{}` could not be evaluated for this model, and a gate that cannot be evaluated cannot be trusted: {}",
                        e.policy_id(),
                        e.inner()
                    ))
                    .into(),
                )
            })
            .collect();
        if !errors.is_empty() {
            return (report, errors);
        }
        // Cedar's reason for a denial is every satisfied forbid (every fired gate), or nothing
        // when no permit applies; for an allow, the satisfied permits. When gates fired, the
        // permits alone say whether one applies as well.
        let reason: HashSet<String> = response
            .diagnostics()
            .reason()
            .map(|id| id.to_string())
            .collect();
        let fired: HashSet<&str> = reason
            .iter()
            .map(String::as_str)
            .filter(|id| !self.pack.permits.contains(*id))
            .collect();
        let permitted = if fired.is_empty() {
            !reason.is_empty()
        } else {
            self.authorizer
                .is_authorized(&request.request, &self.pack.permit_set, &request.entities)
                .decision()
                == cedar_policy::Decision::Allow
        };
        let mut findings: Vec<Finding> = self
            .pack
            .gates
            .iter()
            .filter(|g| fired.contains(g.id.as_str()))
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

thread_local! {
    /// `datetime(...)` expressions by instant, per thread: making one re-parses the
    /// constructor's name, and a repository's cards share few dates.
    static DATES: RefCell<HashMap<i64, Expr>> = RefCell::new(HashMap::new());
}

fn datetime(d: Instant) -> Expr {
    DATES.with(|dates| {
        let mut dates = dates.borrow_mut();
        // Bounded: a run over cards with ever new dates keeps no more than this.
        if dates.len() >= 4096 {
            dates.clear();
        }
        dates
            .entry(d.millis())
            .or_insert_with(|| Expr::new_datetime(d.to_cedar()))
            .clone()
    })
}

fn text(s: &str) -> Expr {
    Expr::new_string(s.to_string())
}

fn strings(items: &[String]) -> Expr {
    Expr::new_set(items.iter().map(|s| text(s)))
}

fn long(n: usize) -> Expr {
    Expr::new_long(i64::try_from(n).unwrap_or(i64::MAX))
}

fn record(
    fields: Vec<(&str, Option<Expr>)>,
) -> Result<Expr, cedar_policy::ExpressionConstructionError> {
    Expr::new_record(
        fields
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_string(), v))),
    )
}

/// The `github` context record.
fn github_record(e: &Event) -> Result<Expr, cedar_policy::ExpressionConstructionError> {
    let pr = e.pull_request.as_ref();
    record(vec![
        ("event", Some(text(&e.name))),
        (
            "pr_number",
            pr.map(|p| long(usize::try_from(p.number).unwrap_or(usize::MAX))),
        ),
        ("pr_author", pr.map(|p| text(&p.author))),
        ("base_ref", pr.map(|p| text(&p.base_ref))),
        ("head_ref", pr.map(|p| text(&p.head_ref))),
        ("tag", e.tag.as_deref().map(text)),
    ])
}

/// The `review` context record.
fn review_record(r: &Reviews) -> Result<Expr, cedar_policy::ExpressionConstructionError> {
    let independent = r.independent();
    record(vec![
        (
            "pr_number",
            Some(long(usize::try_from(r.pr_number).unwrap_or(usize::MAX))),
        ),
        ("pr_author", Some(text(&r.pr_author))),
        ("approvers", Some(strings(&r.approvers))),
        ("changes_requested_by", Some(strings(&r.changes_requested))),
        ("commit_author", r.commit_author.as_deref().map(text)),
        ("independent_approvals", Some(long(independent.len()))),
        ("independent_approvers", Some(strings(&independent))),
    ])
}

/// The `git` context record.
fn git_record(
    g: &GitFacts,
    evidence: &Evidence,
) -> Result<Expr, cedar_policy::ExpressionConstructionError> {
    let changed: Option<Vec<String>> = evidence
        .change
        .as_ref()
        .map(|c| c.files.iter().cloned().collect());
    record(vec![
        ("commit", Some(text(&g.commit))),
        ("author_name", Some(text(&g.author.name))),
        ("author_email", Some(text(&g.author.email))),
        ("committer_name", Some(text(&g.committer.name))),
        ("committer_email", Some(text(&g.committer.email))),
        ("signed", Some(Expr::new_bool(g.signed))),
        ("branch", g.branch.as_deref().map(text)),
        ("tags", Some(strings(&g.tags))),
        ("trailers", Some(strings(&g.trailers))),
        ("changed_files", changed.as_deref().map(strings)),
        (
            "policy_files_changed",
            evidence
                .change
                .as_ref()
                .map(|_| Expr::new_bool(evidence.policies_changed)),
        ),
        (
            "head_on_default_branch",
            match evidence.tag_reachable {
                Ok(Some(on)) => Some(Expr::new_bool(on)),
                _ => None,
            },
        ),
    ])
}

/// Whole days from `from` to `now` (negative when `from` is later). Both instants are within
/// the years 0001..9999, so this cannot overflow.
fn age_days(from: Instant, now: Instant) -> Expr {
    Expr::new_long((now.millis() - from.millis()).div_euclid(86_400_000))
}

/// The `Aims::Model` entity: the card's values as the schema declares them, the version a
/// release tag gives the model, and ages measured from `now`.
fn model_entity(
    card: &Card,
    tag_version: Option<&str>,
    now: Instant,
    uid: EntityUid,
) -> Result<Entity, EvalError> {
    let g = &card.governance;
    let mut attrs: HashMap<String, Expr> = HashMap::with_capacity(32);
    let mut put = |k: &str, v: Option<Expr>| {
        if let Some(v) = v {
            attrs.insert(k.to_string(), v);
        }
    };
    put("id", Some(text(&card.model_id)));
    put("path", Some(text(&card.path)));
    let has_governance = card
        .root
        .as_ref()
        .is_some_and(|r| r.get("governance").is_some());
    put("has_governance", Some(Expr::new_bool(has_governance)));
    put("version", g.version.as_deref().map(text));
    put("tag_version", tag_version.map(text));
    put("owner", g.owner.as_deref().map(text));
    put("risk_tier", g.risk_tier.map(|t| text(t.as_str())));
    put("intended_use", g.intended_use.as_deref().map(text));
    put("out_of_scope_uses", Some(strings(&g.out_of_scope_uses)));
    let ia = match &g.impact_assessment {
        Some(ia) => Some(
            record(vec![
                ("status", ia.status.map(|s| text(s.as_str()))),
                ("reference", ia.reference.as_deref().map(text)),
                ("approved_by", ia.approved_by.as_deref().map(text)),
                ("approved_on", ia.approved_on.map(datetime)),
                ("age_days", ia.approved_on.map(|d| age_days(d, now))),
            ])
            .map_err(|e| EvalError::Request(e.to_string()))?,
        ),
        None => None,
    };
    put("impact_assessment", ia);
    let bias = g
        .bias_tests
        .as_ref()
        .map(|b| bias_tests(b, now))
        .transpose();
    put(
        "bias_tests",
        bias.map_err(|e| EvalError::Request(e.to_string()))?,
    );
    let data = g.data.as_ref().map(data).transpose();
    put("data", data.map_err(|e| EvalError::Request(e.to_string()))?);
    put("human_oversight", g.human_oversight.as_deref().map(text));
    let monitoring = match &g.monitoring {
        Some(m) => Some(
            record(vec![
                ("plan", m.plan.as_deref().map(text)),
                ("owner", m.owner.as_deref().map(text)),
            ])
            .map_err(|e| EvalError::Request(e.to_string()))?,
        ),
        None => None,
    };
    put("monitoring", monitoring);
    put("incident_contact", g.incident_contact.as_deref().map(text));
    put("license", card.hub.license.as_deref().map(text));
    put("datasets", Some(strings(&card.hub.datasets)));
    put("base_model", Some(strings(&card.hub.base_model)));
    put(
        "performance_metric_count",
        Some(long(card.hub.metric_count)),
    );
    Entity::new(uid, attrs, HashSet::new()).map_err(|e| EvalError::Request(e.to_string()))
}

fn bias_tests(
    b: &BiasTests,
    now: Instant,
) -> Result<Expr, cedar_policy::ExpressionConstructionError> {
    let results = b
        .results
        .iter()
        .map(|r| {
            record(vec![
                ("metric", Some(text(&r.metric))),
                ("group", r.group.as_deref().map(text)),
                ("direction", Some(text(r.direction.as_str()))),
                ("passed", Some(Expr::new_bool(r.passed()))),
            ])
        })
        .collect::<Result<Vec<_>, _>>()?;
    let failing: Vec<String> = b
        .results
        .iter()
        .filter(|r| !r.passed())
        .map(|r| r.label())
        .collect();
    record(vec![
        ("model_version", b.model_version.as_deref().map(text)),
        ("evaluated_on", b.evaluated_on.map(datetime)),
        ("age_days", b.evaluated_on.map(|d| age_days(d, now))),
        (
            "protected_attributes",
            Some(strings(&b.protected_attributes)),
        ),
        ("results", Some(Expr::new_set(results))),
        ("result_count", Some(long(b.results.len()))),
        ("failing_metrics", Some(strings(&failing))),
    ])
}

fn data(d: &DataSection) -> Result<Expr, cedar_policy::ExpressionConstructionError> {
    let sources = d
        .sources
        .iter()
        .enumerate()
        .map(|(i, s)| {
            record(vec![
                ("name", Some(text(&s.label(i)))),
                ("provenance", s.provenance.as_deref().map(text)),
                ("personal_data", s.personal_data.map(Expr::new_bool)),
            ])
        })
        .collect::<Result<Vec<_>, _>>()?;
    let without: Vec<String> = d
        .sources
        .iter()
        .enumerate()
        .filter(|(_, s)| s.provenance.is_none())
        .map(|(i, s)| s.label(i))
        .collect();
    record(vec![
        ("sources", Some(Expr::new_set(sources))),
        ("source_count", Some(long(d.sources.len()))),
        ("sources_without_provenance", Some(strings(&without))),
        (
            "uses_personal_data",
            Some(Expr::new_bool(
                d.sources.iter().any(|s| s.may_hold_personal_data()),
            )),
        ),
        (
            "privacy_assessment",
            d.privacy_assessment.as_deref().map(text),
        ),
    ])
}

/// The synthetic cards of [`Evaluator::check_shapes`], with the release-tag version each is
/// judged with.
mod shapes {
    /// Every field the entity builder reads, set.
    const FULL: &str = r#"
license: mit
datasets: [d]
base_model: b
model-index:
  - name: m
    results:
      - metrics:
          - type: accuracy
            value: 0.9
governance:
  id: shape
  version: 1.0.0
  owner: "@o"
  risk_tier: high
  intended_use: u
  out_of_scope_uses: [x]
  impact_assessment:
    status: approved
    reference: r
    approved_by: "@a"
    approved_on: 2026-01-01
  bias_tests:
    model_version: 1.0.0
    evaluated_on: 2026-01-01
    protected_attributes: [age]
    results:
      - metric: m
        group: g
        value: 0.1
        threshold: 0.2
        direction: at_most
  data:
    sources:
      - name: n
        provenance: p
        personal_data: true
    privacy_assessment: pa
  human_oversight: h
  monitoring:
    plan: p
    owner: "@o"
  incident_contact: c
"#;

    /// No governance at all: every optional attribute absent.
    const EMPTY: &str = "{}\n";

    /// Every record present, every optional field of each absent.
    const HOLLOW: &str = r#"
governance:
  impact_assessment: {}
  bias_tests:
    results:
      - metric: m
        value: 0.1
        threshold: 0.2
  data:
    sources:
      - {}
  monitoring: {}
"#;

    pub const CARDS: &[(&str, Option<&str>)] =
        &[(FULL, Some("1.0.0")), (EMPTY, None), (HOLLOW, None)];
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
        let entity = model_entity(card, Some("1.0.0"), now, uid).unwrap();
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
