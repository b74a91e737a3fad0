"""The Slack on-call bot: a slack-bolt ``App`` whose handlers turn Slack deliveries into opsquad runs.

- ``@opsquad <question>``, ``/opsquad investigate <question>`` and follow-ups in a thread opsquad answered
  become one ``Request`` each (see ``threads.py`` for how a thread continues one conversation), handled by
  ``dispatch`` in a worker thread. Slack is acknowledged at once; one message is posted and updated in place
  with progress, then the answer.
- A run that proposes a write pauses for approval: its message carries the dry run and Approve/Reject buttons.
  Only ``serve.approvers`` may decide; anyone else gets an ephemeral refusal and nothing resumes. The decision,
  who made it and the result go to the thread and (by ``resume``'s approval node) to the audit trail.
- Signatures and timestamps are verified before any handler runs (``slack_http``: bad or older than 5 minutes
  401, malformed 400). ``DropRetries`` then acknowledges a redelivery or replay it has already seen (same ids,
  or same signed body, within ``dedupe.TTL_S``) without processing it again.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.error import BoltError
from slack_bolt.middleware import Middleware
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from opsquad.config import OpsquadConfig
from opsquad.errors import ConfigError, OpsquadError
from opsquad.request import Request
from opsquad.serve import blocks
from opsquad.serve.approvers import Approvers
from opsquad.serve.dedupe import SeenSet, digest
from opsquad.serve.metrics import Metrics
from opsquad.serve.runner import Runner
from opsquad.serve.threads import Conversations, thread_key

log = logging.getLogger("opsquad.serve.slack")

USAGE = "Usage: `/opsquad investigate <question>` — or mention me: `@opsquad why is checkout slow?`"
MAX_QUESTION = 2000
PROGRESS_INTERVAL_S = 1.0  # chat.update is rate limited (~50/min): one progress update a second at most
_SLACK_REF = re.compile(r"<([@#!]?)([^>|]*)(?:\|([^>]*))?>")
_RUN_ID = re.compile(r"[A-Za-z0-9-]{1,64}")


@dataclass(frozen=True)
class SlackSettings:
    """Slack secrets, read from the environment only (never from agents.yaml, which is reviewed like code)."""

    bot_token: str
    signing_secret: str = ""
    app_token: str = ""
    api_url: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SlackSettings | None:
        """None when no Slack variable is set (serve without Slack); ConfigError when a required one is missing."""
        token, secret, app_token = (env.get(k, "").strip() for k in
                                    ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"))
        if not (token or secret or app_token):
            return None
        if not token:
            raise ConfigError("SLACK_BOT_TOKEN is not set (other SLACK_* variables are): set it, or unset them all "
                              "to serve without Slack")
        if not secret and not app_token:
            raise ConfigError("SLACK_SIGNING_SECRET is not set: Slack requests cannot be verified without it "
                              "(or set SLACK_APP_TOKEN to use Socket Mode)")
        return cls(token, secret, app_token, env.get("SLACK_API_URL", "").strip())


_NEVER_DEDUPED = ("url_verification", "ssl_check")  # Slack's own checks: answered every time they come


def delivery_key(body: Mapping[str, Any], raw: str = "") -> tuple[str, str]:
    """(kind, key) identifying one Slack delivery across retries and replays: the ids Slack gives it (event id,
    trigger id, the clicked action) when present, else a hash of the signed body; key '' never dedupes."""
    kind, ids = _delivery_ids(body)
    if body.get("type") in _NEVER_DEDUPED or body.get("ssl_check"):
        return kind, ""
    if ids:
        return kind, f"{kind}:{ids}"
    return kind, f"{kind}:body:{digest(raw or json.dumps(body, sort_keys=True, default=str))}"


def _delivery_ids(body: Mapping[str, Any]) -> tuple[str, str]:
    """The delivery's kind and the ids that identify it ('' when Slack sent none)."""
    if body.get("type") == "event_callback":
        return "event", str(body.get("event_id") or "")
    if body.get("type") == "block_actions":
        if body.get("trigger_id"):
            return "action", f"trigger:{body['trigger_id']}"
        acts = body.get("actions")
        act = acts[0] if isinstance(acts, list) and acts and isinstance(acts[0], dict) else {}
        user = body.get("user")
        user_id = user.get("id", "") if isinstance(user, dict) else ""
        return "action", f"{user_id}:{act.get('action_id', '')}:{act['action_ts']}" if act.get("action_ts") else ""
    if body.get("command"):
        return "command", f"trigger:{body['trigger_id']}" if body.get("trigger_id") else ""
    return "other", ""


