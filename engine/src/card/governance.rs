//! The typed `governance` block and the Hugging Face keys the gates read, taken from the YAML
//! tree. A value of the wrong type, an unknown enum value or a date that is not a date is an
//! error at its line, never a silent default. Free text is trimmed, and blank text is absent.

use super::Keys;
use super::body::Section;
pub use super::bound::Direction;
use super::lifecycle::{Compute, Criterion, Logging, Metric, Supplier};
use crate::date::Instant;
use crate::error::CardError;
use crate::span::Span;
use crate::yaml::{Node, ScalarKind, Value};

/// Declared risk tier (`governance.risk_tier`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RiskTier {
    Minimal,
    Limited,
    High,
    Unacceptable,
}

impl RiskTier {
    const ALL: &[(&str, RiskTier)] = &[
        ("minimal", RiskTier::Minimal),
        ("limited", RiskTier::Limited),
        ("high", RiskTier::High),
        ("unacceptable", RiskTier::Unacceptable),
    ];

    pub fn as_str(self) -> &'static str {
        name_of(Self::ALL, self)
    }
}

/// Status of the impact assessment (`governance.impact_assessment.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImpactStatus {
    NotStarted,
    InProgress,
    Approved,
    Rejected,
}

impl ImpactStatus {
    const ALL: &[(&str, ImpactStatus)] = &[
        ("not_started", ImpactStatus::NotStarted),
        ("in_progress", ImpactStatus::InProgress),
        ("approved", ImpactStatus::Approved),
        ("rejected", ImpactStatus::Rejected),
    ];

    pub fn as_str(self) -> &'static str {
        name_of(Self::ALL, self)
    }
}

