"""Which flows change fate between two versions of a topology, grouped by the change that is
responsible: for one example flow of each changed pair, the concrete tracer runs in both
versions and the first decision that differs names the IR element (and its source line) that
changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...ir.model import Network, Provenance
from ..packet import Packet
from ..trace import Step, Trace, Tracer
from .groups import all_groups
from .verifier import Verifier


@dataclass
class PairChange:
    src: str
    dst: str
    gained: object  # headers (no origin) that now get through
    lost: object
    example: tuple[str, Packet] | None = None


@dataclass
class ChangeGroup:
    direction: str  # "now gets through" or "no longer gets through"
    cause: str  # the decision in the new version that differs
    was: str  # the decision in the old version
    where: Provenance | None
    pairs: list[PairChange] = field(default_factory=list)
    example: tuple[str, Packet] | None = None
    old_trace: Trace | None = None
    new_trace: Trace | None = None


def comparable_groups(old: Network, new: Network, max_hosts: int) -> list[str]:
    names_old = {g.name: g for g in all_groups(old)}
    names_new = {g.name: g for g in all_groups(new)}
    common = [n for n in names_new if n in names_old]
    hosts = [n for n in common if names_new[n].kind == "host"]
    if len(hosts) <= max_hosts:
        return [n for n in common if names_new[n].kind in ("host", "internet")]
    return [n for n in common if names_new[n].kind in ("subnet", "site", "internet")]


def diff(old: Network, new: Network, max_hosts: int = 60) -> tuple[list[ChangeGroup],
                                                                    Verifier, Verifier]:
    v_old = Verifier(old)
    v_new = Verifier(new, v_old.hs)  # one BDD manager: the sets compare directly
    hs = v_old.hs
    names = comparable_groups(old, new, max_hosts)
    g_old = {g.name: g for g in all_groups(old)}
    g_new = {g.name: g for g in all_groups(new)}
    groups: dict[tuple[str, str], ChangeGroup] = {}
    for a in names:
        for b in names:
            if a == b:
                continue
            was = v_old.flows(g_old[a], g_old[b])
            now = v_new.flows(g_new[a], g_new[b])
            # Origin tags are each verifier's own: compare the packets alone.
            was_h, now_h = hs.headers_only(was), hs.headers_only(now)
            if was_h == now_h:
                continue
            gained, lost = now_h & ~was_h, was_h & ~now_h
            for direction, u, v in (("now gets through", now & gained, v_new),
                                    ("no longer gets through", was & lost, v_old)):
                if u == hs.false:
                    continue
                ex = v.example(u)
                group = _responsible(old, new, direction, ex, groups)
                group.pairs.append(PairChange(a, b, gained if v is v_new else hs.false,
                                              lost if v is v_old else hs.false, ex))
    return list(groups.values()), v_old, v_new


def _responsible(old: Network, new: Network, direction: str, ex, groups) -> ChangeGroup:
    start, pkt = ex
    t_old = Tracer(old).trace(start, pkt) if start in old.nodes else None
    t_new = Tracer(new).trace(start, pkt) if start in new.nodes else None
    s_old, s_new = _first_difference(t_old, t_new)
    cause = _describe(s_new) if s_new else "(the flow takes another path)"
    was = _describe(s_old) if s_old else "(the flow took another path)"
    key = (direction, cause, was)
    if key not in groups:
        where = s_new.provenance[0] if s_new and s_new.provenance else \
            (s_old.provenance[0] if s_old and s_old.provenance else None)
        groups[key] = ChangeGroup(direction, cause, was, where, example=ex, old_trace=t_old,
                                  new_trace=t_new)
    return groups[key]


def _describe(s: Step) -> str:
    where = s.provenance[0].where() if s.provenance else ""
    return f"{s.kind} {s.action}: {s.detail}" + (f" ({where})" if where else "")


def _steps(t: Trace | None) -> list[tuple[str, Step]]:
    out = []
    while t is not None:
        for h in t.hops:
            out += [(h.node, s) for s in h.steps]
        out.append((t.hops[-1].node, Step("end", t.disposition.value, t.cause.detail,
                                          [t.cause.provenance] if t.cause.provenance else [])))
        t = t.reply
    return out


def _first_difference(a: Trace | None, b: Trace | None) -> tuple[Step | None, Step | None]:
    sa, sb = _steps(a), _steps(b)
    for (na, x), (nb, y) in zip(sa, sb):
        if na != nb or (x.kind, x.action, x.detail) != (y.kind, y.action, y.detail):
            return x, y
    if len(sa) != len(sb):
        longer = sa if len(sa) > len(sb) else sb
        step = longer[min(len(sa), len(sb))][1]
        return (step, None) if longer is sa else (None, step)
    return None, None