class DropRetries(Middleware):
    """Acknowledge (200) a delivery already seen — Slack's X-Slack-Retry-Num redeliveries — without processing."""

    def __init__(self, seen: SeenSet, metrics: Metrics) -> None:
        self.seen = seen
        self.metrics = metrics

    def process(self, *, req: BoltRequest, resp: BoltResponse,
                next: Callable[[], BoltResponse]) -> BoltResponse | None:
        kind, key = delivery_key(req.body, req.raw_body)
        if key and not self.seen.add(key):
            retry = (req.headers.get("x-slack-retry-num") or ["?"])[0]
            log.info("dropping a delivery already processed (%s, retry %s)", key, retry)
            self.metrics.slack_requests.labels(kind, "dropped").inc()
            return BoltResponse(status=200, body="")
        self.metrics.slack_requests.labels(kind, "processed").inc()
        return next()


def malformed_delivery(error: Exception) -> BoltResponse:
    """Bolt's error handler: a signed delivery missing a field Slack always sends (or sending it with another
    type) ends in 400 and one log line, not a 500 and a traceback (``--log-level debug`` shows the traceback)."""
    log.warning("rejected a malformed Slack delivery: %s: %s", type(error).__name__, str(error)[:200])
    log.debug("malformed Slack delivery", exc_info=error)
    return BoltResponse(status=400, body="malformed Slack payload")


class ProgressUpdater:
    """The run's progress callback: edits the one status message, at most once per ``PROGRESS_INTERVAL_S``."""

    def __init__(self, client: WebClient, channel: str, ts: str, title: str, question: str, run_id: str) -> None:
        self.client, self.channel, self.ts = client, channel, ts
        self.title, self.question, self.run_id = title, question, run_id
        self.steps: list[str] = []
        self._last = 0.0
        self._lock = threading.Lock()

    def __call__(self, step: str) -> None:
        with self._lock:
            self.steps.append(step)
            if time.monotonic() - self._last < PROGRESS_INTERVAL_S:
                return
            self._last = time.monotonic()
            msg = blocks.progress_message(self.title, self.question, self.steps, self.run_id)
        try:
            self.client.chat_update(channel=self.channel, ts=self.ts, **msg.kwargs())
        except SlackClientError as exc:  # progress is a courtesy: never fail the run over it
            log.warning("progress update failed: %s", exc)


