//! The parts of the `governance` block about suppliers, requirements, resources, operation and
//! documentation (ISO/IEC 42001 A.10.2–A.10.3, A.6.2.2, A.4.5, A.6.2.8, A.6.2.3/A.6.2.7/A.8.2/
//! A.8.5), and the model-index metrics the acceptance criteria are judged against.

use super::body::{self, Section};
use super::governance::{Direction, Reader};
use crate::date::Instant;
use crate::span::Span;
use crate::yaml::{Node, ScalarKind, Value};

/// One entry of `governance.suppliers[]`: a third party whose component the model builds on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Supplier {
    pub name: Option<String>,
    /// What it supplies: `base_model` ids (and anything else the card wants to name).
    pub provides: Vec<String>,
    /// The supplier assessment's document id or link.
    pub assessment: Option<String>,
    pub assessed_on: Option<Instant>,
    /// Who is responsible for what between the organisation and the supplier.
    pub responsibilities: Option<String>,
}

impl Supplier {
    /// The supplier's name, or `#N` (1-based) when it has none.
    pub fn label(&self, index: usize) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("#{}", index + 1))
    }

    /// Whether it records an assessment: a reference and the date it was made.
    pub fn assessed(&self) -> bool {
        self.assessment.is_some() && self.assessed_on.is_some()
    }
}

/// One entry of `governance.acceptance_criteria[]`: the bound a model-index metric must meet.
#[derive(Debug, Clone, PartialEq)]
pub struct Criterion {
    pub metric: String,
    /// Only results on this dataset (its `type` or `name` in the model-index) count.
    pub dataset: Option<String>,
    pub threshold: f64,
    pub threshold_text: String,
    pub direction: Direction,
}

/// One metric of `model-index[].results[].metrics[]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub kind: Option<String>,
    /// The result's `dataset.type` and `dataset.name`, where given.
    pub datasets: Vec<String>,
    /// The value as a number and as written; `None` when it is not a number.
    pub value: Option<(f64, String)>,
    pub value_shown: String,
    /// Where the metric's `type` stands (or the metric itself), and its `value`.
    pub span: Span,
    pub value_span: Option<Span>,
}

impl Metric {
    /// `type`, or `type on dataset`.
    pub fn label(&self) -> String {
        let kind = self.kind.as_deref().unwrap_or("(a metric without a type)");
        match self.datasets.first() {
            Some(d) => format!("{kind} on {d}"),
            None => kind.to_string(),
        }
    }
}

impl Criterion {
    /// `metric` or `metric on dataset`.
    pub fn label(&self) -> String {
        match &self.dataset {
            Some(d) => format!("{} on {d}", self.metric),
            None => self.metric.clone(),
        }
    }

    /// Whether a metric of the model-index is one this criterion bounds.
    /// Metric types and dataset ids are compared without ASCII case (`ROC_AUC` is `roc_auc`,
    /// as Hub ids are): a failing result written in another case is still bound.
    pub fn covers(&self, m: &Metric) -> bool {
        m.kind
            .as_deref()
            .is_some_and(|k| k.eq_ignore_ascii_case(&self.metric))
            && self
                .dataset
                .as_ref()
                .is_none_or(|d| m.datasets.iter().any(|x| x.eq_ignore_ascii_case(d)))
    }

    /// Why the criterion is not met by the reported metrics, or `None` when it is: every
    /// metric it covers is a number within the bound, and there is at least one. With the
    /// reason, the metric that fails it, when one does.
    pub fn unmet<'m>(&self, metrics: &'m [Metric]) -> Option<(Option<&'m Metric>, String)> {
        let bound = self.direction.bound(&self.threshold_text);
        let mut covered = metrics.iter().filter(|m| self.covers(m)).peekable();
        if covered.peek().is_none() {
            return Some((
                None,
                format!(
                    "{}: no result in `model-index` reports it ({bound})",
                    self.label()
                ),
            ));
        }
        covered.find_map(|m| {
            let passed = m.value.as_ref().is_some_and(|(v, text)| {
                self.direction
                    .admits((*v, text), (self.threshold, &self.threshold_text))
            });
            (!passed).then(|| {
                (
                    Some(m),
                    format!("{} = {} ({bound})", m.label(), m.value_shown),
                )
            })
        })
    }
}

/// `governance.compute` (A.4.5): the system and computing resources.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Compute {
    /// What the model was trained on, and for how long.
    pub training: Option<String>,
    /// What it runs on in operation.
    pub inference: Option<String>,
}

/// `governance.logging` (A.6.2.8): what is recorded in operation, and for how long.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Logging {
    pub events: Option<String>,
    pub retention: Option<String>,
}

