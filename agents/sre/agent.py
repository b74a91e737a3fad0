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
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from agents.base import AgentOutput, AgentRun, load_prompt
from agents.loop import run_loop
from agents.sre.analyzers import AnalyzerFinding
from agents.sre.cite import Corpus, specific_tokens, split_cited
from agents.sre.context import (
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


def choice_model(findings: int) -> type[BaseModel]:
    """The model's answer when there are findings: first the number of the finding that is the root cause (0: none
    of them), then a short explanation. Small on purpose: every generated token costs ~0.1 s on two cores, and
    the analyzers' own evidence and commands are added in code, so the model only adds what they lack."""
    choice: type[BaseModel] = create_model(
        "Choice", __config__=ConfigDict(extra="forbid"),
        cause=(int, Field(ge=0, le=findings, description="Number of the finding that is the root cause (F1 -> 1).")),
        root_cause=(str, Field(max_length=300)),
        evidence=(list[Cite], Field(max_length=2)),
        remediation=(list[Fix], Field(max_length=2)),
        confidence=(int, Field(ge=0, le=100)),
        not_checked=(list[str], Field(default_factory=list, max_length=2)),
    )
    return choice


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
        transcript: list[dict[str, Any]] = []
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
        model_answer: BaseModel | None = None
        if not nothing and not run.request.options.get("no_model"):
            context = context_text(question, namespace, shown, logs, g, clear, max(2000, run.budget_chars()))
            answer_type = choice_model(len(shown)) if shown else Investigation
            steps = min(2, run.cfg.max_steps) if clear else run.cfg.max_steps
            try:
                model_answer, calls = run_loop(run, load_prompt(run, PROMPT), question, answer_type,
                                               context=context if shown or logs else "", max_steps=steps,
                                               on_result=corpus.add)
                transcript += calls
            except (ModelOutputError, ModelUnavailable) as exc:
                if not shown:
                    raise  # without findings there is nothing to answer with: the run fails in one line
                g.not_checked.append(f"model: {exc.line} (answered from the analyzers alone)")
        data = self._assemble(run, question, model_answer, ranked, shown, base, log_evidence, corpus, g, transcript,
                              nothing, clear)
        return AgentOutput(findings=to_findings(findings, run.name), answer=data, note=AgentNote(
            agent=run.name, summary=str(data["root_cause"])[:200], not_checked=data["not_checked"],
            stats={"tool_calls": len(transcript), "analyzer_findings": len(findings)}))

    def _assemble(self, run: AgentRun, question: str, answer: BaseModel | None, ranked: list[AnalyzerFinding],
                  shown: list[AnalyzerFinding], base: Any, log_evidence: list[dict[str, str]], corpus: Corpus,
                  g: Gathered, transcript: list[dict[str, Any]], nothing: bool, clear: bool) -> dict[str, Any]:
        chosen = base.chosen
        root, confidence = base.root_cause, base.confidence
        model_evidence: list[dict[str, str]] = []
        model_steps: list[dict[str, str]] = []
        model_not_checked: list[str] = []
        if answer is not None:
            raw = answer.model_dump(mode="json")
            cause = int(raw.get("cause", 0) or 0)
            confidence = int(raw.get("confidence", 0)) / 100
            if 1 <= cause <= len(shown):
                chosen = shown[cause - 1]
                # a small model's self-assessment is noisy: the analyzers' certainty counts for half
                confidence = (confidence + (base.confidence if chosen is base.chosen else 0.5)) / 2
            elif not clear or not shown:
                chosen = None  # the model found the analyzers' findings beside the point
            root = _anchor(str(raw.get("root_cause") or ""), chosen) or base.root_cause
            model_evidence = [dict(e) for e in raw.get("evidence") or []]
            model_steps = [{"step": s.get("step", ""), "command": s.get("command", "")} for s in raw["remediation"]]
            model_not_checked = [str(x) for x in raw.get("not_checked") or []]
        if nothing:
            root = "Nothing could be checked: " + "; ".join(g.not_checked)[:400]
            confidence = 0.0
        cited, uncited = split_cited(model_evidence, corpus)
        found = dedupe((evidence_for(chosen, ranked) if chosen else []) + log_evidence + cited, "claim")
        evidence: list[dict[str, Any]] = [{**e, "cited": True} for e in found[:MAX_EVIDENCE]]
        evidence += [{"claim": u["claim"], "source": f"{u['source']} [uncited: {u['why']}]", "cited": False}
                     for u in uncited]
        proposed = propose_write(run, chosen, ranked, transcript) if chosen and not nothing else None
        steps = ([proposed] if proposed else []) + (remediation_for(chosen, ranked) if chosen else []) + model_steps
        failed = sorted({t["tool"] for t in transcript if t["status"] == "error"})
        not_checked = list(dict.fromkeys(g.not_checked + model_not_checked + [f"{t} (tool error)" for t in failed]))
        data: dict[str, Any] = {
            "root_cause": root, "evidence": evidence,
            "remediation": dedupe([s for s in steps if s.get("step") or s.get("command")],
                                  "command", "step")[:MAX_REMEDIATION],
            "confidence": round(max(0.0, min(1.0, confidence)), 2), "not_checked": not_checked,
            "cause": {"finding": chosen.ref, "problem": chosen.problem, "analyzer": chosen.analyzer}
            if chosen else None,
            "analyzers": {"checked": g.result.checked, "findings": len(ranked)},
            "tool_calls": transcript, "answered_by": "model" if answer is not None else "analyzers"}
        if uncited:
            data["uncited_evidence"] = len(uncited)
        if nothing:
            data["nothing_readable"] = True
        return data
