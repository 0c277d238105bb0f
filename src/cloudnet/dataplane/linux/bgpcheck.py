"""What BIRD installed in the kernel, against the routes the model's BGP computation predicts."""

from __future__ import annotations

import time
from ipaddress import IPv4Network
from socket import AF_INET

from pyroute2 import IPRoute

from ...ir.model import Network
from .kernel import inside
from .plan import LabPlan, _bird_owned

RTPROT_BIRD = 12


def predicted(net: Network, lab: LabPlan) -> dict[str, set[tuple[int, str, str]]]:
    """Namespace -> {(kernel table, prefix, next hop)} BIRD should have installed."""
    out: dict[str, set[tuple[int, str, str]]] = {}
    for nid in net.bgp:
        sp = lab.namespaces[lab.node_ns[nid]]
        ids = lab.table_ids.get(nid, {})
        want = out.setdefault(sp.name, set())
        for tname, table in net.nodes[nid].tables.items():
            best: dict[IPv4Network, object] = {}
            for r in table.routes:
                if _bird_owned(net, nid, r) and not r.inactive and (
                        r.prefix not in best or r.preference < best[r.prefix].preference):
                    best[r.prefix] = r
            for prefix, r in best.items():
                peer = next(s for s in net.sessions if s.id == r.bgp.session)
                mine = peer.a if peer.a.node == nid else peer.b
                via = lab.peer_address.get((nid, mine.iface), "")
                want.add((ids[tname], str(prefix), via))
    return out


def installed(ns: str) -> set[tuple[int, str, str]]:
    with inside(ns):
        ipr = IPRoute()
    try:
        return {(r.get_attr("RTA_TABLE"), f"{r.get_attr('RTA_DST') or '0.0.0.0'}/{r['dst_len']}",
                 r.get_attr("RTA_GATEWAY") or "")
                for r in ipr.get_routes(family=AF_INET, table=None) if r["proto"] == RTPROT_BIRD}
    finally:
        ipr.close()


def differences(net: Network, lab: LabPlan) -> list[str]:
    out = []
    for ns, want in sorted(predicted(net, lab).items()):
        have = installed(ns)
        out += [f"{ns}: table {t}: {p} via {v} predicted, BIRD has not installed it"
                for t, p, v in sorted(want - have)]
        out += [f"{ns}: table {t}: {p} via {v} installed by BIRD, not predicted"
                for t, p, v in sorted(have - want)]
    return out


def wait_converged(net: Network, lab: LabPlan, timeout: float = 30.0) -> tuple[float, list[str]]:
    """Seconds until the kernel holds exactly the predicted BGP routes (or the last diff)."""
    t0 = time.monotonic()
    while True:
        diff = differences(net, lab)
        if not diff or time.monotonic() - t0 > timeout:
            return time.monotonic() - t0, diff
        time.sleep(0.1)
