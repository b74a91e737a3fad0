"""Who may approve a write from Slack: ``serve.approvers`` — user IDs, user group IDs or group handles.

Fail closed: an empty list means nobody can approve from Slack (the CLI's ``opsquad approve`` still works for
whoever can run it), and a group that cannot be resolved (``usergroups.list`` failing, a missing
``usergroups:read`` scope) grants nothing. Group membership is cached for a few minutes so a burst of clicks
does not become a burst of API calls, and re-read after that so removing someone from the on-call group
takes effect without a restart.
"""

from __future__ import annotations

import logging
import threading
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

log = logging.getLogger("opsquad.serve.slack")

GROUP_TTL_S = 300.0


class Approvers:
    def __init__(self, entries: list[str], client: WebClient) -> None:
        self.users = {e.strip() for e in entries if e.strip() and e.strip()[0] in "UW"}
        self.group_ids = {e.strip() for e in entries if e.strip().startswith("S")}
        self.handles = {e.strip().lstrip("@").lower() for e in entries if e.strip().startswith("@")}
        self._client = client
        self._members: set[str] = set()
        self._fetched = 0.0
        self._lock = threading.Lock()

    def allowed(self, user_id: str) -> bool:
        if user_id in self.users:
            return True
        if not (self.group_ids or self.handles):
            return False
        return user_id in self._group_members()

    def _group_members(self) -> set[str]:
        with self._lock:
            if time.monotonic() - self._fetched < GROUP_TTL_S:
                return self._members
            try:
                resp = self._client.usergroups_list(include_users=True)
            except SlackClientError as exc:
                log.warning("cannot resolve approver groups (usergroups.list: %s): only listed users may approve",
                            exc)
                return set()
            members: set[str] = set()
            for group in resp.get("usergroups") or []:
                if group.get("id") in self.group_ids or str(group.get("handle", "")).lower() in self.handles:
                    members |= set(group.get("users") or [])
            self._members, self._fetched = members, time.monotonic()
            return members
