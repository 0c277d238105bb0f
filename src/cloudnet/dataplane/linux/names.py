"""Kernel names for a lab: every namespace carries the lab's prefix, so labs never collide and
`down` finds exactly its own objects, even after a crash."""

from __future__ import annotations

import hashlib
import re

PREFIX = "cn-"
MAX_NS = 60
STATE_DIR = "/run/cloudnet"


def lab_name(name: str) -> str:
    """A topology name made safe for file and device names ([a-z0-9-], at most 20 chars)."""
    safe = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-") or "lab"
    return safe if len(safe) <= 20 else f"{safe[:13]}-{_digest(safe, 6)}"


def lab_prefix(lab: str) -> str:
    return f"{PREFIX}{lab}-"


def ns_name(lab: str, node: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", node)
    name = f"{lab_prefix(lab)}{safe}"
    return name if len(name) <= MAX_NS else f"{name[:MAX_NS - 9]}-{_digest(node, 8)}"


def ifname(kind: str, key: str) -> str:
    """A stable, short (<= 15 chars) device name: kind letter + hash of what it stands for."""
    return f"{kind}{_digest(key, 10)}"


def _digest(text: str, n: int) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:n]
