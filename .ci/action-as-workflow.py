"""Prints a composite action (action.yml) as a reusable workflow with the same inputs and steps,
so actionlint, which lints workflows, checks the action's steps and expressions too."""
import json
import sys

import yaml

action = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
if action.get("runs", {}).get("using") != "composite":
    sys.exit(f"{sys.argv[1]}: not a composite action")
inputs = {
    name: {
        "description": spec.get("description", ""),
        "required": bool(spec.get("required", False)),
        "type": "string",
        **({"default": str(spec["default"])} if "default" in spec else {}),
    }
    for name, spec in action.get("inputs", {}).items()
}
workflow = {
    "name": action["name"],
    "on": {"workflow_call": {"inputs": inputs}},
    "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": action["runs"]["steps"]}},
}
json.dump(workflow, sys.stdout, indent=2)