class SlackBot:
    def __init__(self, settings: SlackSettings, config: OpsquadConfig, runner: Runner,
                 conversations: Conversations, metrics: Metrics) -> None:
        self.settings, self.config, self.runner = settings, config, runner
        self.conversations, self.metrics = conversations, metrics
        base_url = settings.api_url or WebClient.BASE_URL
        self.client = WebClient(token=settings.bot_token, base_url=base_url.rstrip("/") + "/", timeout=15)
        try:  # bolt calls auth.test here: a wrong token fails now, as one line, not on the first event
            self.app = App(client=self.client, signing_secret=settings.signing_secret, ssl_check_enabled=False,
                           process_before_response=False)
        except (BoltError, SlackClientError) as exc:
            raise ConfigError(f"Slack: {exc} (check SLACK_BOT_TOKEN and SLACK_API_URL)") from None
        self.approvers = Approvers(config.serve.approvers, self.client)
        self.app.use(DropRetries(SeenSet(), metrics))
        self.app.error(malformed_delivery)
        self.app.command(re.compile(r"^/"))(self._on_command)
        self.app.event("app_mention")(self._on_mention)
        self.app.event("message")(self._on_message)
        self.app.action(blocks.APPROVE)(self._on_approve)
        self.app.action(blocks.REJECT)(self._on_reject)

    # -- triggers ----------------------------------------------------------------------------------------------
    def _on_command(self, ack: Callable[..., None], command: dict[str, Any], respond: Callable[..., Any]) -> None:
        sub, _, rest = plain(str(command.get("text", ""))).partition(" ")
        if sub.lower() != "investigate" or not rest.strip():
            ack(text=USAGE)
            return
        ack()
        self.start(channel=command["channel_id"], thread_ts=None, question=rest, user=command.get("user_id", ""),
                   reply=lambda text: respond(text=text, response_type="ephemeral"))

    def _on_mention(self, ack: Callable[..., None], event: dict[str, Any], context: Mapping[str, Any]) -> None:
        ack()
        question = plain(str(event.get("text", "")), str(context.get("bot_user_id") or ""))
        self.start(channel=event["channel"], thread_ts=event.get("thread_ts") or event["ts"], question=question,
                   user=event.get("user", ""))

    def _on_message(self, ack: Callable[..., None], event: dict[str, Any], context: Mapping[str, Any]) -> None:
        """A reply in a thread opsquad answered continues that conversation; other messages are ignored."""
        ack()
        thread_ts, text = event.get("thread_ts"), str(event.get("text", ""))
        if event.get("subtype") or event.get("bot_id") or not thread_ts or thread_ts == event.get("ts"):
            return
        if context.get("bot_user_id") and f"<@{context['bot_user_id']}" in text:
            return  # the app_mention handler gets this one
        if self.conversations.is_conversation(thread_key(event["channel"], thread_ts)):
            self.start(channel=event["channel"], thread_ts=thread_ts, question=plain(text),
                       user=event.get("user", ""))

    def start(self, *, channel: str, thread_ts: str | None, question: str, user: str = "", source: str = "slack",
              title: str = "investigation", namespace: str | None = None,
              on_done: Callable[[], None] | None = None, reply: Callable[[str], Any] | None = None) -> bool:
        """Post the status message now and queue the run; False (and a reply saying why) when it cannot start.

        ``on_done`` runs when a started run ends (the Alertmanager dedupe releases its group key there);
        ``reply`` tells the asker privately why nothing started (a slash command's response_url works even
        where the bot cannot post).
        """
        question = " ".join(question.split())[:MAX_QUESTION] if source == "slack" else question[:MAX_QUESTION * 2]
        if not question:
            self._post(channel, thread_ts, blocks.Message(USAGE, [blocks.section(USAGE)]))
            return False
        key = thread_key(channel, thread_ts) if thread_ts else ""
        if key and not self.runner.try_claim(f"thread:{key}"):
            text = "I'm still working on the previous question in this thread; ask again when its answer is posted."
            self._post(channel, thread_ts, blocks.Message(text, [blocks.section(text)]))
            return False
        try:
            posted = self.client.chat_postMessage(channel=channel, thread_ts=thread_ts,
                                                  **blocks.progress_message(title, question, []).kwargs())
            ts = str(posted["ts"])
            if not key:  # a slash command: the status message starts the thread
                thread_ts, key = ts, thread_key(channel, ts)
                self.runner.try_claim(f"thread:{key}")
            assert thread_ts is not None
            extra = {"title": title, "slack_user": user}
            request = self.conversations.request(workflow=self.config.serve.workflow, source=source, channel=channel,
                                                 thread_ts=thread_ts, question=question, namespace=namespace,
                                                 extra=extra)
        except (SlackClientError, OpsquadError) as exc:
            self.runner.release(f"thread:{key}")
            log.warning("cannot start an investigation in %s: %s", channel, exc)
            if isinstance(exc, SlackClientError):
                text = f"opsquad cannot post here ({_slack_error(exc)}): invite it with /invite @opsquad"
                if reply is not None:
                    try:
                        reply(text)
                    except Exception as err:  # the response_url may have expired; nothing else to tell
                        log.warning("cannot reply to %s: %s", user, err)
                elif user:
                    self._ephemeral(channel, user, text)
            elif isinstance(exc, OpsquadError):
                self._post(channel, thread_ts, blocks.error_message(title, question, exc.line))
            return False
        self.runner.submit(self._investigate, request, channel, ts, title, question, key, on_done)
        return True

    def _investigate(self, request: Request, channel: str, ts: str, title: str, question: str, key: str,
                     on_done: Callable[[], None] | None) -> None:
        progress = ProgressUpdater(self.client, channel, ts, title, question, request.run_id)
        try:
            try:
                result = self.runner.dispatch(request, progress)
                msg = blocks.report_message(result.report, result.pending_actions, title=title, question=question)
            except OpsquadError as exc:
                msg = blocks.error_message(title, question, exc.line, request.run_id)
            except Exception as exc:  # a bug must still end the "Working…" message, not leave it spinning
                log.exception("run %s failed", request.run_id)
                msg = blocks.error_message(title, question, f"internal error: {type(exc).__name__}", request.run_id)
            self._update(channel, ts, msg)
        finally:
            self.runner.release(f"thread:{key}")
            if on_done:
                on_done()

    # -- approvals ---------------------------------------------------------------------------------------------
    def _on_approve(self, ack: Callable[..., None], body: dict[str, Any]) -> None:
        ack()
        self._decide(body, approved=True)

    def _on_reject(self, ack: Callable[..., None], body: dict[str, Any]) -> None:
        ack()
        self._decide(body, approved=False)

    def _decide(self, body: dict[str, Any], approved: bool) -> None:
        user = str((body.get("user") or {}).get("id", ""))
        run_id = str((body.get("actions") or [{}])[0].get("value", ""))
        channel = str((body.get("channel") or {}).get("id", ""))
        message = body.get("message") or {}
        msg_ts = str(message.get("ts") or (body.get("container") or {}).get("message_ts", ""))
        thread_ts = str(message.get("thread_ts") or msg_ts)
        if not (user and channel and msg_ts and _RUN_ID.fullmatch(run_id)):
            log.warning("ignoring a malformed approval payload")
            return
        if not self.approvers.allowed(user):
            self.metrics.approvals.labels("refused").inc()
            self.runner.audit.event(run_id, "approval_refused", name="slack",
                                    detail=f"slack:{user} is not in serve.approvers")
            self._ephemeral(channel, user, "You are not allowed to approve or reject opsquad changes: ask someone "
                            "listed in serve.approvers (agents.yaml).")
            return
        if not self.runner.try_claim(f"decision:{run_id}"):
            self._ephemeral(channel, user, f"Run `{run_id}` is already being decided.")
            return
        verdict = "Approved" if approved else "Rejected"
        kept = [b for b in message.get("blocks") or [] if b.get("block_id") != f"approval:{run_id}"]
        kept.append(blocks.context(f"{verdict} by <@{user}> — {'applying' if approved else 'closing'}…"))
        self._update(channel, msg_ts, blocks.Message(str(message.get("text") or "opsquad"), kept))
        self.runner.submit(self._resume, run_id, approved, user, channel, msg_ts, thread_ts)

    def _resume(self, run_id: str, approved: bool, user: str, channel: str, msg_ts: str, thread_ts: str) -> None:
        by = f"slack:{user}"
        try:
            result = self.runner.resume(run_id, approved, by)
        except OpsquadError as exc:
            self._post(channel, thread_ts, blocks.decision_message(run_id, approved, by, None, exc.line))
            return
        except Exception as exc:
            log.exception("resuming run %s failed", run_id)
            self._post(channel, thread_ts, blocks.decision_message(run_id, approved, by, None,
                                                                   f"internal error: {type(exc).__name__}"))
            return
        finally:
            self.runner.release(f"decision:{run_id}")
        self._post(channel, thread_ts, blocks.decision_message(run_id, approved, by, result.report))
        title, question = self._asked(run_id)
        self._update(channel, msg_ts, blocks.report_message(result.report, result.pending_actions, title=title,
                                                            question=question))

    def _asked(self, run_id: str) -> tuple[str, str]:
        """The title and question a run was started with (kept in its request options in the audit trail)."""
        run = self.runner.audit.run(run_id)
        try:
            options = (json.loads(run["request"]).get("options") or {}) if run else {}
        except ValueError:
            options = {}
        return str(options.get("title") or "investigation"), str(options.get("asked") or "")

    # -- Web API -----------------------------------------------------------------------------------------------
    def _post(self, channel: str, thread_ts: str | None, msg: blocks.Message) -> None:
        try:
            self.client.chat_postMessage(channel=channel, thread_ts=thread_ts, **msg.kwargs())
        except SlackClientError as exc:
            log.warning("chat.postMessage to %s failed: %s", channel, exc)

    def _update(self, channel: str, ts: str, msg: blocks.Message) -> None:
        try:
            self.client.chat_update(channel=channel, ts=ts, **msg.kwargs())
        except SlackClientError as exc:
            log.warning("chat.update of %s in %s failed: %s", ts, channel, exc)

    def _ephemeral(self, channel: str, user: str, text: str) -> None:
        try:
            self.client.chat_postEphemeral(channel=channel, user=user, text=text)
        except SlackClientError as exc:
            log.warning("chat.postEphemeral to %s failed: %s", user, exc)


def plain(text: str, bot_user: str = "") -> str:
    """Slack's message markup as the words a person typed: the bot's own mention dropped, ``<@U1>`` as
    ``@U1``, ``<#C1|ops>`` as ``#ops``, ``<https://x|label>`` as the URL, and ``&lt;`` ``&gt;`` ``&amp;`` unescaped."""
    def one(m: re.Match[str]) -> str:
        sigil, target, label = m.group(1), m.group(2), m.group(3)
        if sigil == "@":
            return "" if target == bot_user else f"@{label or target}"
        if sigil == "#":
            return f"#{label or target}"
        if sigil == "!":
            return f"@{label or target.split('^')[0]}"
        return target

    text = _SLACK_REF.sub(one, text)
    return " ".join(text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").split())


def _slack_error(exc: SlackClientError) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error", "error"))
    return type(exc).__name__
