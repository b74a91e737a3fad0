"""SRE agent, basic depth: a schema-constrained investigation loop over read-only tools.

The model plans and calls the tools it was granted (Prometheus now; the Kubernetes reader and the
deterministic analyzers come with the SRE issue) and ends with a structured answer whose evidence must cite
the tool results. A tool that is unreachable is reported as not checked rather than guessed around.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from agents.base import AgentOutput, AgentRun, load_prompt
from agents.loop import run_loop
from opsquad.findings import AgentNote


class Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid")
    claim: str = Field(max_length=300)
    source: str = Field(max_length=200, description="The tool call and value this claim comes from.")


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")
    step: str = Field(max_length=300)
    command: str = Field(default="", max_length=300)


class Investigation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    root_cause: str = Field(max_length=500)
    evidence: list[Evidence] = Field(max_length=6)
    remediation: list[Step] = Field(max_length=5)
    confidence: int = Field(ge=0, le=100)
    not_checked: list[str] = Field(default_factory=list, max_length=5)


class SreAgent:
    role = "sre"

    def run(self, run: AgentRun) -> AgentOutput:
        question = run.request.question or "Is anything unhealthy right now?"
        answer, transcript = run_loop(run, load_prompt(run, "sre.md"), question, Investigation)
        failed = [t["tool"] for t in transcript if t["status"] == "error"]
        not_checked = list(answer.not_checked) + [f"{t} (tool error)" for t in sorted(set(failed))]
        data = answer.model_dump(mode="json")
        data["confidence"] = answer.confidence / 100
        data["not_checked"] = not_checked
        data["tool_calls"] = transcript
        return AgentOutput(answer=data, note=AgentNote(
            agent=run.name, summary=answer.root_cause[:200], not_checked=not_checked,
            stats={"tool_calls": len(transcript)}))
