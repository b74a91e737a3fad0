"""SRE agent: deterministic analyzers first, then the model chooses and explains, then code checks its citations.

1. ``gather``: the analyzers read the request's namespace (and Prometheus, when a URL is set); what they
   could not read is ``not_checked``. When nothing at all was readable from a granted cluster, the model is not
   asked: the answer says so (``nothing_readable``), and the CLI exits 2.
2. ``context``: findings are ranked (specific causes before symptoms, what the question names first) and
   ``remedy`` reads what the top finding calls for (a crashed container's previous logs).
3. The model gets the ranked findings (F1, F2, …) as its starting evidence and the granted read tools through the
   schema-constrained loop (``agents.loop.run_loop``; every tool result also goes into the citation corpus). With
   a clear problem it may make one read before it must answer, and it names the finding it takes for the cause;
   with no clear problem it plans its reads itself.
4. The answer is assembled in code: the chosen finding's evidence and the analyzers' remediation commands come
   first; the model's evidence is kept only where ``cite`` finds its values in what was observed (uncited
   items are flagged ``cited: false``, never presented as fact); a remedying write is proposed for approval
   when ``kubernetes_write`` is granted (never applied here).

``options.no_model`` skips step 3 (the deterministic answer alone; used by ``opsquad eval sre --no-model``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, create_model

from agents.base import AgentOutput, AgentRun, load_prompt
from agents.loop import run_loop
from agents.sre.analyzers import AnalyzerFinding
from agents.sre.cite import Corpus, specific_tokens, split_cited
from agents.sre.context import (
    Draft,
    by_claim,
    by_command_and_step,
    clear_problem,
    compact,
    dedupe,
    draft,
    evidence_for,
    rank,
    remediation_for,
    to_findings,
)
from agents.sre.gather import Gathered, gather
from agents.sre.remedy import follow_up_reads, propose_write
from opsquad.answers import AnalyzerCoverage, Cause, SreAnswer, ToolCall
from opsquad.answers import Evidence as EvidenceItem
from opsquad.answers import Step as RemediationStep
from opsquad.errors import ModelOutputError, ModelUnavailable
from opsquad.findings import AgentNote

PROMPT = Path(__file__).with_name("prompt.md")
MAX_FINDINGS_SHOWN = 8
MAX_EVIDENCE = 10
MAX_REMEDIATION = 5


class Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid")
    claim: str = Field(max_length=300)
    source: str = Field(max_length=200, description="The finding (F1…) or tool call and value this claim comes from.")


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")
    step: str = Field(max_length=300)
    command: str = Field(default="", max_length=300)


class Investigation(BaseModel):
    """The model's answer when the analyzers found nothing to choose from."""

    model_config = ConfigDict(extra="forbid")
    root_cause: str = Field(max_length=500)
    evidence: list[Evidence] = Field(max_length=6)
    remediation: list[Step] = Field(max_length=5)
    confidence: int = Field(ge=0, le=100)
    not_checked: list[str] = Field(default_factory=list, max_length=5)


class Cite(BaseModel):
    model_config = ConfigDict(extra="forbid")
    claim: str = Field(max_length=200)
    source: str = Field(max_length=80, description="F1, F2, … or the tool call it comes from.")


class Fix(BaseModel):
    model_config = ConfigDict(extra="forbid")
    step: str = Field(max_length=160)
    command: str = Field(default="", max_length=200)


class Choice(BaseModel):
    """The model's answer when there are findings: first the number of the finding that is the root cause (0: none
    of them), then a short explanation. Small on purpose: every generated token costs time on two cores, and
    the analyzers' own evidence and commands are added in code, so the model only adds what they lack."""

    model_config = ConfigDict(extra="forbid")
    cause: int = Field(ge=0, description="Number of the finding that is the root cause (F1 -> 1).")
    root_cause: str = Field(max_length=300)
    evidence: list[Cite] = Field(max_length=2)
    remediation: list[Fix] = Field(max_length=2)
    confidence: int = Field(ge=0, le=100)
    not_checked: list[str] = Field(default_factory=list, max_length=2)


