package almguard.rules.lineage.training_job_test

import rego.v1

import data.almguard.rules.lineage.training_job

_sha := "0123456789abcdef0123456789abcdef01234567"

_snapshot(type, version, deployments) := {
	"schema_version": 1,
	"registry": {"name": "r", "captured_at": "2026-11-20T08:00:00Z"},
	"datasets": [{"name": "d", "version": "1"}],
	"models": [{"name": "m", "type": type, "versions": [object.union({"version": "1.0.0"}, version)]}],
	"deployments": deployments,
}

_with_job(job) := {"stage": "production", "lineage": {"training_data": [{"dataset": "d", "version": "1"}], "training_job": job}}

_serving := {"endpoint": "ep", "environment": "production", "model": "m", "version": "1.0.0", "traffic_percent": 100}

_unpinned(code_ref) := {
	"resource": {"kind": "model_version", "id": "m@1.0.0"},
	"message": sprintf("Training job of production model version 'm@1.0.0' has code reference '%s', which is not pinned to a commit SHA or digest", [code_ref]),
}

test_job_pinned_to_a_commit_sha_passes if {
	count(training_job.deny) == 0 with input as _snapshot("custom", _with_job({"id": "j", "code_ref": _sha}), [])
}

test_job_pinned_with_repository_prefix_passes if {
	count(training_job.deny) == 0 with input as _snapshot("custom", _with_job({"id": "j", "code_ref": concat("", ["git+https://github.com/org/repo@", _sha])}), [])
}

test_job_pinned_to_a_digest_passes if {
	digest := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	count(training_job.deny) == 0 with input as _snapshot("custom", _with_job({"id": "j", "code_ref": digest}), [])
}

test_job_on_a_branch_fails if {
	training_job.deny == {_unpinned("main")} with input as _snapshot("custom", _with_job({"id": "j", "code_ref": "main"}), [])
}

test_job_on_a_repository_branch_fails if {
	training_job.deny == {_unpinned("git+https://github.com/org/repo@main")} with input as _snapshot("custom", _with_job({"id": "j", "code_ref": "git+https://github.com/org/repo@main"}), [])
}

test_short_commit_sha_is_not_a_pin if {
	training_job.deny == {_unpinned("0123456")} with input as _snapshot("custom", _with_job({"id": "j", "code_ref": "0123456"}), [])
}

test_sha_one_character_short_is_not_a_pin if {
	short := substring(_sha, 0, 39)
	training_job.deny == {_unpinned(short)} with input as _snapshot("custom", _with_job({"id": "j", "code_ref": short}), [])
}

test_no_training_job_fails if {
	training_job.deny == {{
		"resource": {"kind": "model_version", "id": "m@1.0.0"},
		"message": "Production model version 'm@1.0.0' records no training job",
	}} with input as _snapshot("custom", {"stage": "production", "lineage": {"training_data": [{"dataset": "d", "version": "1"}]}}, [])
}

test_training_job_without_code_reference_fails if {
	training_job.deny == {{
		"resource": {"kind": "model_version", "id": "m@1.0.0"},
		"message": "Training job of production model version 'm@1.0.0' has no code reference",
	}} with input as _snapshot("custom", _with_job({"id": "j", "environment": "gpu"}), [])
}

test_blank_code_reference_counts_as_missing if {
	count(training_job.deny) == 1 with input as _snapshot("custom", _with_job({"id": "j", "code_ref": ""}), [])
}

test_staging_version_needs_no_job if {
	count(training_job.deny) == 0 with input as _snapshot("custom", {"stage": "staging", "lineage": {"training_data": []}}, [])
}

test_version_serving_production_traffic_needs_a_job if {
	count(training_job.deny) == 1 with input as _snapshot("custom", {"stage": "archived", "lineage": {"training_data": [{"dataset": "d", "version": "1"}]}}, [_serving])
}

test_agent_is_exempt if {
	count(training_job.deny) == 0 with input as _snapshot("agent", {"stage": "production", "lineage": {"training_data": []}}, [])
}

test_version_without_any_lineage_is_left_to_training_lineage_rule if {
	count(training_job.deny) == 0 with input as _snapshot("fine_tuned", {"stage": "production"}, [_serving])
}

test_pinned_code_ref_pattern_is_policy_data if {
	count(training_job.deny) == 0 with input as _snapshot("custom", _with_job({"id": "j", "code_ref": "v1.2.3"}), [])
		with data.almguard.config.lineage.pinned_code_ref_pattern as "^v[0-9]+[.][0-9]+[.][0-9]+$"
}

# The loader drops null-valued keys: a field written as null arrives absent.
test_null_training_job_counts_as_missing if {
	count(training_job.deny) == 1 with input as _snapshot("custom", {"stage": "production", "lineage": {"training_data": [{"dataset": "d", "version": "1"}]}}, [])
}

# The loader drops null-valued keys: a field written as null arrives absent.
test_null_code_reference_counts_as_missing if {
	training_job.deny == {{
		"resource": {"kind": "model_version", "id": "m@1.0.0"},
		"message": "Training job of production model version 'm@1.0.0' has no code reference",
	}} with input as _snapshot("custom", _with_job({"id": "j"}), [])
}
