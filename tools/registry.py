"""The explicit registry of tools (no registration by import side effect)."""

from __future__ import annotations

from tools.base import Tool
from tools.git import GitTool
from tools.kubernetes import KubernetesTool
from tools.kubernetes_write import KubernetesWriteTool
from tools.prometheus import PrometheusTool
from tools.read_file import ReadFileTool
from tools.semgrep import SemgrepTool

TOOLS: dict[str, type[Tool]] = {
    "git": GitTool,
    "read_file": ReadFileTool,
    "semgrep": SemgrepTool,
    "prometheus": PrometheusTool,
    "kubernetes": KubernetesTool,
    "kubernetes_write": KubernetesWriteTool,
}
