//! The `Aims::Model` entity of a card: its values as the schema declares them, the derived
//! attributes (ages, the release tag's version), and the synthetic cards whose entities stand
//! for every shape the builder can make.

use cedar_policy::EntityUid;

use super::attr::Attr;
use crate::card::Card;
use crate::card::governance::{BiasTests, DataSection};
use crate::date::Instant;
use crate::error::EvalError;
use crate::evidence::EvidenceKey;

/// Whole days from `from` to `now` (negative when `from` is later). Both instants are within
/// the years 0001..9999, so this cannot overflow.
fn age_days<A: Attr>(from: Instant, now: Instant) -> A {
    A::long((now.millis() - from.millis()).div_euclid(86_400_000))
}

/// The `Aims::Model` entity: the card's values as the schema declares them, the version a
/// release tag gives the model, and ages measured from `now`.
pub(super) fn model_entity<A: Attr>(
    card: &Card,
    tag_version: Option<&str>,
    now: Instant,
    uid: EntityUid,
) -> Result<A::Entity, EvalError> {
    let g = &card.governance;
    let mut attrs: Vec<(&str, A)> = Vec::with_capacity(48);
    let mut put = |k: &'static str, v: Option<A>| {
        if let Some(v) = v {
            attrs.push((k, v));
        }
    };
    put("id", Some(A::text(&card.model_id)));
    put("path", Some(A::text(&card.path)));
    let has_governance = card
        .root
        .as_ref()
        .is_some_and(|r| r.get("governance").is_some());
    put("has_governance", Some(A::boolean(has_governance)));
    put("version", g.version.as_deref().map(A::text));
    put(EvidenceKey::TagVersion.name(), tag_version.map(A::text));
    put("owner", g.owner.as_deref().map(A::text));
    put("risk_tier", g.risk_tier.map(|t| A::text(t.as_str())));
    put("intended_use", g.intended_use.as_deref().map(A::text));
    put("out_of_scope_uses", Some(A::strings(&g.out_of_scope_uses)));
    let ia = match &g.impact_assessment {
        Some(ia) => Some(A::record(vec![
            ("age_days", ia.approved_on.map(|d| age_days(d, now))),
            ("approved_by", ia.approved_by.as_deref().map(A::text)),
            ("approved_on", ia.approved_on.map(A::datetime).transpose()?),
            ("reference", ia.reference.as_deref().map(A::text)),
            ("status", ia.status.map(|s| A::text(s.as_str()))),
        ])?),
        None => None,
    };
    put("impact_assessment", ia);
    let bias = g
        .bias_tests
        .as_ref()
        .map(|b| bias_tests(b, now))
        .transpose();
    put("bias_tests", bias?);
    let data = g.data.as_ref().map(data).transpose();
    put("data", data?);
    put("human_oversight", g.human_oversight.as_deref().map(A::text));
    let monitoring = match &g.monitoring {
        Some(m) => Some(A::record(vec![
            ("owner", m.owner.as_deref().map(A::text)),
            ("plan", m.plan.as_deref().map(A::text)),
        ])?),
        None => None,
    };
    put("monitoring", monitoring);
    put(
        "incident_contact",
        g.incident_contact.as_deref().map(A::text),
    );
    put("license", card.hub.license.as_deref().map(A::text));
    put(
        "license_name",
        card.hub.license_name.as_deref().map(A::text),
    );
    put(
        "license_link",
        card.hub.license_link.as_deref().map(A::text),
    );
    put(
        "undocumented_datasets",
        Some(A::strings(&card.undocumented_datasets())),
    );
    let lifecycle = lifecycle(card)?;
    for (k, v) in lifecycle {
        put(k, v);
    }
    put("datasets", Some(A::strings(&card.hub.datasets)));
    put("base_model", Some(A::strings(&card.hub.base_model)));
    put(
        "performance_metric_count",
        Some(A::count(card.hub.metric_count)),
    );
    A::entity(uid, attrs)
}

