package almguard.rules.lineage.training_job_test

import rego.v1

import data.almguard.rules.lineage.training_job as rule

_sha := "0123456789abcdef0123456789abcdef01234567"

_snapshot(type, version, deployments) := data.almguard.test.builder.snapshot({
	"datasets": [data.almguard.test.builder.dataset({})],
	"models": [data.almguard.test.builder.model_with_version({"type": type}, version)],
	"deployments": deployments,
})

_training := [data.almguard.test.builder.ref("d", "1")]

_with_job(job) := {"stage": "production", "lineage": {"training_data": _training, "training_job": job}}

# An undeployed production version of a custom model, trained by the given job.
_job(job) := _snapshot("custom", _with_job(job), [])

_serving := data.almguard.test.builder.deployment({})

_unpinned(code_ref) := {
	"resource": {"kind": "model_version", "id": "m@1.0.0"},
	"message": sprintf(
		"Training job of production model version 'm@1.0.0' has code reference '%s', which is not pinned to a commit SHA or digest",
		[code_ref],
	),
}

test_job_pinned_to_a_commit_sha_passes if {
	count(rule.deny) == 0 with input as _job({"id": "j", "code_ref": _sha})
}

test_job_pinned_with_repository_prefix_passes if {
	code_ref := concat("", ["git+https://github.com/org/repo@", _sha])
	count(rule.deny) == 0 with input as _job({"id": "j", "code_ref": code_ref})
}

test_job_pinned_to_a_digest_passes if {
	digest := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	count(rule.deny) == 0 with input as _job({"id": "j", "code_ref": digest})
}

test_job_on_a_branch_fails if {
	rule.deny == {_unpinned("main")} with input as _job({"id": "j", "code_ref": "main"})
}

test_job_on_a_repository_branch_fails if {
	code_ref := "git+https://github.com/org/repo@main"
	rule.deny == {_unpinned(code_ref)} with input as _job({"id": "j", "code_ref": code_ref})
}

test_short_commit_sha_is_not_a_pin if {
	rule.deny == {_unpinned("0123456")} with input as _job({"id": "j", "code_ref": "0123456"})
}

test_sha_one_character_short_is_not_a_pin if {
	short := substring(_sha, 0, 39)
	rule.deny == {_unpinned(short)} with input as _job({"id": "j", "code_ref": short})
}

test_no_training_job_fails if {
	rule.deny == {{
		"resource": {"kind": "model_version", "id": "m@1.0.0"},
		"message": "Production model version 'm@1.0.0' records no training job",
	}} with input as _snapshot("custom", {"stage": "production", "lineage": {"training_data": _training}}, [])
}

test_training_job_without_code_reference_fails if {
	rule.deny == {{
		"resource": {"kind": "model_version", "id": "m@1.0.0"},
		"message": "Training job of production model version 'm@1.0.0' has no code reference",
	}} with input as _job({"id": "j", "environment": "gpu"})
}

test_blank_code_reference_counts_as_missing if {
	count(rule.deny) == 1 with input as _job({"id": "j", "code_ref": ""})
}

test_staging_version_needs_no_job if {
	count(rule.deny) == 0 with input as _snapshot("custom", {"stage": "staging", "lineage": {"training_data": []}}, [])
}

test_version_serving_production_traffic_needs_a_job if {
	version := {"stage": "archived", "lineage": {"training_data": _training}}
	count(rule.deny) == 1 with input as _snapshot("custom", version, [_serving])
}

test_agent_is_exempt if {
	count(rule.deny) == 0 with input as _snapshot("agent", {"stage": "production", "lineage": {"training_data": []}}, [])
}

test_version_without_any_lineage_is_left_to_training_lineage_rule if {
	count(rule.deny) == 0 with input as _snapshot("fine_tuned", {"stage": "production"}, [_serving])
}

test_pinned_code_ref_pattern_is_policy_data if {
	count(rule.deny) == 0 with input as _job({"id": "j", "code_ref": "v1.2.3"})
		with data.almguard.config.lineage.pinned_code_ref_pattern as "^v[0-9]+[.][0-9]+[.][0-9]+$"
}

# The loader drops null-valued keys: a field written as null arrives absent.
test_null_training_job_counts_as_missing if {
	version := {"stage": "production", "lineage": {"training_data": _training}}
	count(rule.deny) == 1 with input as _snapshot("custom", version, [])
}

# The loader drops null-valued keys: a field written as null arrives absent.
test_null_code_reference_counts_as_missing if {
	rule.deny == {{
		"resource": {"kind": "model_version", "id": "m@1.0.0"},
		"message": "Training job of production model version 'm@1.0.0' has no code reference",
	}} with input as _job({"id": "j"})
}
