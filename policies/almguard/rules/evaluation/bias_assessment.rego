# METADATA
# title: High-risk models have a passed bias assessment
# description: >-
#   A version of a model whose effective risk tier is listed in
#   data.almguard.config.evaluation.bias_assessment_tiers (default: high; a model without a
#   tier counts as high) has at least one bias assessment with passed true once it is deployed
#   (a deployment with traffic_percent > 0) or at a stage listed in bias_assessment_stages
#   (default: staging, production). A version whose assessments all failed, and one with none,
#   get the same finding. The assessment's date is not checked: the rule answers whether the
#   version was assessed and passed; ordering against deployment is left to the metric and
#   safety gates (ALM-EVAL-002, ALM-SAFE-001).
# custom:
#   id: ALM-EVAL-004
#   severity: high
#   category: evaluation
#   remediation: >-
#     Run a bias assessment (for example a disparate-impact or equalised-odds analysis) on the
#     version, record it under bias_assessments with passed true, or keep the version out of
#     staging, production and traffic until it passes.
#   controls:
#     - "EU AI Act Art. 10"
#     - "NIST AI RMF MEASURE 2.11"
#   alm_rule: High-risk models have a passed bias assessment.
package almguard.rules.evaluation.bias_assessment

import rego.v1

import data.almguard.lib.snapshot

# Deployed versions ...
deny contains _finding(entry) if {
	tiers := data.almguard.config.evaluation.bias_assessment_tiers
	versions := snapshot.versions_by_id
	some id in snapshot.deployed_version_ids
	entry := versions[id]
	entry.tier in tiers
	not _passed(entry.version)
}

# ... and versions at a stage that needs the assessment.
deny contains _finding(entry) if {
	tiers := data.almguard.config.evaluation.bias_assessment_tiers
	versions := snapshot.versions_by_id
	some stage in data.almguard.config.evaluation.bias_assessment_stages
	some id in snapshot.versions_at_stage[stage]
	entry := versions[id]
	entry.tier in tiers
	not _passed(entry.version)
}

_finding(entry) := {
	"resource": {"kind": "model_version", "id": entry.id},
	"message": sprintf(
		"Version '%s' of model '%s' has no passed bias assessment, which %s requires",
		[entry.id, entry.model.name, data.almguard.lib.snapshot.tier_phrase(entry.model)],
	),
}

_passed(version) if {
	some assessment in object.get(version, "bias_assessments", [])
	assessment.passed == true
}
