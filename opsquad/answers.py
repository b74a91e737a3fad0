"""The typed answers role agents give beside their findings: an investigation (SRE) or a test-generation run (SDET).

Like ``opsquad.findings``, this is part of the output-agnostic result model: agents build these, the graph adds
the approval outcome, formatters and the Slack bot read them by attribute. Optional parts are left out of the
serialized form when absent (``uncited_evidence`` appears only when something was uncited), so the JSON a user
sees carries only what happened.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SerializationInfo, SerializerFunctionWrapHandler, model_serializer


class _Part(BaseModel):
    """A piece of an answer; fields named in ``OPTIONAL`` are left out of its serialized form while unset, and
    those in ``LAST`` (added after the fact, like an approval outcome) are written after the rest."""

    model_config = ConfigDict(extra="forbid")
    OPTIONAL: ClassVar[frozenset[str]] = frozenset()
    LAST: ClassVar[tuple[str, ...]] = ()

    @model_serializer(mode="wrap")
    def _drop_absent(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if not self.OPTIONAL:
            return data
        kept = {k: v for k, v in data.items() if v is not None or k not in self.OPTIONAL}
        return {**{k: v for k, v in kept.items() if k not in self.LAST},
                **{k: kept[k] for k in self.LAST if k in kept}}


class ProposedAction(_Part):
    """A write the agent wants to make; it runs only after a human approves it."""

    id: str
    agent: str
    tool: str
    params: dict[str, Any]
    description: str
    dry_run: str = ""


class AppliedAction(_Part):
    """What became of one approved write."""

    id: str
    status: str
    error: str | None = None
    ok: bool


class _Answer(_Part):
    """Shared by every answer: the approval outcome the graph adds once a human decided on proposed writes."""

    LAST: ClassVar[tuple[str, ...]] = ("actions", "applied", "approved", "approved_by")
    OPTIONAL: ClassVar[frozenset[str]] = frozenset(LAST)
    actions: list[ProposedAction] | None = None
    applied: list[AppliedAction] | None = None
    approved: bool | None = None
    approved_by: str | None = None

    def with_decision(self, actions: list[ProposedAction], applied: list[AppliedAction], approved: bool,
                      by: str) -> Self:
        return self.model_copy(update={"actions": actions, "applied": applied, "approved": approved,
                                       "approved_by": by})


class Evidence(_Part):
    claim: str
    source: str
    cited: bool = True


class Step(_Part):
    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"patch"})
    step: str = ""
    command: str = ""
    patch: str | None = None


class Cause(_Part):
    """The analyzer finding the answer rests on."""

    finding: str
    problem: str
    analyzer: str


class AnalyzerCoverage(_Part):
    checked: list[str] = Field(default_factory=list)
    findings: int = 0


class ToolCall(_Part):
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)
    status: str

    @classmethod
    def of(cls, tool: str, params: BaseModel, result: Any) -> ToolCall:
        """The transcript entry for one call: the tool, its arguments, and the status of its result."""
        return cls(tool=tool, args=params.model_dump(mode="json"), status=str(result.status.value))


class SreAnswer(_Answer):
    """An investigation: root cause, cited evidence, remediation, confidence, and what could not be checked."""

    OPTIONAL: ClassVar[frozenset[str]] = _Answer.OPTIONAL | {"uncited_evidence", "nothing_readable"}
    root_cause: str
    evidence: list[Evidence] = Field(default_factory=list)
    remediation: list[Step] = Field(default_factory=list)
    confidence: float = Field(ge=0.0, le=1.0)
    not_checked: list[str] = Field(default_factory=list)
    cause: Cause | None = None
    analyzers: AnalyzerCoverage = Field(default_factory=AnalyzerCoverage)
    tool_calls: list[ToolCall] = Field(default_factory=list)
    answered_by: Literal["model", "analyzers"] = "analyzers"
    uncited_evidence: int | None = None
    nothing_readable: bool | None = None


class Funnel(_Part):
    generated: int = 0
    parsed: int = 0
    passing: int = 0
    kept: int = 0


class TestgenAnswer(_Answer):
    """A test-generation run: the funnel, coverage before and after, mutants, time, and the files written."""

    __test__ = False  # not a pytest class, whatever its name says
    summary: str
    funnel: Funnel
    coverage_before: dict[str, float | int]
    coverage_after: dict[str, float | int]
    time_s: dict[str, float | int]
    stopped_by_budget: bool
    mutation: dict[str, int | float | str] | str
    discarded: list[str] = Field(default_factory=list)
    kept_tests: list[str] = Field(default_factory=list)
    files: list[str] = Field(default_factory=list)
    existing_tests: int = 0

    @classmethod
    def nothing(cls, summary: str) -> TestgenAnswer:
        """The answer of a run that generated nothing (it failed before the funnel started)."""
        return cls(summary=summary, funnel=Funnel(), coverage_before={}, coverage_after={}, time_s={},
                   stopped_by_budget=False, mutation="not run")


class DecisionOnly(_Answer):
    """The approval outcome alone, for a run whose agents proposed writes but gave no answer of their own."""


Answer = SreAnswer | TestgenAnswer | DecisionOnly
