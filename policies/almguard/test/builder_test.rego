# METADATA
# title: Documents for the Rego tests
# description: >-
#   The one builder of the documents the tests judge: each function lays the fields it is
#   given over the smallest valid document of its kind (object.union, so a nested object
#   given is merged into the default's and a list replaces the default's). Call them by
#   their full path (data.almguard.test.builder.snapshot({...})): the embedded engine does
#   not resolve functions through imports. The file ends in _test.rego so that almguard
#   treats it as a test: it stays out of bundles, the rule catalog and the coverage figure.
package almguard.test.builder

import rego.v1

# The clock of every snapshot built here.
captured_at := "2026-11-20T08:00:00Z"

# A snapshot-v1 document of registry "r", captured at captured_at; it holds only the
# datasets, models and deployments the fields give.
snapshot(fields) := object.union(
	{"schema_version": 1, "registry": {"name": "r", "captured_at": captured_at}},
	fields,
)

# A snapshot of one model, as model_with_version builds it, and nothing else.
snapshot_with_version(model_fields, version_fields) := snapshot({"models": [
	model_with_version(model_fields, version_fields),
]})

# Model "m" with one version, 1.0.0, and nothing else recorded (no owner, no risk tier).
model(fields) := object.union({"name": "m", "versions": [version({})]}, fields)

# Model "m" with its one version 1.0.0 built from the version fields.
model_with_version(fields, version_fields) := model(object.union(
	fields,
	{"versions": [version(version_fields)]},
))

# Version 1.0.0, at no recorded stage (development).
version(fields) := object.union({"version": "1.0.0"}, fields)

# A production deployment of m@1.0.0 on endpoint "ep" with all of its traffic and no
# deployed_at.
deployment(fields) := object.union(
	{
		"endpoint": "ep",
		"model": "m",
		"version": "1.0.0",
		"environment": "production",
		"traffic_percent": 100,
	},
	fields,
)

# Dataset version d@1, without a digest.
dataset(fields) := object.union({"name": "d", "version": "1"}, fields)

# A lineage's or an evaluation's reference to a dataset version.
ref(dataset_name, dataset_version) := {"dataset": dataset_name, "version": dataset_version}
