"""The lab's processes: wireguard-go for each tunnel end, BIRD for each BGP speaker.

Each runs inside its node's namespace (`ip netns exec`), keeps its files under the lab's
state directory, and dies with the lab: `down` stops every process found in the lab's
namespaces, wherever it came from.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import time
from pathlib import Path

from . import names
from .kernel import KernelError, NETNS_DIR
from .plan import NsPlan

WG_RUN = Path("/var/run/wireguard")


def _run(ns: str, *argv: str, stdin: str | None = None) -> str:
    r = subprocess.run(["ip", "netns", "exec", ns, *argv], input=stdin, capture_output=True,
                       text=True)
    if r.returncode != 0:
        raise KernelError(f"{ns}: {' '.join(argv)}: {r.stderr.strip()[:500]}")
    return r.stdout


def start_tunnels(sp: NsPlan, existing_devs: set[str]) -> None:
    """Start wireguard-go for each tunnel device that does not exist yet."""
    for t in sp.tunnels:
        if t.dev not in existing_devs:
            _run(sp.name, "wireguard-go", t.dev)


def configure_tunnels(sp: NsPlan, state: Path) -> None:
    for t in sp.tunnels:
        conf = state / f"{t.dev}.conf"
        conf.write_text(f"[Interface]\nPrivateKey = {t.private_key}\nListenPort = {t.port}\n\n"
                        f"[Peer]\nPublicKey = {t.peer_key}\nEndpoint = {t.peer_endpoint}\n"
                        "AllowedIPs = 0.0.0.0/0\nPersistentKeepalive = 5\n")
        conf.chmod(0o600)
        _run(sp.name, "wg", "setconf", t.dev, str(conf))


def bird_files(state: Path, node_ns: str) -> tuple[Path, Path, Path]:
    tag = hashlib.sha1(node_ns.encode()).hexdigest()[:10]
    return state / f"bird-{tag}.conf", state / f"bird-{tag}.ctl", state / f"bird-{tag}.pid"


def ensure_bird(sp: NsPlan, state: Path) -> str:
    """Start BIRD, or make it reload a changed configuration; returns what it did."""
    conf, ctl, pid = bird_files(state, sp.name)
    changed = not conf.exists() or conf.read_text() != sp.bird
    if changed:
        conf.write_text(sp.bird)
    if _alive(pid):
        if changed:
            subprocess.run(["birdc", "-s", str(ctl), "configure"], capture_output=True,
                           check=True)
            return "reconfigured"
        return ""
    _run(sp.name, "bird", "-c", str(conf), "-s", str(ctl), "-P", str(pid))
    return "started"


def bird_protocols(sp: NsPlan, state: Path) -> dict[str, str]:
    """BGP protocol name -> state (Established, Active, ...), from birdc."""
    _, ctl, _ = bird_files(state, sp.name)
    r = subprocess.run(["birdc", "-s", str(ctl), "show", "protocols"], capture_output=True,
                       text=True)
    out = {}
    for line in r.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 6 and parts[1] == "BGP":
            out[parts[0]] = parts[5] if parts[3] == "up" else parts[3]
    return out


def _alive(pidfile: Path) -> bool:
    try:
        pid = int(pidfile.read_text().strip())
        os.kill(pid, 0)
        return True
    except (OSError, ValueError):
        return False


def stop_all(lab: str) -> int:
    """Stop every process running in one of the lab's namespaces; returns how many."""
    inodes = {p.stat().st_ino for p in NETNS_DIR.glob(f"{names.lab_prefix(lab)}*")} \
        if NETNS_DIR.is_dir() else set()
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if os.stat(proc / "ns" / "net").st_ino in inodes:
                    pids.append(int(proc.name))
            except OSError:
                continue
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 1.0
        while sig == signal.SIGTERM and time.monotonic() < deadline and \
                any(Path(f"/proc/{p}").exists() for p in pids):
            time.sleep(0.02)
    return len(pids)