fn bias_tests<A: Attr>(b: &BiasTests, now: Instant) -> Result<A, EvalError> {
    let results = b
        .results
        .iter()
        .map(|r| {
            A::record(vec![
                ("direction", Some(A::text(r.direction.as_str()))),
                ("group", r.group.as_deref().map(A::text)),
                ("metric", Some(A::text(&r.metric))),
                ("passed", Some(A::boolean(r.passed()))),
            ])
        })
        .collect::<Result<Vec<_>, _>>()?;
    let failing: Vec<String> = b
        .results
        .iter()
        .filter(|r| !r.passed())
        .map(|r| r.label())
        .collect();
    A::record(vec![
        ("age_days", b.evaluated_on.map(|d| age_days(d, now))),
        ("evaluated_on", b.evaluated_on.map(A::datetime).transpose()?),
        ("failing_metrics", Some(A::strings(&failing))),
        ("model_version", b.model_version.as_deref().map(A::text)),
        (
            "protected_attributes",
            Some(A::strings(&b.protected_attributes)),
        ),
        ("result_count", Some(A::count(b.results.len()))),
        ("results", Some(A::set(results))),
    ])
}

/// The suppliers, acceptance criteria, compute, logging and documented sections.
fn lifecycle<A: Attr>(card: &Card) -> Result<Vec<(&'static str, Option<A>)>, EvalError> {
    let g = &card.governance;
    let suppliers = g
        .suppliers
        .iter()
        .enumerate()
        .map(|(i, s)| {
            A::record(vec![
                ("assessed_on", s.assessed_on.map(A::datetime).transpose()?),
                ("assessment", s.assessment.as_deref().map(A::text)),
                ("name", Some(A::text(&s.label(i)))),
                ("provides", Some(A::strings(&s.provides))),
                (
                    "responsibilities",
                    s.responsibilities.as_deref().map(A::text),
                ),
            ])
        })
        .collect::<Result<Vec<_>, _>>()?;
    let without_responsibilities: Vec<String> = g
        .suppliers
        .iter()
        .enumerate()
        .filter(|(_, s)| s.responsibilities.is_none())
        .map(|(i, s)| s.label(i))
        .collect();
    let unmet: Vec<(String, bool)> = g
        .acceptance_criteria
        .iter()
        .map(|c| (c.label(), c.unmet(&card.hub.metrics).is_none()))
        .collect();
    let criteria = g
        .acceptance_criteria
        .iter()
        .zip(&unmet)
        .map(|(c, (_, met))| {
            A::record(vec![
                ("dataset", c.dataset.as_deref().map(A::text)),
                ("direction", Some(A::text(c.direction.as_str()))),
                ("met", Some(A::boolean(*met))),
                ("metric", Some(A::text(&c.metric))),
            ])
        })
        .collect::<Result<Vec<_>, _>>()?;
    let unmet: Vec<String> = unmet
        .into_iter()
        .filter(|(_, met)| !met)
        .map(|(l, _)| l)
        .collect();
    let compute = match &g.compute {
        Some(c) => Some(A::record(vec![
            ("inference", c.inference.as_deref().map(A::text)),
            ("training", c.training.as_deref().map(A::text)),
        ])?),
        None => None,
    };
    let logging = match &g.logging {
        Some(l) => Some(A::record(vec![
            ("events", l.events.as_deref().map(A::text)),
            ("retention", l.retention.as_deref().map(A::text)),
        ])?),
        None => None,
    };
    let sections: Vec<String> = card
        .documented_sections()
        .into_iter()
        .map(str::to_string)
        .collect();
    Ok(vec![
        ("suppliers", Some(A::set(suppliers))),
        (
            "unassessed_base_models",
            Some(A::strings(&card.unassessed_base_models())),
        ),
        (
            "suppliers_without_responsibilities",
            Some(A::strings(&without_responsibilities)),
        ),
        ("acceptance_criteria", Some(A::set(criteria))),
        (
            "metrics_without_criteria",
            Some(A::strings(&card.metrics_without_criteria())),
        ),
        ("unmet_criteria", Some(A::strings(&unmet))),
        ("compute", compute),
        ("logging", logging),
        ("documented_sections", Some(A::strings(&sections))),
    ])
}

