# The default aimsgate policy pack written in Rego, for the benchmark's comparison with
# regorus: the same gates over the card's front matter as JSON (`input.card`), the request
# (`input.request`), the version a release tag gives the model (`input.tag_version`), the
# evidence (`input.context`) and the Markdown after the front matter (`input.body`). `deny` is the set of gate ids that fire, warnings included;
# the benchmark checks that it equals aimsgate's findings on every card before timing.
#
# Unlike the Cedar pack, which reads values the engine derives from the card (ages in days,
# failing bias metrics, sources without provenance), this policy derives them itself, as a
# Rego user would write it.

package aimsgate

import rego.v1

g := object.get(input.card, "governance", {})

ia := object.get(g, "impact_assessment", {})

bt := object.get(g, "bias_tests", {})

results := object.get(bt, "results", [])

data_section := object.get(g, "data", {})

sources := object.get(data_section, "sources", [])

review := object.get(object.get(input, "context", {}), "review", {})

# Free text counts when it is a string that is not blank.
text(obj, key) if {
	v := obj[key]
	is_string(v)
	trim_space(v) != ""
}

production if {
	input.request.action == "deploy"
	input.request.environment == "production"
}

high if g.risk_tier == "high"

limited_or_high if g.risk_tier in {"limited", "high"}

ns_per_day := (24 * 60) * (60 * 1000000000)

age_days(date) := floor((time.parse_rfc3339_ns(input.request.now) - time.parse_ns("2006-01-02", date)) / ns_per_day)

deny contains "owner-assigned" if not text(g, "owner")

deny contains "risk-tier-declared" if not is_string(g.risk_tier)

deny contains "unacceptable-risk-prohibited" if g.risk_tier == "unacceptable"

deny contains "intended-use-documented" if not text(g, "intended_use")

# A single string is a list of one; blank items are no items.
scope_given := object.get(g, "out_of_scope_uses", [])

scope_items := scope_given if is_array(scope_given)

scope_items := [scope_given] if is_string(scope_given)

scope_uses := [u | some u in scope_items; is_string(u); trim_space(u) != ""]

deny contains "out-of-scope-uses-listed" if {
	high
	count(scope_uses) == 0
}

deny contains "human-oversight-defined" if {
	high
	not text(g, "human_oversight")
}

deny contains "incident-contact-defined" if {
	production
	not text(g, "incident_contact")
}

deny contains "monitoring-plan-defined" if {
	production
	not text(object.get(g, "monitoring", {}), "plan")
}

ia_applies if production

ia_applies if high

deny contains "impact-assessment-approved" if {
	ia_applies
	not ia.status == "approved"
}

deny contains "impact-assessment-current" if {
	ia_applies
	ia.status == "approved"
	not ia_current
}

ia_current if {
	d := age_days(ia.approved_on)
	d >= 0
	d <= 365
}

passed(r) if {
	object.get(r, "direction", "at_most") == "at_most"
	abs(r.value) <= r.threshold
}

passed(r) if {
	r.direction == "at_least"
	r.value >= r.threshold
}

failing contains i if {
	some i, r in results
	not passed(r)
}

bias_ok if {
	count(results) > 0
	count(failing) == 0
}

deny contains "bias-tests-passed" if {
	limited_or_high
	not bias_ok
}

bias_version_ok if {
	text(g, "version")
	bt.model_version == g.version
}

bias_version_ok if {
	not text(g, "version")
	bt.model_version == input.tag_version
}

bias_current if {
	d := age_days(bt.evaluated_on)
	d >= 0
	d <= 30
	bias_version_ok
}

deny contains "bias-tests-current" if {
	production
	limited_or_high
	not bias_current
}

provenance_ok if {
	count(sources) > 0
	every s in sources {
		text(s, "provenance")
	}
}

deny contains "data-provenance-documented" if not provenance_ok

# A source that does not say `personal_data: false` may hold personal data.
deny contains "privacy-assessment-present" if {
	some s in sources
	object.get(s, "personal_data", null) != false
	not text(data_section, "privacy_assessment")
}

metrics := [m |
	some model in object.get(input.card, "model-index", [])
	some result in object.get(model, "results", [])
	some m in object.get(result, "metrics", [])
	is_object(m)
	count({"type", "value"} & {k | some k, _ in m}) > 0
]

deny contains "performance-documented" if count(metrics) == 0

deny contains "version-matches-tag" if {
	text(g, "version")
	is_string(input.tag_version)
	g.version != input.tag_version
}

on_default_branch if {
	input.context.branch == input.context.default_branch
}

deny contains "release-from-protected-ref" if {
	input.request.action == "release"
	not is_string(input.tag_version)
	not on_default_branch
}

approvals_needed := 2 if high

else := 1

deny contains "independent-approval" if {
	production
	not object.get(review, "independent_approvals", 0) >= approvals_needed
}

deny contains "policy-change-reviewed" if {
	input.context.git.policy_files_changed == true
	not object.get(review, "independent_approvals", 0) >= 1
}

# Lists the way the card reader takes them: a single string is a list of one, blank items none.
strings_of(obj, key) := [trim_space(v) | some v in as_list(object.get(obj, key, []))
	is_string(v)
	trim_space(v) != ""]

as_list(v) := v if is_array(v)

as_list(v) := [v] if is_string(v)

as_list(v) := [] if {
	not is_array(v)
	not is_string(v)
}

hub_datasets := strings_of(input.card, "datasets")

base_models := strings_of(input.card, "base_model")

suppliers := object.get(g, "suppliers", [])

criteria := object.get(g, "acceptance_criteria", [])

