"""Follow one packet through the IR, explaining every decision, then follow its reply.

Each hop runs the same fixed pipeline (see ir/model.py); each decision becomes a Step naming
the IR element, and so the model object and source line, that made it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from ipaddress import IPv4Address

from ..ir.model import (BUILTIN, Filter, FilterMode, LinkKind, NatKind, Network, NodeKind,
                        Provenance, Route, RouteAction, RouteTable)
from .fabric import Fabric
from .packet import Packet, matches

MAX_HOPS = 64


class Disposition(str, enum.Enum):
    ACCEPTED = "ACCEPTED"
    DENIED_IN = "DENIED_IN"
    DENIED_OUT = "DENIED_OUT"
    NO_ROUTE = "NO_ROUTE"
    NULL_ROUTED = "NULL_ROUTED"
    NEIGHBOR_UNREACHABLE = "NEIGHBOR_UNREACHABLE"
    EXITS_NETWORK = "EXITS_NETWORK"
    LOOP = "LOOP"


@dataclass
class Step:
    kind: str  # filter, route, nat, deliver, drop, forward
    action: str  # allow/deny, forward/drop/exit, rewrite, accept/refuse
    detail: str
    provenance: list[Provenance] = field(default_factory=list)
    data: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        out = {"type": self.kind, "action": self.action, "detail": self.detail, **self.data}
        if self.provenance:
            out["source"] = [_prov_json(p) for p in self.provenance]
        return out


@dataclass
class Hop:
    node: str
    role: str
    in_iface: str | None
    packet: Packet
    steps: list[Step] = field(default_factory=list)
    out_iface: str | None = None

    def to_json(self) -> dict:
        return {"node": self.node, "role": self.role, "in": self.in_iface, "out": self.out_iface,
                "packet": self.packet.to_json(), "steps": [s.to_json() for s in self.steps]}


@dataclass
class Cause:
    type: str  # filter, no-route, null-route, no-neighbor, refused, not-forwarded, exits, delivered, loop
    detail: str
    provenance: Provenance | None = None
    filter: str = ""

    def to_json(self) -> dict:
        out = {"type": self.type, "detail": self.detail}
        if self.filter:
            out["filter"] = self.filter
        if self.provenance:
            out["source"] = _prov_json(self.provenance)
        return out


@dataclass
class Trace:
    disposition: Disposition
    cause: Cause
    hops: list[Hop]
    packet: Packet
    final: Packet
    reply: Trace | None = None

    @property
    def nodes(self) -> list[str]:
        return [h.node for h in self.hops]

    def to_json(self) -> dict:
        out = {"disposition": self.disposition.value, "cause": self.cause.to_json(),
               "flow": self.packet.to_json(), "final": self.final.to_json(),
               "hops": [h.to_json() for h in self.hops]}
        if self.reply is not None:
            out["return"] = self.reply.to_json()
        return out


def _prov_json(p: Provenance) -> dict:
    out = {"what": p.what}
    if p.source:
        out["file"] = p.source
    if p.line:
        out["line"] = p.line
    if p.path:
        out["path"] = p.path
    return out


class Conntrack:
    """Connections seen per node, as Linux conntrack keeps them per namespace."""

    def __init__(self):
        self.replies: dict[tuple[str, Packet], Packet] = {}

    def record(self, node: str, before: Packet, after: Packet) -> None:
        # A reply looks like `after` reversed; it is translated back to `before` reversed.
        self.replies.setdefault((node, after.reply()), before.reply())

    def lookup(self, node: str, pkt: Packet) -> Packet | None:
        return self.replies.get((node, pkt))


def evaluate_filter(flt: Filter, pkt: Packet, established: bool) -> Step:
    base = {"filter": flt.id, "mode": flt.mode.value, "stateful": flt.stateful}
    if flt.stateful and established:
        return Step("filter", "allow", f"{flt.provenance.what}: reply of a tracked connection "
                    "(stateful)", [flt.provenance], {**base, "rule": "established"})
    for rule in flt.rules:
        if matches(rule.match, pkt):
            if flt.mode is FilterMode.ANY_ALLOW:
                detail = f"allowed by {rule.provenance.what}"
            else:
                detail = f"{rule.provenance.what} ({rule.action.value}, first match)"
            return Step("filter", rule.action.value, detail, [rule.provenance],
                        {**base, "rule": rule.label})
    return Step("filter", flt.default.value, flt.default_provenance.what,
                [flt.default_provenance], {**base, "rule": "default"})


def lookup(table: RouteTable, dst: IPv4Address) -> tuple[Route | None, list[str]]:
    """Longest prefix first, then the lowest preference tuple; explains why the winner won."""
    candidates = [r for r in table.routes if dst in r.prefix]
    active = [r for r in candidates if not r.inactive]
    if not active:
        return None, [f"{r.prefix} ({r.kind}) ignored: {r.inactive}" for r in candidates]
    best = min(active, key=lambda r: (-r.prefix.prefixlen, r.preference))
    why = []
    for r in candidates:
        if r is best:
            continue
        if r.inactive:
            why.append(f"{r.prefix} -> {r.target} ({r.kind}) ignored: {r.inactive}")
        elif r.prefix.prefixlen < best.prefix.prefixlen:
            why.append(f"beats {r.prefix} -> {r.target} ({r.kind}): longer prefix")
        else:
            why.append(f"beats {r.prefix} -> {r.target} ({r.kind}): "
                       f"{best.kind} is preferred over {r.kind}")
    return best, why


def _route_text(r: Route) -> str:
    via = f" via {r.next_hop}" if r.next_hop else ""
    if r.action is RouteAction.DROP:
        return f"{r.prefix} -> blackhole ({r.kind})"
    if r.action is RouteAction.EXIT:
        return f"{r.prefix} -> leaves the network ({r.target})"
    return f"{r.prefix} -> {r.target}{via} ({r.kind})"


class Tracer:
    def __init__(self, net: Network):
        self.net = net
        self.fab = Fabric.of(net)

    def trace(self, start: str, pkt: Packet, with_reply: bool = True,
              conntrack: Conntrack | None = None, start_iface: str | None = None) -> Trace:
        ct = conntrack or Conntrack()
        result = self._walk(start, start_iface, pkt, ct)
        if with_reply:
            if result.disposition is Disposition.ACCEPTED:
                result.reply = self._walk(result.hops[-1].node, None, result.final.reply(), ct)
            elif result.disposition is Disposition.EXITS_NETWORK:
                last = result.hops[-1]
                result.reply = self._walk(last.node, last.out_iface, result.final.reply(), ct)
        return result

    def _walk(self, node_id: str, in_iface: str | None, pkt: Packet, ct: Conntrack) -> Trace:
        original = pkt
        hops: list[Hop] = []
        seen: set[tuple[str, str | None, Packet]] = set()

        def end(disp: Disposition, cause: Cause) -> Trace:
            return Trace(disp, cause, hops, original, pkt)

        for _ in range(MAX_HOPS):
            node = self.net.nodes[node_id]
            hop = Hop(node_id, node.role, in_iface, pkt)
            hops.append(hop)
            if (node_id, in_iface, pkt) in seen:
                return end(Disposition.LOOP, Cause("loop", f"the packet returns to {node_id}"))
            seen.add((node_id, in_iface, pkt))
            at_ingress = pkt
            translated = ct.lookup(node_id, pkt)
            iface = node.interfaces[in_iface] if in_iface else None

            if iface is not None:
                for fid in iface.in_filters:
                    step = evaluate_filter(self.net.filters[fid], pkt, translated is not None)
                    hop.steps.append(step)
                    if step.action == "deny":
                        return end(Disposition.DENIED_IN, Cause(
                            "filter", step.detail, step.provenance[0], fid))

            pkt = self._destination_nat(node, in_iface, pkt, translated, hop)

            if pkt.dst in self.fab.local.get((node_id, iface.vrf if iface else ""), ()):
                if node.accepts:
                    hop.steps.append(Step("deliver", "accept", f"delivered to {node_id}"))
                    ct.record(node_id, at_ingress, pkt)
                    return end(Disposition.ACCEPTED, Cause("delivered", f"delivered to {node_id}",
                                                           node.provenance))
                hop.steps.append(Step("deliver", "refuse", node.refuse_reason, [node.provenance]))
                return end(Disposition.DENIED_IN, Cause("refused", f"{node_id}: "
                                                        f"{node.refuse_reason}", node.provenance))
            if node.kind is NodeKind.HOST and in_iface is not None:
                why = "a host does not forward packets addressed to others"
                hop.steps.append(Step("deliver", "refuse", why, [node.provenance]))
                return end(Disposition.DENIED_IN, Cause("not-forwarded", why, node.provenance))

            table_name = iface.table if iface is not None else node.origin_table
            table = node.tables.get(table_name)
            route, why = lookup(table, pkt.dst) if table else (None, [])
            tname = ("no route table" if table is None else table.provenance.what
                     if table.provenance is not BUILTIN else f"{node_id}'s table {table_name}")
            if route is None:
                hop.steps.append(Step("route", "none", f"no route for {pkt.dst} in {tname}",
                                      [table.provenance] if table else [],
                                      {"table": table_name, "ignored": why}))
                return end(Disposition.NO_ROUTE, Cause("no-route", f"{node_id}: no route for "
                                                       f"{pkt.dst} in {tname}",
                                                       table.provenance if table else None))
            hop.steps.append(Step("route", route.action.value, _route_text(route),
                                  [route.provenance],
                                  {"table": table_name, "prefix": str(route.prefix),
                                   "kind": route.kind, "target": route.target,
                                   "why": why or ["only matching route"]}))
            if route.action is RouteAction.DROP:
                return end(Disposition.NULL_ROUTED, Cause("null-route", f"{node_id}: "
                                                          f"{route.provenance.what}",
                                                          route.provenance))

            out = route.out_iface
            hop.out_iface = out
            pkt = self._source_nat(node, in_iface, out, pkt, translated, hop)
            for fid in node.interfaces[out].out_filters:
                step = evaluate_filter(self.net.filters[fid], pkt, translated is not None)
                hop.steps.append(step)
                if step.action == "deny":
                    return end(Disposition.DENIED_OUT, Cause(
                        "filter", step.detail, step.provenance[0], fid))
            ct.record(node_id, at_ingress, pkt)
            if route.action is RouteAction.EXIT:
                return end(Disposition.EXITS_NETWORK, Cause(
                    "exits", f"leaves the modelled network at {node_id}", route.provenance))

            nxt = self._neighbor(node_id, out, route, pkt)
            if nxt is None:
                why = self._unreachable_why(node_id, out, route, pkt)
                hop.steps.append(Step("forward", "unreachable", why))
                return end(Disposition.NEIGHBOR_UNREACHABLE, Cause(
                    "no-neighbor", f"{node_id}: {why}", route.provenance))
            node_id, in_iface = nxt
        return end(Disposition.LOOP, Cause("loop", f"more than {MAX_HOPS} hops"))

    def _unreachable_why(self, node_id: str, out: str, route: Route, pkt: Packet) -> str:
        link_id = self.net.nodes[node_id].interfaces[out].link
        if link_id in self.net.down:
            return f"link {link_id} is down"
        if link_id and any(n in self.net.down for n, _ in self.net.links[link_id].endpoints):
            return f"the node behind {out} is down"
        return f"nothing holds {route.next_hop or pkt.dst} on the segment of {out}"

    def _neighbor(self, node_id: str, out: str, route: Route, pkt: Packet):
        link_id = self.net.nodes[node_id].interfaces[out].link
        if not link_id or link_id in self.net.down:
            return None
        link = self.net.links[link_id]
        if link.kind is LinkKind.P2P:
            peer = self.fab.peer.get((node_id, out))
            return peer if peer and peer[0] not in self.net.down else None
        end = self.fab.segment[link_id].get(route.next_hop or pkt.dst)
        return end if end and end[0] != node_id and end[0] not in self.net.down else None

    def _destination_nat(self, node, in_iface, pkt: Packet, translated: Packet | None,
                         hop: Hop) -> Packet:
        if translated is not None:
            if translated != pkt:
                hop.steps.append(Step("nat", "rewrite", f"reply of a translated connection: "
                                      f"{pkt.describe()} => {translated.describe()}",
                                      data={"before": pkt.to_json(),
                                            "after": translated.to_json()}))
            return translated
        for rule in node.nat:
            if rule.kind is NatKind.STATIC and in_iface == rule.outside_iface \
                    and pkt.dst == rule.outside:
                new = pkt.with_(dst=rule.inside)
                hop.steps.append(Step("nat", "rewrite", f"destination {pkt.dst} => {new.dst} "
                                      f"({rule.provenance.what})", [rule.provenance],
                                      {"before": pkt.to_json(), "after": new.to_json()}))
                return new
        return pkt

    def _source_nat(self, node, in_iface, out: str, pkt: Packet, translated: Packet | None,
                    hop: Hop) -> Packet:
        if translated is not None:
            return pkt
        for rule in node.nat:
            if out != rule.outside_iface:
                continue
            hit = (rule.kind is NatKind.STATIC and pkt.src == rule.inside) or \
                  (rule.kind is NatKind.SOURCE and in_iface == rule.inside_iface)
            if hit:
                new = pkt.with_(src=rule.outside)
                hop.steps.append(Step("nat", "rewrite", f"source {pkt.src} => {new.src} "
                                      f"({rule.provenance.what})", [rule.provenance],
                                      {"before": pkt.to_json(), "after": new.to_json()}))
                return new
        return pkt