fn data<A: Attr>(d: &DataSection) -> Result<A, EvalError> {
    let sources = d
        .sources
        .iter()
        .enumerate()
        .map(|(i, s)| {
            A::record(vec![
                ("acquisition", s.acquisition.as_deref().map(A::text)),
                ("dataset", s.dataset.as_deref().map(A::text)),
                ("name", Some(A::text(&s.label(i)))),
                ("personal_data", s.personal_data.map(A::boolean)),
                ("preparation", Some(A::strings(&s.preparation))),
                ("provenance", s.provenance.as_deref().map(A::text)),
                ("purpose", s.purpose.as_deref().map(A::text)),
                ("quality_checks", Some(A::strings(&s.quality_checks))),
                ("terms", s.terms.as_deref().map(A::text)),
            ])
        })
        .collect::<Result<Vec<_>, _>>()?;
    let without = |lacks: fn(&crate::card::governance::DataSource) -> bool| -> Vec<String> {
        d.sources
            .iter()
            .enumerate()
            .filter(|(_, s)| lacks(s))
            .map(|(i, s)| s.label(i))
            .collect()
    };
    A::record(vec![
        (
            "privacy_assessment",
            d.privacy_assessment.as_deref().map(A::text),
        ),
        ("source_count", Some(A::count(d.sources.len()))),
        ("sources", Some(A::set(sources))),
        (
            "sources_without_acquisition",
            Some(A::strings(&without(|s| !s.acquisition_documented()))),
        ),
        (
            "sources_without_preparation",
            Some(A::strings(&without(|s| s.preparation.is_empty()))),
        ),
        (
            "sources_without_provenance",
            Some(A::strings(&without(|s| s.provenance.is_none()))),
        ),
        (
            "sources_without_purpose",
            Some(A::strings(&without(|s| s.purpose.is_none()))),
        ),
        (
            "sources_without_quality_checks",
            Some(A::strings(&without(|s| s.quality_checks.is_empty()))),
        ),
        (
            "uses_personal_data",
            Some(A::boolean(
                d.sources.iter().any(|s| s.may_hold_personal_data()),
            )),
        ),
    ])
}

/// The synthetic cards of [`Evaluator::check_shapes`], with the release-tag version each is
/// judged with.
pub(super) mod shapes {
    /// Every field the entity builder reads, set.
    const FULL: &str = r#"
license: mit
datasets: [d]
license_name: l
license_link: https://l.example
base_model: b
model-index:
  - name: m
    results:
      - dataset:
          type: d
        metrics:
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
        dataset: d
        purpose: training
        acquisition: a
        terms: t
        quality_checks: [q]
        preparation: [p]
    privacy_assessment: pa
  human_oversight: h
  monitoring:
    plan: p
    owner: "@o"
  incident_contact: c
  suppliers:
    - name: s
      provides: [b]
      assessment: r
      assessed_on: 2026-01-01
      responsibilities: x
  acceptance_criteria:
    - metric: accuracy
      dataset: d
      threshold: 0.8
      direction: at_least
  compute:
    training: t
    inference: i
  logging:
    events: e
    retention: r
  documentation:
    training_details: "Three real words."
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
  suppliers:
    - {}
  acceptance_criteria:
    - metric: m
      threshold: 0.2
      direction: at_most
  compute: {}
  logging: {}
"#;

    pub(crate) const CARDS: &[(&str, Option<&str>)] =
        &[(FULL, Some("1.0.0")), (EMPTY, None), (HOLLOW, None)];
}
