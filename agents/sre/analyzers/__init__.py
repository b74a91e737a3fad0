"""Deterministic SRE analyzers (k8sgpt-style): they detect, the model only explains.

``ANALYZERS`` is the explicit registry (no registration by import side effect); ``collect.collect`` lists
what they need from a cluster and runs them all. Each analyzer reads a ``Snapshot`` of API JSON and returns
``AnalyzerFinding``s whose evidence names the exact object, field, event or value.
"""

from __future__ import annotations

from agents.sre.analyzers.base import Analyzer, AnalyzerFinding, Snapshot
from agents.sre.analyzers.deployments import DeploymentAnalyzer
from agents.sre.analyzers.events import EventAnalyzer
from agents.sre.analyzers.nodes import NodeAnalyzer
from agents.sre.analyzers.pods import PodAnalyzer
from agents.sre.analyzers.prometheus import PrometheusAnalyzer
from agents.sre.analyzers.quotas import QuotaAnalyzer
from agents.sre.analyzers.services import ServiceAnalyzer
from agents.sre.analyzers.storage import StorageAnalyzer

ANALYZERS: dict[str, Analyzer] = {
    "pods": PodAnalyzer(),
    "deployments": DeploymentAnalyzer(),
    "services": ServiceAnalyzer(),
    "storage": StorageAnalyzer(),
    "nodes": NodeAnalyzer(),
    "quotas": QuotaAnalyzer(),
    "events": EventAnalyzer(),
    "prometheus": PrometheusAnalyzer(),
}

__all__ = ["ANALYZERS", "Analyzer", "AnalyzerFinding", "Snapshot"]