impl Reader {
    pub(super) fn suppliers(&mut self, g: &Node) -> Vec<Supplier> {
        let mut out = Vec::new();
        for item in self.list(g, "suppliers").unwrap_or_default() {
            if !matches!(item.value, Value::Map(_)) {
                self.wrong_type(item, "suppliers[]", "a mapping");
                continue;
            }
            out.push(Supplier {
                name: self.text(item, "name"),
                provides: self.strings(item, "provides"),
                assessment: self.text(item, "assessment"),
                assessed_on: self.date(item, "assessed_on"),
                responsibilities: self.text(item, "responsibilities"),
            });
        }
        out
    }

    pub(super) fn criteria(&mut self, g: &Node) -> Vec<Criterion> {
        let mut out = Vec::new();
        for item in self.list(g, "acceptance_criteria").unwrap_or_default() {
            if !matches!(item.value, Value::Map(_)) {
                self.wrong_type(item, "acceptance_criteria[]", "a mapping");
                continue;
            }
            let metric = self.text(item, "metric");
            let threshold = self.number(item, "threshold");
            let direction = self.choice(item, "direction", Direction::ALL);
            let dataset = self.text(item, "dataset");
            let missing = super::governance::lacking(
                item,
                &[
                    ("metric", metric.is_none()),
                    ("threshold", threshold.is_none()),
                    ("direction", direction.is_none()),
                ],
            );
            if !missing.is_empty() {
                self.error(
                    item.span,
                    format!(
                        "an acceptance criterion needs `metric`, `threshold` and `direction` (`at_least` or `at_most`); this one lacks `{}`",
                        missing.join("`, `")
                    ),
                );
            }
            if let (Some(metric), Some((threshold, threshold_text)), Some(direction)) =
                (metric, threshold, direction)
            {
                out.push(Criterion {
                    metric,
                    dataset,
                    threshold,
                    threshold_text,
                    direction,
                });
            }
        }
        out
    }

    pub(super) fn compute(&mut self, g: &Node) -> Option<Compute> {
        self.block(g, "compute").map(|c| Compute {
            training: self.text(c, "training"),
            inference: self.text(c, "inference"),
        })
    }

    pub(super) fn logging(&mut self, g: &Node) -> Option<Logging> {
        self.block(g, "logging").map(|l| Logging {
            events: self.text(l, "events"),
            retention: self.text(l, "retention"),
        })
    }

    /// `governance.documentation`: the template sections a card without a Markdown body (or
    /// with a thin one) writes as text, each held to the body's placeholder rule.
    pub(super) fn documentation(&mut self, g: &Node) -> Vec<Section> {
        let Some(d) = self.block(g, "documentation") else {
            return Vec::new();
        };
        Section::ALL
            .into_iter()
            .filter(|s| {
                self.text(d, s.name())
                    .is_some_and(|t| body::text_says_something(&t))
            })
            .collect()
    }
}

impl super::Card {
    /// Whether the card documents a template section: a Markdown card in its body, a YAML or
    /// JSON card as text under `governance.documentation`.
    pub fn documents(&self, section: Section) -> bool {
        if self.format == super::Format::Markdown {
            self.sections
                .iter()
                .any(|f| f.section == section && f.documented)
        } else {
            self.governance.documentation.contains(&section)
        }
    }

