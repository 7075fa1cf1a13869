# The default aimsgate policy pack written in Rego, for the benchmark's comparison with
# regorus: the same 18 gates over the card's front matter as JSON (`input.card`), the request
# (`input.request`), the version a release tag gives the model (`input.tag_version`) and the
# evidence (`input.context`). `deny` is the set of gate ids that fire, warnings included;
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
