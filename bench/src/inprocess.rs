//! Per-card cost in process, on the same cards, in one run: aimsgate from card text to verdict
//! (and its two halves), raw Cedar `is_authorized` on the same pre-built request, and the same
//! gate in Rego by regorus's interpreter and VM on pre-built input documents.

use std::collections::BTreeSet;
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use aimsgate::card::{self, Card, Format};
use aimsgate::evaluate::Evaluator;
use aimsgate::evidence::Evidence;
use aimsgate::pack::Pack;
use aimsgate::report::Decision;
use aimsgate::yaml::{self, Limits, Origin};

use crate::generate;
use crate::rego;

/// Median microseconds per card of each measurement.
#[derive(Debug, Clone)]
pub struct PerCard {
    pub cards: usize,
    pub rounds: usize,
    pub blocked: usize,
    /// Card text → verdict: parse, build the request, authorize, findings.
    pub text_to_verdict: f64,
    /// Card text → typed card (front matter, YAML, governance).
    pub parse: f64,
    /// … of which the front matter's events, and nothing else: the plain reader's where it
    /// takes the document, saphyr-parser's otherwise (`yaml::count_events`).
    pub events: f64,
    /// saphyr-parser's event stream over the same front matter, for comparison.
    pub saphyr: f64,
    /// … of which the positioned tree (events included).
    pub tree: f64,
    /// Typed card → verdict.
    pub evaluate: f64,
    /// … of which the Cedar entity and request.
    pub prepare: f64,
    /// `Authorizer::is_authorized` on the pre-built request, against the pack.
    pub raw_is_authorized: f64,
    /// regorus interpreter, `data.aimsgate.deny` on a pre-built input document.
    pub rego_interpreter: f64,
    /// regorus VM on the same inputs, or why it could not run the policy.
    pub rego_vm: Result<f64, String>,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Microseconds per item of `f` over `n` items.
fn per_item(n: usize, f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64() * 1e6 / n as f64
}

pub fn measure(dir: &Path, n: usize, rounds: usize) -> Result<PerCard, String> {
    let texts: Vec<(String, Arc<str>)> = (0..n)
        .map(|i| {
            let path = generate::card_path(i);
            std::fs::read_to_string(dir.join(&path))
                .map(|t| (path.clone(), Arc::from(t)))
                .map_err(|e| format!("{path}: {e}"))
        })
        .collect::<Result<_, _>>()?;
    let parse = |(path, text): &(String, Arc<str>)| -> Result<Card, String> {
        card::parse(
            path,
            Arc::clone(text),
            Format::Markdown,
            false,
            "model",
            &card::Keys::engine(),
        )
        .map_err(|e| format!("{path}: {e:?}"))?
        .ok_or_else(|| format!("{path}: not a card"))
    };
    // The front matter of each card, for the YAML stages alone.
    let yaml: Vec<(&str, Origin)> = texts
        .iter()
        .map(|(path, text)| {
            let fm = card::frontmatter::find(text)
                .ok()
                .flatten()
                .ok_or_else(|| format!("{path}: no front matter"))?;
            let origin = Origin {
                line: fm.yaml_line,
                offset: fm.yaml_start,
            };
            Ok((&text[fm.yaml_start..fm.yaml_end], origin))
        })
        .collect::<Result<_, String>>()?;
    let pack = Pack::embedded().map_err(|e| format!("{e:?}"))?;
    let spec = crate::request()?;
    let evidence = Evidence::unavailable("benchmark");
    let evaluator = Evaluator::new(&pack, &spec, &evidence).map_err(|e| e.to_string())?;
    let cards: Vec<Card> = texts.iter().map(parse).collect::<Result<_, _>>()?;
    let prepared = cards
        .iter()
        .map(|c| evaluator.prepare(c))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let now = format!("{}T00:00:00Z", generate::NOW);
    let inputs = cards
        .iter()
        .map(|c| match &c.root {
            Some(root) => rego::input(root, body_of(&c.source), "deploy", "staging", &now),
            None => Err(format!("{}: no front matter", c.path)),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut interpreter = rego::interpreter()?;
    let program = rego::program();
    let mut vm = program.as_ref().ok().map(rego::vm);

    // The engines must agree on every card, or the comparison is not of the same gate.
    let mut blocked = 0;
    for (i, c) in cards.iter().enumerate() {
        let (model, errors) = evaluator.evaluate(c);
        if model.decision == Decision::Error {
            return Err(format!(
                "{}: aimsgate could not judge it: {errors:?}",
                c.path
            ));
        }
        blocked += usize::from(model.decision == Decision::Blocked);
        let ours: BTreeSet<String> = model.findings.iter().map(|f| f.gate.clone()).collect();
        let theirs = rego::ids(&rego::interpret(&mut interpreter, &inputs[i])?)?;
        if ours != theirs {
            return Err(format!(
                "{}: aimsgate fires {ours:?}, the Rego gate {theirs:?}",
                c.path
            ));
        }
        if let Some(vm) = &mut vm {
            let by_vm = rego::ids(&rego::execute(vm, &inputs[i])?)?;
            if by_vm != theirs {
                return Err(format!(
                    "{}: the regorus VM gives {by_vm:?}, its interpreter {theirs:?}",
                    c.path
                ));
            }
        }
    }

    let authorizer = cedar_policy::Authorizer::new();
    let mut m: [Vec<f64>; 10] = Default::default();
    for _ in 0..rounds {
        m[0].push(per_item(n, || {
            for t in &texts {
                if let Ok(c) = parse(t) {
                    black_box(evaluator.evaluate(&c).0.decision);
                }
            }
        }));
        m[1].push(per_item(n, || {
            for t in &texts {
                let _ = black_box(parse(t));
            }
        }));
        m[2].push(per_item(n, || {
            for c in &cards {
                black_box(evaluator.evaluate(c).0.decision);
            }
        }));
        m[3].push(per_item(n, || {
            for p in &prepared {
                black_box(
                    authorizer
                        .is_authorized(&p.request, &pack.policies, &p.entities)
                        .decision(),
                );
            }
        }));
        m[4].push(per_item(n, || {
            for input in &inputs {
                let _ = black_box(rego::interpret(&mut interpreter, input));
            }
        }));
        m[6].push(per_item(n, || {
            for (text, _) in &yaml {
                black_box(yaml::count_events(text));
            }
        }));
        m[9].push(per_item(n, || {
            for (text, _) in &yaml {
                let mut parser = saphyr_parser::Parser::new_from_str(text);
                while let Some(Ok(event)) = parser.next_event() {
                    black_box(event);
                }
            }
        }));
        m[7].push(per_item(n, || {
            for (text, origin) in &yaml {
                let _ = black_box(yaml::parse(text, *origin, Limits::default()));
            }
        }));
        m[8].push(per_item(n, || {
            for c in &cards {
                let _ = black_box(evaluator.prepare(c));
            }
        }));
        if let Some(vm) = &mut vm {
            m[5].push(per_item(n, || {
                for input in &inputs {
                    let _ = black_box(rego::execute(vm, input));
                }
            }));
        }
    }
    let [
        ours,
        parse,
        evaluate,
        raw,
        interp,
        by_vm,
        events,
        tree,
        prepare,
        saphyr,
    ] = m;
    Ok(PerCard {
        cards: n,
        rounds,
        blocked,
        text_to_verdict: median(ours),
        parse: median(parse),
        events: median(events),
        saphyr: median(saphyr),
        tree: median(tree),
        evaluate: median(evaluate),
        prepare: median(prepare),
        raw_is_authorized: median(raw),
        rego_interpreter: median(interp),
        rego_vm: program.map(|_| median(by_vm)),
    })
}

/// The Markdown after a card's front matter (the line after the closing `---`).
fn body_of(text: &str) -> &str {
    match card::frontmatter::find(text) {
        Ok(Some(fm)) => {
            let rest = &text[fm.yaml_end..];
            rest.find('\n').map_or("", |i| &rest[i + 1..])
        }
        _ => text,
    }
}