    /// The template sections the card documents.
    pub fn documented_sections(&self) -> Vec<&'static str> {
        Section::ALL
            .into_iter()
            .filter(|s| self.documents(*s))
            .map(Section::name)
            .collect()
    }

    /// Hugging Face `datasets` ids that no source of `governance.data.sources` is.
    pub fn undocumented_datasets(&self) -> Vec<String> {
        let sources = self
            .governance
            .data
            .as_ref()
            .map_or(&[][..], |d| &d.sources);
        self.hub
            .datasets
            .iter()
            .filter(|id| {
                // Hub ids are case-insensitive (`Org/Data` is `org/data`).
                !sources.iter().any(|s| {
                    [&s.name, &s.dataset]
                        .into_iter()
                        .flatten()
                        .any(|n| n.eq_ignore_ascii_case(id))
                })
            })
            .cloned()
            .collect()
    }

    /// `base_model` ids that no supplier with an assessment provides.
    pub fn unassessed_base_models(&self) -> Vec<String> {
        self.hub
            .base_model
            .iter()
            .filter(|id| {
                !self
                    .governance
                    .suppliers
                    .iter()
                    .any(|s| s.assessed() && s.provides.iter().any(|p| p.eq_ignore_ascii_case(id)))
            })
            .cloned()
            .collect()
    }

    /// Model-index metric types that no acceptance criterion covers.
    pub fn metrics_without_criteria(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .hub
            .metrics
            .iter()
            .filter(|m| {
                !self
                    .governance
                    .acceptance_criteria
                    .iter()
                    .any(|c| c.covers(m))
            })
            .map(|m| {
                m.kind
                    .clone()
                    .unwrap_or_else(|| "(a metric without a type)".into())
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// The metrics of `model-index[].results[].metrics[]` (read leniently: a shape that is not a
/// metric is skipped).
pub(super) fn metrics(root: &Node) -> Vec<Metric> {
    let text = |n: Option<&Node>| match n.map(|n| &n.value) {
        Some(Value::Scalar { text, kind }) if !matches!(kind, ScalarKind::Null) => {
            Some(text.trim().to_string()).filter(|t| !t.is_empty())
        }
        _ => None,
    };
    let mut out = Vec::new();
    for model in under(root, "model-index") {
        for result in under(model, "results") {
            let dataset = result.get("dataset").map(|e| &e.value);
            let datasets: Vec<String> = ["name", "type"]
                .iter()
                .filter_map(|k| text(dataset.and_then(|d| d.get(k)).map(|e| &e.value)))
                .collect();
            for m in under(result, "metrics") {
                if m.get("type").is_none() && m.get("value").is_none() {
                    continue;
                }
                let value_node = m.get("value").map(|e| &e.value);
                let value = match value_node.map(|n| &n.value) {
                    Some(Value::Scalar {
                        text,
                        kind: ScalarKind::Int(i),
                    }) => Some((*i as f64, text.clone())),
                    Some(Value::Scalar {
                        text,
                        kind: ScalarKind::Float(f),
                    }) if f.is_finite() => Some((*f, text.clone())),
                    _ => None,
                };
                out.push(Metric {
                    kind: text(m.get("type").map(|e| &e.value)),
                    datasets: datasets.clone(),
                    value,
                    value_shown: text(value_node).unwrap_or_else(|| "not a number".into()),
                    span: m.get("type").map_or(m.span, |e| e.value.span),
                    value_span: value_node.map(|n| n.span),
                });
            }
        }
    }
    out
}

fn seq(node: Option<&Node>) -> &[Node] {
    match node.map(|n| &n.value) {
        Some(Value::Seq(items)) => items,
        _ => &[],
    }
}

/// The list under `key`, or nothing.
pub(super) fn under<'n>(node: &'n Node, key: &str) -> &'n [Node] {
    seq(node.get(key).map(|e| &e.value))
}

/// Metrics in `model-index[].results[].metrics[]` that carry a `type` or a `value`.
pub(super) fn metric_count(root: &Node) -> usize {
    under(root, "model-index")
        .iter()
        .flat_map(|model| under(model, "results"))
        .flat_map(|result| under(result, "metrics"))
        .filter(|m| m.get("type").is_some() || m.get("value").is_some())
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metric(kind: &str, dataset: &str, value: Option<f64>, text: &str) -> Metric {
        Metric {
            kind: Some(kind.into()),
            datasets: vec![dataset.into()],
            value: value.map(|v| (v, text.to_string())),
            value_shown: text.into(),
            span: Span::default(),
            value_span: None,
        }
    }

    fn why(c: &Criterion, metrics: &[Metric]) -> Option<String> {
        c.unmet(metrics).map(|(_, why)| why)
    }

    fn criterion(metric: &str, dataset: Option<&str>, threshold: &str) -> Criterion {
        Criterion {
            metric: metric.into(),
            dataset: dataset.map(str::to_string),
            threshold: threshold.parse().unwrap_or(f64::NAN),
            threshold_text: threshold.into(),
            direction: Direction::AtLeast,
        }
    }

    #[test]
    fn a_criterion_is_met_by_every_result_it_covers() {
        let metrics = [
            metric("accuracy", "a", Some(0.95), "0.95"),
            metric("accuracy", "b", Some(0.85), "0.85"),
            metric("f1", "a", None, "high"),
        ];
        assert_eq!(
            why(&criterion("accuracy", Some("a"), "0.9"), &metrics),
            None
        );
        assert_eq!(
            why(&criterion("accuracy", None, "0.9"), &metrics).as_deref(),
            Some("accuracy on b = 0.85 (must be at least 0.9)")
        );
        assert_eq!(
            why(&criterion("f1", None, "0.5"), &metrics).as_deref(),
            Some("f1 on a = high (must be at least 0.5)")
        );
        assert!(
            why(&criterion("recall", None, "0.5"), &metrics)
                .is_some_and(|m| m.contains("no result"))
        );
        // Compared as written: 0.89999999999999999 is below 0.9 though it is the same float.
        let close = [metric("accuracy", "a", Some(0.9), "0.89999999999999999")];
        assert!(why(&criterion("accuracy", None, "0.9"), &close).is_some());
    }
}
