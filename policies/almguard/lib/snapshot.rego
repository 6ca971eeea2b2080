# METADATA
# title: Snapshot indexes shared by every rule
# description: >-
#   Index objects built once per evaluation so that rules join in linear time and iterate
#   only the entities they judge (the versions at a stage, the deployments that serve
#   traffic) instead of scanning every version and filtering with function calls.
#   Rules read these instead of scanning input lists inside other scans. They are
#   comprehensions (cheaper than partial rules in the embedded engine) and build ids with
#   concat (names and versions are strings by the snapshot schema). Functions here must be
#   called by their full path (data.almguard.lib.snapshot.f), because the embedded engine
#   does not resolve functions through imports.
package almguard.lib.snapshot

import rego.v1

# The snapshot's own clock: every time-based rule measures against it, never the wall clock.
now_ns := data.almguard.lib.time.ns(input.registry.captured_at)

# Model versions by canonical id (name@version), with their model, effective stage and
# effective risk tier (effective_tier(model), inlined: computed once per version here).
versions_by_id := {id: entry |
	some model in object.get(input, "models", [])
	some version in object.get(model, "versions", [])
	id := concat("@", [model.name, version.version])
	entry := {
		"id": id,
		"model": model,
		"version": version,
		"stage": object.get(version, "stage", "development"),
		"tier": object.get(model, "risk_tier", "high"),
	}
}

# The ids of the model versions at each effective stage: rules that judge the versions at
# some stages iterate these instead of every version.
versions_at_stage[entry.stage] contains id if some id, entry in versions_by_id

# Models by name.
models_by_name := {model.name: model | some model in object.get(input, "models", [])}

# Dataset versions by canonical id (name@version).
datasets_by_id := {id: dataset |
	some dataset in object.get(input, "datasets", [])
	id := concat("@", [dataset.name, dataset.version])
}

# Deployments by canonical id (endpoint/model@version).
deployments_by_id := {id: deployment |
	some deployment in object.get(input, "deployments", [])
	id := deployment_id(deployment)
}

# The deployments on each endpoint.
deployments_by_endpoint[deployment.endpoint] contains deployment if {
	some deployment in object.get(input, "deployments", [])
}

# Deployments that serve traffic (traffic_percent > 0) of a version the registry has, by
# deployment id, with the version's entry (deployments naming an unknown version are the
# registry rule's business).
serving_deployments := {id: {"deployment": deployment, "entry": entry} |
	versions := versions_by_id
	some id, deployment in deployments_by_id
	deployment.traffic_percent > 0
	entry := versions[concat("@", [deployment.model, deployment.version])]
}

# Production deployments that serve traffic (environment production, traffic_percent > 0),
# whatever version they name, by deployment id.
production_deployments := {id: deployment |
	some id, deployment in deployments_by_id
	deployment.environment == "production"
	deployment.traffic_percent > 0
}

# Versions that serve traffic: "deployed" means a deployment with traffic_percent > 0.
deployed_version_ids contains vid if {
	some deployment in object.get(input, "deployments", [])
	deployment.traffic_percent > 0
	vid := concat("@", [deployment.model, deployment.version])
}

# Versions that serve production traffic.
production_version_ids contains vid if {
	some deployment in object.get(input, "deployments", [])
	deployment.environment == "production"
	deployment.traffic_percent > 0
	vid := concat("@", [deployment.model, deployment.version])
}

# The dataset versions (by id) each model version links to: "training" (its
# lineage.training_data) and "evaluation" (its lineage.evaluation_data and the datasets of its
# evaluations). Built once for the rules that join model versions with dataset versions.
dataset_links := {id: {"training": training, "evaluation": (lineage_evaluation | results)} |
	some id, entry in versions_by_id
	training := {concat("@", [ref.dataset, ref.version]) | some ref in entry.version.lineage.training_data}
	lineage_evaluation := {concat("@", [ref.dataset, ref.version]) | some ref in entry.version.lineage.evaluation_data}
	results := {concat("@", [ref.dataset, ref.version]) | some result in entry.version.evaluations; ref := result.dataset}
}

# Versions that have a retirement record, by id, with the version's entry and the record.
retirements := {id: {"entry": entry, "retirement": retirement} |
	some id, entry in versions_by_id
	retirement := entry.version.retirement
}

# Canonical id of a deployment.
deployment_id(deployment) := sprintf("%s/%s@%s", [deployment.endpoint, deployment.model, deployment.version])

# Canonical id of a dataset reference.
dataset_ref_id(ref) := sprintf("%s@%s", [ref.dataset, ref.version])

# The risk tier that decides a model's thresholds. A model without a recorded tier is held to
# the strictest one ("high"): an unknown risk must not lower the bar (fail closed).
effective_tier(model) := object.get(model, "risk_tier", "high")

# How a message names the tier a model is judged by: its recorded risk tier ("risk tier
# 'limited'"), or for a model without one the tier it is held to and why ("its tier (held to
# tier high: no risk tier recorded)"), so that no message claims a tier the model does not
# have. Written to follow "which ... requires" and "required for ...".
tier_phrase(model) := sprintf("risk tier '%s'", [model.risk_tier]) if {
	is_string(object.get(model, "risk_tier", null))
} else := sprintf(
	"its tier (held to tier %s: no risk tier recorded)",
	[data.almguard.lib.snapshot.effective_tier(model)],
)

# The ids (name@version) of every dataset a model version references: its training and
# evaluation data, the datasets of its evaluations and of its data deletion certificates.
version_dataset_refs(version) := {concat("@", [ref.dataset, ref.version]) |
	some ref in _version_refs(version)
}

_version_refs(version) := array.concat(
	array.concat(
		object.get(version, ["lineage", "training_data"], []),
		object.get(version, ["lineage", "evaluation_data"], []),
	),
	array.concat(
		[evaluation.dataset | some evaluation in object.get(version, "evaluations", []); evaluation.dataset],
		[ref |
			some certificate in object.get(version, ["retirement", "data_deletion_certificates"], [])
			some ref in object.get(certificate, "datasets", [])
		],
	),
)
