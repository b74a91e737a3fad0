"""The explicit registry of tools (no registration by import side effect).

Entries name their class as "module:Class" and are imported on first use, so a scan does not import the
Kubernetes client. Tests may put a class in directly (monkeypatch.setitem).
"""

from __future__ import annotations

import importlib

from tools.base import Tool

# ``None``: a tool the agent's own code uses through ``AgentRun.use`` and never offers to the model (``pytest``:
# sandboxed test, coverage and mutmut runs of the SDET agent).
TOOLS: dict[str, str | type[Tool] | None] = {
    "git": "tools.git:GitTool",
    "read_file": "tools.read_file:ReadFileTool",
    "semgrep": "tools.semgrep:SemgrepTool",
    "prometheus": "tools.prometheus:PrometheusTool",
    "kubernetes": "tools.kubernetes:KubernetesTool",
    "kubernetes_write": "tools.kubernetes_write:KubernetesWriteTool",
    "pytest": None,
}


def tool_class(name: str) -> type[Tool] | None:
    """The class registered as ``name``, imported on first use; None for an unknown name or a tool only the
    agent's own code uses."""
    entry = TOOLS.get(name)
    if entry is None or not isinstance(entry, str):
        return entry
    module, _, attr = entry.partition(":")
    cls: type[Tool] = getattr(importlib.import_module(module), attr)
    return cls
