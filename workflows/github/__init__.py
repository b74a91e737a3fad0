"""Publishing a pull-request review to GitHub: the code behind the composite action (``action.yml``).

The action is one more trigger: ``opsquad github review`` turns the ``pull_request`` event into a ``Request``
for ``workflows.dispatch.dispatch`` like every other entry point, then this package publishes the ``Report``
through GitHub's REST API: one sticky summary comment, inline review comments on changed lines (with
suggestions where a verified autofix exists) and the state that makes the next push incremental. Modules:

- ``event``: the event payload, validated, and the ``pull_request_target`` refusal;
- ``client``: REST over httpx with retries on 5xx and rate-limit waits that are bounded;
- ``diff``: which lines a review comment may sit on, and a fix patch as a ``suggestion`` block;
- ``state``: what earlier runs reported, carried in the sticky comment, and this push's plan;
- ``comments``: the markdown of the summary and the inline comments;
- ``publish``: the API calls in order; ``review``: request → dispatch → SARIF → publish → exit status.
"""

from __future__ import annotations