pub(super) fn name_of<T: PartialEq + Copy>(all: &[(&'static str, T)], v: T) -> &'static str {
    all.iter().find(|(_, x)| *x == v).map_or("", |(n, _)| n)
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Governance {
    pub id: Option<String>,
    pub version: Option<String>,
    pub owner: Option<String>,
    pub risk_tier: Option<RiskTier>,
    pub intended_use: Option<String>,
    pub out_of_scope_uses: Vec<String>,
    pub impact_assessment: Option<ImpactAssessment>,
    pub bias_tests: Option<BiasTests>,
    pub data: Option<DataSection>,
    pub human_oversight: Option<String>,
    pub monitoring: Option<Monitoring>,
    pub incident_contact: Option<String>,
    pub suppliers: Vec<Supplier>,
    pub acceptance_criteria: Vec<Criterion>,
    pub compute: Option<Compute>,
    pub logging: Option<Logging>,
    /// The template sections `governance.documentation` writes with something to say.
    pub documentation: Vec<Section>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImpactAssessment {
    pub status: Option<ImpactStatus>,
    pub reference: Option<String>,
    pub approved_by: Option<String>,
    pub approved_on: Option<Instant>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct BiasTests {
    pub model_version: Option<String>,
    pub evaluated_on: Option<Instant>,
    pub protected_attributes: Vec<String>,
    pub results: Vec<BiasResult>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BiasResult {
    pub metric: String,
    pub group: Option<String>,
    pub value: f64,
    pub threshold: f64,
    pub direction: Direction,
    /// `value` and `threshold` as written, for messages.
    pub value_text: String,
    pub threshold_text: String,
}

impl BiasResult {
    /// `at_most`: |value| <= threshold; `at_least`: value >= threshold, as written.
    pub fn passed(&self) -> bool {
        self.direction.admits(
            (self.value, &self.value_text),
            (self.threshold, &self.threshold_text),
        )
    }

    /// `metric` or `metric/group`: how the result is named in derived sets.
    pub fn label(&self) -> String {
        match &self.group {
            Some(g) => format!("{}/{g}", self.metric),
            None => self.metric.clone(),
        }
    }

    /// One line saying why the result fails (or passes).
    pub fn describe(&self) -> String {
        let bound = self.direction.bound(&self.threshold_text);
        format!("{} = {} ({bound})", self.label(), self.value_text)
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DataSection {
    pub sources: Vec<DataSource>,
    pub privacy_assessment: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DataSource {
    pub name: Option<String>,
    pub provenance: Option<String>,
    /// `None` when the source does not say: then it may hold personal data.
    pub personal_data: Option<bool>,
    /// The Hugging Face dataset id the source is, when it is one.
    pub dataset: Option<String>,
    /// What the data is used for (training, evaluation, …) (A.7.2).
    pub purpose: Option<String>,
    /// How it was acquired (A.7.3), and the licence or consent it is used under.
    pub acquisition: Option<String>,
    pub terms: Option<String>,
    /// The quality checks run on it (A.7.4).
    pub quality_checks: Vec<String>,
    /// The preparation steps applied to it (A.7.6).
    pub preparation: Vec<String>,
}

impl DataSource {
    /// Whether the source holds, or may hold, personal data: it says so, or it does not say.
    pub fn may_hold_personal_data(&self) -> bool {
        self.personal_data != Some(false)
    }

    /// Whether it says how it was acquired and under what licence or consent.
    pub fn acquisition_documented(&self) -> bool {
        self.acquisition.is_some() && self.terms.is_some()
    }

    /// The source's name, or `#N` (1-based) when it has none.
    pub fn label(&self, index: usize) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("#{}", index + 1))
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Monitoring {
    pub plan: Option<String>,
    pub owner: Option<String>,
}

/// The standard Hugging Face keys the gates read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HubMetadata {
    pub license: Option<String>,
    pub datasets: Vec<String>,
    pub base_model: Vec<String>,
    /// `license_name` and `license_link`, which name the licence when `license` is `other`.
    pub license_name: Option<String>,
    pub license_link: Option<String>,
    /// Metrics across `model-index[].results[].metrics[]`.
    pub metric_count: usize,
    /// The same metrics, with their values, for the acceptance criteria.
    pub metrics: Vec<Metric>,
}

/// Reads the typed view of a card's top-level mapping, collecting every error. Every key of the
/// `governance` block must be one of `keys`; a top-level key that resembles `governance` is
/// an error too (the block would otherwise be silently missing).
pub fn read(
    root: Option<&Node>,
    keys: &Keys,
) -> Result<(Governance, HubMetadata), Vec<(Span, CardError)>> {
    let mut r = Reader { errors: Vec::new() };
    if let Some(Value::Map(entries)) = root.map(|r| &r.value) {
        for e in entries {
            if super::keys::resembles(&e.key, "governance") {
                r.errors.push((
                    e.key_span,
                    CardError::Key(format!(
                        "`{}` is not `governance`, though it looks like it: the governance block must be spelled exactly `governance`",
                        super::keys::escape(&e.key)
                    )),
                ));
            }
        }
    }
    let hub = root.map(|root| r.hub(root)).unwrap_or_default();
    let governance = match root.and_then(|root| r.block(root, "governance")) {
        Some(g) => {
            super::keys::check(g, keys, "governance", &mut r.errors);
            r.governance(g)
        }
        None => Governance::default(),
    };
    if r.errors.is_empty() {
        Ok((governance, hub))
    } else {
        r.errors.sort_by_key(|(span, _)| span.start.offset);
        Err(r.errors)
    }
}

pub(super) struct Reader {
    errors: Vec<(Span, CardError)>,
}

impl Reader {
    pub(super) fn error(&mut self, span: Span, message: String) {
        self.errors.push((span, CardError::Value(message)));
    }

    pub(super) fn wrong_type(&mut self, node: &Node, key: &str, wanted: &str) {
        self.error(
            node.span,
            format!("`{key}` must be {wanted}, found {}", node.type_name()),
        );
    }

    /// The non-null value under `key`.
    pub(super) fn value<'n>(&mut self, map: &'n Node, key: &str) -> Option<&'n Node> {
        map.get(key).map(|e| &e.value).filter(|v| !v.is_null())
    }

    /// A nested mapping; null counts as absent.
    pub(super) fn block<'n>(&mut self, map: &'n Node, key: &str) -> Option<&'n Node> {
        let v = self.value(map, key)?;
        if matches!(v.value, Value::Map(_)) {
            Some(v)
        } else {
            self.wrong_type(v, key, "a mapping");
            None
        }
    }

    pub(super) fn list<'n>(&mut self, map: &'n Node, key: &str) -> Option<&'n [Node]> {
        let v = self.value(map, key)?;
        match &v.value {
            Value::Seq(items) => Some(items),
            _ => {
                self.wrong_type(v, key, "a list");
                None
            }
        }
    }

    /// Free text, trimmed; blank is absent. `numbers` also accepts a number as written (versions).
    fn text_of(&mut self, v: &Node, key: &str, numbers: bool) -> Option<String> {
        match &v.value {
            Value::Scalar {
                text,
                kind: ScalarKind::Str,
            } => Some(text.trim().to_string()).filter(|t| !t.is_empty()),
            Value::Scalar {
                text,
                kind: ScalarKind::Int(_) | ScalarKind::Float(_),
            } if numbers => Some(text.trim().to_string()),
            _ => {
                self.wrong_type(v, key, "a string");
                None
            }
        }
    }

    pub(super) fn text(&mut self, map: &Node, key: &str) -> Option<String> {
        let v = self.value(map, key)?;
        self.text_of(v, key, false)
    }

    fn version(&mut self, map: &Node, key: &str) -> Option<String> {
        let v = self.value(map, key)?;
        self.text_of(v, key, true)
    }

    /// A list of strings; a single string is a list of one.
    pub(super) fn strings(&mut self, map: &Node, key: &str) -> Vec<String> {
        let Some(v) = self.value(map, key) else {
            return Vec::new();
        };
        match &v.value {
            Value::Seq(items) => items
                .iter()
                .filter(|i| !i.is_null())
                .filter_map(|i| self.text_of(i, key, false))
                .collect(),
            _ => self.text_of(v, key, false).into_iter().collect(),
        }
    }

    pub(super) fn choice<T: Copy>(
        &mut self,
        map: &Node,
        key: &str,
        all: &[(&str, T)],
    ) -> Option<T> {
        let v = self.value(map, key)?;
        let text = self.text_of(v, key, false)?;
        if let Some((_, t)) = all.iter().find(|(n, _)| *n == text) {
            return Some(*t);
        }
        let names: Vec<String> = all.iter().map(|(n, _)| format!("`{n}`")).collect();
        // The same word in another case, or with `-` or a space for `_`.
        let folded = |t: &str| t.to_ascii_lowercase().replace(['-', ' '], "_");
        let hint = all
            .iter()
            .find(|(n, _)| folded(n) == folded(&text))
            .map(|(n, _)| {
                if n.eq_ignore_ascii_case(&text) {
                    format!(" (did you mean `{n}`? values are lower case)")
                } else {
                    format!(" (did you mean `{n}`?)")
                }
            })
            .unwrap_or_default();
        self.error(
            v.span,
            format!(
                "`{key}` is `{text}`, which is not one of {}{hint}",
                names.join(", ")
            ),
        );
        None
    }

    pub(super) fn date(&mut self, map: &Node, key: &str) -> Option<Instant> {
        let v = self.value(map, key)?;
        let text = self.text_of(v, key, false)?;
        match Instant::parse(&text) {
            Ok(d) => Some(d),
            Err(why) => {
                self.error(v.span, format!("`{key}`: {why}"));
                None
            }
        }
    }

    pub(super) fn number(&mut self, map: &Node, key: &str) -> Option<(f64, String)> {
        let v = self.value(map, key)?;
        match &v.value {
            Value::Scalar {
                text,
                kind: ScalarKind::Int(i),
            } => Some((*i as f64, text.clone())),
            Value::Scalar {
                text,
                kind: ScalarKind::Float(f),
            } => {
                if f.is_finite() {
                    Some((*f, text.clone()))
                } else {
                    self.error(
                        v.span,
                        format!("`{key}` must be a finite number, found `{text}`"),
                    );
                    None
                }
            }
            _ => {
                self.wrong_type(v, key, "a number");
                None
            }
        }
    }

    fn boolean(&mut self, map: &Node, key: &str) -> Option<bool> {
        let v = self.value(map, key)?;
        match &v.value {
            Value::Scalar {
                kind: ScalarKind::Bool(b),
                ..
            } => Some(*b),
            _ => {
                self.wrong_type(v, key, "`true` or `false`");
                None
            }
        }
    }

    fn governance(&mut self, g: &Node) -> Governance {
        Governance {
            id: self.version(g, "id"),
            version: self.version(g, "version"),
            owner: self.text(g, "owner"),
            risk_tier: self.choice(g, "risk_tier", RiskTier::ALL),
            intended_use: self.text(g, "intended_use"),
            out_of_scope_uses: self.strings(g, "out_of_scope_uses"),
            impact_assessment: self
                .block(g, "impact_assessment")
                .map(|ia| ImpactAssessment {
                    status: self.choice(ia, "status", ImpactStatus::ALL),
                    reference: self.text(ia, "reference"),
                    approved_by: self.text(ia, "approved_by"),
                    approved_on: self.date(ia, "approved_on"),
                }),
            bias_tests: self.block(g, "bias_tests").map(|bt| self.bias_tests(bt)),
            data: self.block(g, "data").map(|d| self.data(d)),
            human_oversight: self.text(g, "human_oversight"),
            monitoring: self.block(g, "monitoring").map(|m| Monitoring {
                plan: self.text(m, "plan"),
                owner: self.text(m, "owner"),
            }),
            incident_contact: self.text(g, "incident_contact"),
            suppliers: self.suppliers(g),
            acceptance_criteria: self.criteria(g),
            compute: self.compute(g),
            logging: self.logging(g),
            documentation: self.documentation(g),
        }
    }

    fn bias_tests(&mut self, bt: &Node) -> BiasTests {
        let mut results = Vec::new();
        for item in self.list(bt, "results").unwrap_or_default() {
            if !matches!(item.value, Value::Map(_)) {
                self.wrong_type(item, "results[]", "a mapping");
                continue;
            }
            let metric = self.text(item, "metric");
            let value = self.number(item, "value");
            let threshold = self.number(item, "threshold");
            let group = self.text(item, "group");
            let direction = self
                .choice(item, "direction", Direction::ALL)
                .unwrap_or(Direction::AtMost);
            let missing = lacking(
                item,
                &[
                    ("metric", metric.is_none()),
                    ("value", value.is_none()),
                    ("threshold", threshold.is_none()),
                ],
            );
            if !missing.is_empty() {
                self.error(
                    item.span,
                    format!(
                        "a bias result needs `metric`, `value` and `threshold`; this one lacks `{}`",
                        missing.join("`, `")
                    ),
                );
            }
            if let (Some(metric), Some((value, value_text)), Some((threshold, threshold_text))) =
                (metric, value, threshold)
            {
                results.push(BiasResult {
                    metric,
                    group,
                    value,
                    threshold,
                    direction,
                    value_text,
                    threshold_text,
                });
            }
        }
        BiasTests {
            model_version: self.version(bt, "model_version"),
            evaluated_on: self.date(bt, "evaluated_on"),
            protected_attributes: self.strings(bt, "protected_attributes"),
            results,
        }
    }

    fn data(&mut self, d: &Node) -> DataSection {
        let mut sources = Vec::new();
        for item in self.list(d, "sources").unwrap_or_default() {
            if !matches!(item.value, Value::Map(_)) {
                self.wrong_type(item, "sources[]", "a mapping");
                continue;
            }
            sources.push(DataSource {
                name: self.text(item, "name"),
                provenance: self.text(item, "provenance"),
                personal_data: self.boolean(item, "personal_data"),
                dataset: self.text(item, "dataset"),
                purpose: self.text(item, "purpose"),
                acquisition: self.text(item, "acquisition"),
                terms: self.text(item, "terms"),
                quality_checks: self.strings(item, "quality_checks"),
                preparation: self.strings(item, "preparation"),
            });
        }
        DataSection {
            sources,
            privacy_assessment: self.text(d, "privacy_assessment"),
        }
    }

    /// Hugging Face keys are read leniently: a shape the gates cannot use counts as absent.
    fn hub(&mut self, root: &Node) -> HubMetadata {
        let strings = |key: &str| -> Vec<String> {
            let Some(entry) = root.get(key) else {
                return Vec::new();
            };
            let items: Vec<&Node> = match &entry.value.value {
                Value::Seq(items) => items.iter().collect(),
                _ => vec![&entry.value],
            };
            items
                .into_iter()
                .filter_map(|n| match &n.value {
                    Value::Scalar {
                        text,
                        kind: ScalarKind::Str,
                    } if !text.trim().is_empty() => Some(text.trim().to_string()),
                    _ => None,
                })
                .collect()
        };
        HubMetadata {
            license: strings("license").into_iter().next(),
            license_name: strings("license_name").into_iter().next(),
            license_link: strings("license_link").into_iter().next(),
            datasets: strings("datasets"),
            base_model: strings("base_model"),
            metric_count: super::lifecycle::metric_count(root),
            metrics: super::lifecycle::metrics(root),
        }
    }
}

/// The required fields of a list item that it lacks: each `(key, unread)` whose value is
/// missing, null or blank (a value of the wrong type has an error of its own already).
pub(super) fn lacking<'k>(item: &Node, fields: &[(&'k str, bool)]) -> Vec<&'k str> {
    fields
        .iter()
        .filter(|(k, unread)| {
            *unread
                && item.get(k).is_none_or(|e| {
                    e.value.is_null()
                        || matches!(&e.value.value, Value::Scalar { text, kind: ScalarKind::Str } if text.trim().is_empty())
                })
        })
        .map(|(k, _)| *k)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(value: &str, threshold: &str, direction: Direction) -> BiasResult {
        BiasResult {
            metric: "m".into(),
            group: None,
            value: value.parse().unwrap_or(f64::NAN),
            threshold: threshold.parse().unwrap_or(f64::NAN),
            direction,
            value_text: value.into(),
            threshold_text: threshold.into(),
        }
    }

    #[test]
    fn results_are_compared_exactly_as_written() {
        use Direction::{AtLeast, AtMost};
        assert!(!result("0.10000000000000001", "0.1", AtMost).passed());
        assert!(result("0.1", "0.10", AtMost).passed());
        assert!(result("-0.1", "0.1", AtMost).passed());
        assert!(!result("-0.10000000000000001", "0.1", AtMost).passed());
        assert!(!result("0.79999999999999999", "0.8", AtLeast).passed());
        assert!(result("8e-1", "0.8", AtLeast).passed());
        assert!(result("1", "0.99", AtLeast).passed());
        assert!(!result("-1", "0.5", AtLeast).passed());
        assert!(result("0", "0.0", AtMost).passed());
        assert!(result("12345678901234567891", "12345678901234567891", AtLeast).passed());
        assert!(!result("12345678901234567890", "12345678901234567891", AtLeast).passed());
        // Not a plain decimal (a YAML hexadecimal integer): compared as the floats read.
        let mut hex = result("0x1F", "30", AtMost);
        hex.value = 31.0;
        assert!(!hex.passed());
    }
}
