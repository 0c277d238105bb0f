"""BGP, computed deterministically from the IR's speakers and sessions.

A path-vector fixpoint: every speaker starts with what it originates, sends its best routes to
its neighbours (export policy, AS-path prepending, loop prevention), takes what it receives
(import policy, prefix limit, local preference by community), and picks a best route per
prefix:
originated > highest weight > highest local preference > shortest AS path > lowest MED >
lowest neighbour router id > session id.  At the fixpoint each neighbour's accepted best
routes are installed where its `install` entries say, as IR routes carrying their BgpPath,
so the tracer explains them like any other route.  Sessions over a link or node that is down
(`down`), or over a prefix limit, are down: that is how failover is modelled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Network

from ..ir import build
from ..ir.model import BgpNeighbor, BgpPath, BgpSession, Network, Provenance, Route

MAX_ROUNDS = 64


@dataclass(frozen=True)
class Path:
    prefix: IPv4Network
    as_path: tuple[int, ...]
    origin: str  # speaker that originated it
    provenance: Provenance
    session: str = ""  # "" when originated here
    peer: str = ""
    weight: int = 0
    local_pref: int = 100
    med: int = 0
    peer_router_id: int = 0
    order: int = 0  # the session's place in the IR: ties between parallel sessions
    communities: tuple[tuple[int, int], ...] = ()

    def rank(self) -> tuple:
        """Smaller is better.  The last tie-breaks follow BIRD's: lowest router id, then
        lowest neighbour address — which the data plane gives in session order."""
        return (self.session != "", -self.weight, -self.local_pref, len(self.as_path), self.med,
                self.peer_router_id, self.order)


@dataclass
class Result:
    best: dict[str, dict[IPv4Network, Path]]  # speaker node -> prefix -> best path
    sessions_up: list[str]
    sessions_down: dict[str, str]  # session id -> why
    rounds: int
    installed: list[tuple[str, str, Route]] = field(default_factory=list)  # node, table, route


def _within(prefix: IPv4Network, allowed: tuple[IPv4Network, ...] | None) -> bool:
    return allowed is None or any(prefix.subnet_of(a) for a in allowed)


def _session_down(net: Network, s: BgpSession, down: set[str]) -> str:
    for side in (s.a, s.b):
        if side.node in down:
            return f"{side.node} is down"
        if side.node not in net.bgp:
            return f"{side.node} runs no BGP speaker"
        iface = net.nodes[side.node].interfaces.get(side.iface)
        if iface is None or not iface.link:
            return f"{side.node} has no link on {side.iface}"
        if iface.link in down:
            return f"link {iface.link} is down"
    return ""


def converge(net: Network, down: set[str] | frozenset[str] = frozenset()) -> Result:
    """Compute BGP; `down` names nodes or link ids that are out of service."""
    speakers = net.bgp
    best: dict[str, dict[IPv4Network, Path]] = {n: {} for n in speakers}
    for node, sp in speakers.items():
        for prefix, prov in sp.originate:
            best[node][prefix] = Path(prefix, (), node, prov)
    down_why = {s.id: why for s in net.sessions if (why := _session_down(net, s, set(down)))}
    live = [s for s in net.sessions if s.id not in down_why]
    rib_in: dict[tuple[str, str], dict[IPv4Network, Path]] = {}
    rounds = 0
    for rounds in range(1, MAX_ROUNDS + 1):
        changed = False
        for s in list(live):
            for src, dst in ((s.a, s.b), (s.b, s.a)):
                received = _advertise(net, s, src, dst, best[src.node])
                if dst.max_prefixes is not None and len(received) > dst.max_prefixes:
                    down_why[s.id] = (f"{dst.node} received {len(received)} prefixes from "
                                      f"{src.node}, over its limit of {dst.max_prefixes}")
                    live.remove(s)
                    rib_in.pop((s.id, s.a.node), None)
                    rib_in.pop((s.id, s.b.node), None)
                    changed = True
                    break
                if rib_in.get((s.id, dst.node)) != received:
                    rib_in[(s.id, dst.node)] = received
                    changed = True
        new_best = _decide(net, best, rib_in)
        if new_best != best:
            best, changed = new_best, True
        if not changed:
            break
    result = Result(best, [s.id for s in live], down_why, rounds)
    net.sessions_down = dict(down_why)
    # What a speaker installs is the best of what it learned: a prefix it also originates
    # (announced, not forwarded by BGP) leaves the choice to the table's own preferences.
    learned = _decide(net, {n: {} for n in net.bgp}, rib_in)
    for s in live:
        for src, dst in ((s.a, s.b), (s.b, s.a)):
            _install(net, s, src, dst, learned[dst.node], result,
                     rib_in.get((s.id, dst.node), {}))
    return result


def _advertise(net: Network, s: BgpSession, src: BgpNeighbor, dst: BgpNeighbor,
               table: dict[IPv4Network, Path]) -> dict[IPv4Network, Path]:
    src_asn, dst_asn = net.bgp[src.node].asn, net.bgp[dst.node].asn
    out: dict[IPv4Network, Path] = {}
    for prefix, path in table.items():
        if path.session == s.id or not _within(prefix, src.export_prefixes):
            continue  # never back over the session it came from; export policy
        as_path = (src_asn,) * (1 + src.prepend) + path.as_path
        if dst_asn in as_path or not _within(prefix, dst.import_prefixes):
            continue  # loop prevention; import policy
        # Communities are transitive: what the path carried, plus what this side adds.
        comms = tuple(sorted(set(path.communities) | set(src.communities)))
        out[prefix] = Path(prefix, as_path, path.origin, path.provenance, s.id, src.node,
                           dst.weight, _local_pref(dst, comms), src.med,
                           int(net.bgp[src.node].router_id), net.sessions.index(s), comms)
    return out


def _local_pref(n: BgpNeighbor, comms: tuple[tuple[int, int], ...]) -> int:
    return max((pref for c, pref in n.community_local_pref.items() if c in comms),
               default=n.local_pref)


def community_text(comms: tuple[tuple[int, int], ...]) -> str:
    return " ".join(f"{a}:{v}" for a, v in comms)


def _decide(net: Network, best: dict, rib_in: dict) -> dict[str, dict[IPv4Network, Path]]:
    out: dict[str, dict[IPv4Network, Path]] = {}
    for node, sp in net.bgp.items():
        table = {p: path for p, path in best[node].items() if not path.session}
        for (sid, receiver), paths in sorted(rib_in.items()):
            if receiver != node:
                continue
            for prefix, path in paths.items():
                cur = table.get(prefix)
                if cur is None or path.rank() < cur.rank():
                    table[prefix] = path
        out[node] = table
    return out


def _why_not(path: Path, best: Path) -> str:
    """Why BGP preferred `best` over `path` (the first attribute that differs)."""
    # Parallel sessions with one peer (two circuits to one router): name the winning one.
    chose = f"BGP chose the path from {best.peer}" + (
        f" over {best.session}" if best.peer == path.peer else "")
    for label, mine, theirs, more in (("weight", path.weight, best.weight, True),
                                      ("local preference", path.local_pref, best.local_pref, True),
                                      ("AS path length", len(path.as_path), len(best.as_path), False),
                                      ("MED", path.med, best.med, False)):
        if mine != theirs:
            word = ("higher" if more else "shorter" if label.startswith("AS") else "lower")
            tagged = f", community {community_text(best.communities)}" \
                if label == "local preference" and best.communities else ""
            return f"{chose}: {word} {label} ({theirs} vs {mine}{tagged})"
    if best.peer_router_id != path.peer_router_id:
        return f"{chose}: lower router id"
    return f"BGP chose the parallel session {best.session} (lower neighbour address)"


def _install(net: Network, s: BgpSession, src: BgpNeighbor, dst: BgpNeighbor,
             table: dict[IPv4Network, Path], result: Result, heard: dict[IPv4Network, Path]) -> None:
    """Routes `dst` learned from `src` go where dst's install entries say: the best ones
    active, the others kept inactive with the reason BGP did not choose them."""
    for prefix, path in sorted(heard.items()):
        best = table.get(prefix)
        lost = "" if best is not None and best.session == s.id and best.peer == src.node \
            else _why_not(path, best) if best is not None else "not selected"
        info = BgpPath(src.node, s.id, path.as_path, path.local_pref, path.weight, path.med,
                       path.communities)
        tags = f", communities {community_text(path.communities)}" if path.communities else ""
        what = (f"{prefix} learned by BGP from {src.node} (AS path "
                f"{' '.join(map(str, path.as_path))}, local-pref {path.local_pref}"
                f"{f', weight {path.weight}' if path.weight else ''}"
                f"{f', MED {path.med}' if path.med else ''}"
                f"{tags})")
        prov = Provenance(what, path.provenance.source, path.provenance.line,
                          path.provenance.path)
        for inst in dst.install:
            preference = inst.preference + path.rank()[1:5]
            blocked = lost or (inst.protected_why if any(prefix.subnet_of(p)
                                                          for p in inst.protected) else "")
            route = build.forward(prefix, inst.out_iface, prov, kind=inst.kind,
                                  preference=preference, target=src.node,
                                  next_hop=inst.next_hop, inactive=blocked)
            route.bgp = info
            table_obj = net.nodes[inst.node].tables.get(inst.table)
            if table_obj is None:
                table_obj = build.table(net.nodes[inst.node], inst.table)
            table_obj.routes.append(route)
            result.installed.append((inst.node, inst.table, route))
