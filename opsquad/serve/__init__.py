"""``opsquad serve``: one ASGI process for the Slack on-call bot, the Alertmanager webhook and health/metrics.

Every trigger (a Slack mention, a slash command, a thread follow-up, an alert group) becomes one ``Request``
handed to ``workflows.dispatch.dispatch`` in a worker thread, and every approval click calls
``workflows.dispatch.resume``; there is no second code path. ``create_app`` builds the Starlette app from a
loaded config and a ``Services`` factory, so tests inject a scripted model and production injects litellm.
"""

from __future__ import annotations

from opsquad.serve.app import create_app
from opsquad.serve.slack_app import SlackSettings

__all__ = ["SlackSettings", "create_app"]