def choice_model(findings: int) -> type[Choice]:
    """``Choice`` with ``cause`` bounded by the number of findings shown, so the grammar cannot name F9 of 3."""
    bounded: type[Choice] = create_model(
        "Choice", __base__=Choice,
        cause=(int, Field(ge=0, le=findings, description="Number of the finding that is the root cause (F1 -> 1).")),
    )
    return bounded


def context_text(question: str, namespace: str | None, shown: list[AnalyzerFinding], logs: list[str],
                 g: Gathered, clear: bool, budget: int) -> str:
    parts = [f"Namespace: {namespace or 'all namespaces'}"]
    if shown:
        parts.append("Analyzer findings, ranked (F1 is the most likely root cause):\n" + compact(shown, budget))
    else:
        parts.append("The analyzers found no problem in what they could read.")
    if logs:
        parts.append("Logs already read:\n" + "\n".join(logs))
    if g.not_checked:
        parts.append("Not checked: " + "; ".join(g.not_checked[:5]))
    if shown and clear:
        parts.append("Answer with action final now unless the findings do not fit the question: set cause to the "
                     "finding that explains it, say why in root_cause with the exact values, cite F numbers.")
    elif shown:
        parts.append("If these findings do not explain the question, read what you need first (one tool call).")
    return "\n\n".join(parts)


def _anchor(root_cause: str, chosen: AnalyzerFinding | None) -> str:
    """Keep the model's words, but make sure the root cause states the finding it rests on: unless the text names
    the problem (``OOMKilled``) or one of the finding's values (``64Mi``, ``20.0%``), the analyzer's own statement
    is appended, so a vague or wrong sentence never stands alone beside the cause the model chose."""
    text = " ".join(root_cause.split())
    if chosen is None:
        return text
    if not text:
        return f"{chosen.ref}: {chosen.message}"
    values = [t for t in specific_tokens(chosen.message) if any(c.isdigit() for c in t)]
    if not any(k in text.lower() for k in [chosen.problem.lower(), *values]):
        text += f" (analyzers: {chosen.ref} {chosen.problem}: {chosen.message})"
    return text


class SreAgent:
    role = "sre"

    def run(self, run: AgentRun) -> AgentOutput:
        question = run.request.question or "Is anything unhealthy right now?"
        namespace = run.request.namespace
        transcript: list[ToolCall] = []
        g = gather(run, namespace)
        findings = g.result.findings
        ranked = rank(findings, question)
        base = draft(findings, question)
        shown = ranked[:MAX_FINDINGS_SHOWN]
        corpus = Corpus([json.dumps([f.model_dump(mode="json") for f in findings])], findings=len(shown))
        logs, log_evidence = follow_up_reads(run, base.chosen, ranked, transcript)
        for text in logs:
            corpus.add(text)
        nothing = g.kube_granted and not g.anything_read
        clear = clear_problem(ranked, question)
        model_answer: Choice | Investigation | None = None
        if not nothing and not run.request.options.get("no_model"):
            context = context_text(question, namespace, shown, logs, g, clear, max(2000, run.budget_chars()))
            answer_type: type[Choice] | type[Investigation] = choice_model(len(shown)) if shown else Investigation
            steps = min(2, run.agent_config.max_steps) if clear else run.agent_config.max_steps
            try:
                model_answer, calls = run_loop(run, load_prompt(run, PROMPT), question, answer_type,
                                               context=context if shown or logs else "", max_steps=steps,
                                               on_result=corpus.add)
                transcript += calls
            except (ModelOutputError, ModelUnavailable) as exc:
                if not shown:
                    raise  # without findings there is nothing to answer with: the run fails in one line
                g.not_checked.append(f"model: {exc.line} (answered from the analyzers alone)")
        found = Observed(ranked, shown, base, log_evidence, corpus, g, transcript, nothing, clear)
        answer = assemble(run, model_answer, found)
        return AgentOutput(findings=to_findings(findings, run.name), answer=answer, note=AgentNote(
            agent=run.name, summary=answer.root_cause[:200], not_checked=answer.not_checked,
            stats={"tool_calls": len(transcript), "analyzer_findings": len(findings)}))


