"""The control plane, kubelet and Prometheus harness the SRE eval runs its scenarios on.

The harness is test support (``tests/support/harness``) and is not shipped in the wheel; ``opsquad eval sre``
works from a source checkout, whose root is put on ``sys.path`` here (the console script does not start in it).
"""

from __future__ import annotations

import sys
from pathlib import Path

from opsquad.errors import OpsquadError

CHECKOUT = Path(__file__).resolve().parents[2]

if (CHECKOUT / "tests" / "support" / "harness").is_dir() and str(CHECKOUT) not in sys.path:
    sys.path.insert(0, str(CHECKOUT))

try:
    from tests.support.harness._proc import wait_until
    from tests.support.harness.kube import ControlPlane, ensure_binaries
    from tests.support.harness.kubelet import FakeKubelet
    from tests.support.harness.prom import Exporter, Prometheus
except ImportError as exc:
    raise OpsquadError("opsquad eval sre runs from a source checkout of opsquad (it needs tests/support/harness)"
                       ) from exc

__all__ = ["ControlPlane", "Exporter", "FakeKubelet", "Prometheus", "ensure_binaries", "wait_until"]
