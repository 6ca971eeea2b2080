# METADATA
# title: Snapshot indexes shared by every rule
# description: >-
#   Index objects built once per evaluation so that rules join in linear time.
#   Rules read these instead of scanning input lists inside other scans.
#   Functions here must be called by their full path (data.almguard.lib.snapshot.f),
#   because the embedded engine does not resolve functions through imports.
package almguard.lib.snapshot

import rego.v1

# The snapshot's own clock: every time-based rule measures against it, never the wall clock.
now_ns := time.parse_rfc3339_ns(input.registry.captured_at)

# Model versions by canonical id (name@version), with their model and effective stage.
versions_by_id[id] := entry if {
	some model in object.get(input, "models", [])
	some version in object.get(model, "versions", [])
	id := sprintf("%s@%s", [model.name, version.version])
	entry := {
		"id": id,
		"model": model,
		"version": version,
		"stage": object.get(version, "stage", "development"),
	}
}

# Models by name.
models_by_name[model.name] := model if some model in object.get(input, "models", [])

# Dataset versions by canonical id (name@version).
datasets_by_id[id] := dataset if {
	some dataset in object.get(input, "datasets", [])
	id := sprintf("%s@%s", [dataset.name, dataset.version])
}

# Deployments by canonical id (endpoint/model@version).
deployments_by_id[id] := deployment if {
	some deployment in object.get(input, "deployments", [])
	id := sprintf("%s/%s@%s", [deployment.endpoint, deployment.model, deployment.version])
}

# The deployments of each model version (by version id), serving or not.
deployments_by_version[vid] contains deployment if {
	some deployment in object.get(input, "deployments", [])
	vid := sprintf("%s@%s", [deployment.model, deployment.version])
}

# The deployments on each endpoint.
deployments_by_endpoint[deployment.endpoint] contains deployment if {
	some deployment in object.get(input, "deployments", [])
}

# Versions that serve traffic: "deployed" means a deployment with traffic_percent > 0.
deployed_version_ids contains vid if {
	some deployment in object.get(input, "deployments", [])
	deployment.traffic_percent > 0
	vid := sprintf("%s@%s", [deployment.model, deployment.version])
}

# Versions that serve production traffic.
production_version_ids contains vid if {
	some deployment in object.get(input, "deployments", [])
	deployment.environment == "production"
	deployment.traffic_percent > 0
	vid := sprintf("%s@%s", [deployment.model, deployment.version])
}

# Canonical id of a deployment.
deployment_id(deployment) := sprintf("%s/%s@%s", [deployment.endpoint, deployment.model, deployment.version])

# Canonical id of a dataset reference.
dataset_ref_id(ref) := sprintf("%s@%s", [ref.dataset, ref.version])

# The risk tier that decides a model's thresholds. A model without a recorded tier is held to
# the strictest one ("high"): an unknown risk must not lower the bar (fail closed).
effective_tier(model) := object.get(model, "risk_tier", "high")

# Training-data references of a model version (empty when no lineage is recorded).
training_refs(version) := object.get(object.get(version, "lineage", {}), "training_data", [])

# Evaluation-data references of a model version.
evaluation_refs(version) := object.get(object.get(version, "lineage", {}), "evaluation_data", [])