@dataclass
class Observed:
    """What one investigation saw and decided before the answer is assembled."""

    ranked: list[AnalyzerFinding]
    shown: list[AnalyzerFinding]
    base: Draft
    log_evidence: list[EvidenceItem]
    corpus: Corpus
    gathered: Gathered
    transcript: list[ToolCall]
    nothing: bool
    clear: bool


@dataclass
class _ModelPart:
    chosen: AnalyzerFinding | None
    root_cause: str
    confidence: float
    evidence: list[EvidenceItem] = field(default_factory=list)
    steps: list[RemediationStep] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)


def _model_part(answer: Choice | Investigation | None, o: Observed) -> _ModelPart:
    """The model's contribution: the finding it chose (or none), its words anchored to that finding, its own
    evidence and steps; without a model answer, the deterministic draft."""
    if answer is None:
        return _ModelPart(o.base.chosen, o.base.root_cause, o.base.confidence)
    chosen = o.base.chosen
    confidence = answer.confidence / 100
    cause = answer.cause if isinstance(answer, Choice) else 0
    if 1 <= cause <= len(o.shown):
        chosen = o.shown[cause - 1]
        # a small model's self-assessment is noisy: the analyzers' certainty counts for half
        confidence = (confidence + (o.base.confidence if chosen is o.base.chosen else 0.5)) / 2
    elif not o.clear or not o.shown:
        chosen = None  # the model found the analyzers' findings beside the point
    return _ModelPart(
        chosen, _anchor(answer.root_cause, chosen) or o.base.root_cause, confidence,
        [EvidenceItem(claim=e.claim, source=e.source) for e in answer.evidence],
        [RemediationStep(step=s.step, command=s.command) for s in answer.remediation],
        [str(x) for x in answer.not_checked])


def assemble(run: AgentRun, answer: Choice | Investigation | None, o: Observed) -> SreAnswer:
    """The answer, built in code: the chosen finding's evidence and the analyzers' commands first, the model's
    evidence only where it is cited (uncited items are flagged), a remedying write proposed for approval."""
    m = _model_part(answer, o)
    g = o.gathered
    root, confidence = m.root_cause, m.confidence
    if o.nothing:
        root = "Nothing could be checked: " + "; ".join(g.not_checked)[:400]
        confidence = 0.0
    cited, uncited = split_cited(m.evidence, o.corpus)
    found = dedupe((evidence_for(m.chosen, o.ranked) if m.chosen else []) + o.log_evidence + cited, by_claim)
    evidence = found[:MAX_EVIDENCE] + [
        EvidenceItem(claim=u.claim, source=f"{u.source} [uncited: {why}]", cited=False) for u, why in uncited]
    proposed = propose_write(run, m.chosen, o.ranked, o.transcript) if m.chosen and not o.nothing else None
    steps = ([proposed] if proposed else []) + (remediation_for(m.chosen, o.ranked) if m.chosen else []) + m.steps
    failed = sorted({t.tool for t in o.transcript if t.status == "error"})
    not_checked = list(dict.fromkeys(g.not_checked + m.not_checked + [f"{t} (tool error)" for t in failed]))
    chosen = m.chosen
    return SreAnswer(
        root_cause=root, evidence=evidence,
        remediation=dedupe([s for s in steps if s.step or s.command], by_command_and_step)[:MAX_REMEDIATION],
        confidence=round(max(0.0, min(1.0, confidence)), 2), not_checked=not_checked,
        cause=Cause(finding=chosen.ref, problem=chosen.problem, analyzer=chosen.analyzer) if chosen else None,
        analyzers=AnalyzerCoverage(checked=g.result.checked, findings=len(o.ranked)),
        tool_calls=o.transcript, answered_by="model" if answer is not None else "analyzers",
        uncited_evidence=len(uncited) or None, nothing_readable=True if o.nothing else None)