# Hub ids are case-insensitive.
documented_dataset(d) if {
	some s in sources
	lower(trim_space(object.get(s, "name", ""))) == lower(d)
}

documented_dataset(d) if {
	some s in sources
	lower(trim_space(object.get(s, "dataset", ""))) == lower(d)
}

sources_listed if {
	count(sources) > 0
	every s in sources {
		text(s, "purpose")
	}
	every d in hub_datasets {
		documented_dataset(d)
	}
}

deny contains "data-sources-listed" if not sources_listed

acquisition_ok if {
	count(sources) > 0
	every s in sources {
		text(s, "acquisition")
		text(s, "terms")
	}
}

deny contains "data-acquisition-documented" if not acquisition_ok

quality_ok if {
	count(sources) > 0
	every s in sources {
		count(strings_of(s, "quality_checks")) > 0
	}
}

deny contains "data-quality-checked" if not quality_ok

preparation_ok if {
	count(sources) > 0
	every s in sources {
		count(strings_of(s, "preparation")) > 0
	}
}

deny contains "data-preparation-documented" if not preparation_ok

assessed(b) if {
	some s in suppliers
	text(s, "assessment")
	text(s, "assessed_on")
	some p in strings_of(s, "provides")
	lower(p) == lower(b)
}

deny contains "supplier-assessed" if {
	some b in base_models
	not assessed(b)
}

deny contains "supplier-responsibilities-allocated" if {
	some s in suppliers
	not text(s, "responsibilities")
}

deny contains "supplier-responsibilities-allocated" if {
	count(base_models) > 0
	count(suppliers) == 0
}

# Every metric of the model-index with the datasets of its result (type and name).
reported := [{"type": object.get(m, "type", null), "value": object.get(m, "value", null), "datasets": ds} |
	some model in object.get(input.card, "model-index", [])
	some result in object.get(model, "results", [])
	ds := {trim_space(v) | some k in ["type", "name"]; v := object.get(object.get(result, "dataset", {}), k, null); is_string(v)}
	some m in object.get(result, "metrics", [])
	is_object(m)
	count({"type", "value"} & {k | some k, _ in m}) > 0
]

covers(c, m) if {
	m.type == c.metric
	object.get(c, "dataset", null) == null
}

covers(c, m) if {
	m.type == c.metric
	c.dataset in m.datasets
}

within(c, v) if {
	c.direction == "at_least"
	is_number(v)
	v >= c.threshold
}

within(c, v) if {
	c.direction == "at_most"
	is_number(v)
	abs(v) <= c.threshold
}

met(c) if {
	some m in reported
	covers(c, m)
	not covered_fails(c)
}

covered_fails(c) if {
	some m in reported
	covers(c, m)
	not within(c, m.value)
}

deny contains "acceptance-criteria-defined" if count(criteria) == 0

deny contains "acceptance-criteria-defined" if {
	some m in reported
	not some_criterion_covers(m)
}

some_criterion_covers(m) if {
	some c in criteria
	covers(c, m)
}

deny contains "acceptance-criteria-met" if {
	some c in criteria
	not met(c)
}

license := strings_of(input.card, "license")

license_ok if {
	count(license) > 0
	license[0] != "unknown"
	license[0] != "other"
}

license_ok if {
	license[0] == "other"
	count(strings_of(input.card, "license_name")) + count(strings_of(input.card, "license_link")) > 0
}

deny contains "license-recorded" if not license_ok

compute := object.get(g, "compute", {})

deny contains "compute-documented" if not text(compute, "training")

deny contains "compute-documented" if {
	production
	not text(compute, "inference")
}

deny contains "event-logging-defined" if {
	production
	not logging_ok
}

logging_ok if {
	text(object.get(g, "logging", {}), "events")
	text(object.get(g, "logging", {}), "retention")
}

# The body's sections, split at every line that starts with `#` as a Rego user would (the
# engine also skips fenced code and counts a section's subsections as its own; the benchmark's
# cards give the same answer either way).
pieces := split(concat("", ["\n", object.get(input, "body", "")]), "\n#")

title(piece) := lower(trim_space(trim_left(split(piece, "\n")[0], "#")))

content(piece) := substring(piece, count(split(piece, "\n")[0]), -1)

says_something(piece) if {
	no_comments := regex.replace(content(piece), `<!--[\s\S]*?-->`, " ")
	cleaned := regex.replace(no_comments, `(?i)\[?more information needed\]?`, " ")
	count(regex.find_n(`[A-Za-z0-9]+`, cleaned, -1)) >= 3
}

section_named(name, t) if {
	name == "training_details"
	t in {"training details", "training procedure", "training", "training data", "training and evaluation data"}
}

section_named(name, t) if {
	name == "evaluation"
	startswith(t, "evaluation")
}

section_named(name, t) if {
	name == "evaluation"
	t in {"results", "benchmarks", "benchmark results", "eval results"}
}

section_named(name, t) if {
	name == "how_to_get_started"
	some p in ["get started", "getting started", "how to use", "usage", "quick start"]
	contains(t, p)
}

section_named(name, t) if {
	name == "bias_risks_limitations"
	contains(t, "limitations")
}

documents(name) if {
	some piece in pieces
	section_named(name, title(piece))
	says_something(piece)
}

documents(name) if text(object.get(g, "documentation", {}), name)

deny contains "design-documented" if not documents("training_details")

deny contains "evaluation-documented" if not documents("evaluation")

deny contains "usage-documented" if not documents("how_to_get_started")

deny contains "limitations-documented" if not documents("bias_risks_limitations")
