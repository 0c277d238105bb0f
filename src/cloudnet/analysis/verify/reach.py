"""All packets at once: the tracer's pipeline run on sets of packets.

Every packet's fate is decided exactly as `analysis/trace.py` decides it, for all packets of all
sources in one walk: sets of sent packets (tagged with their source) move hop by hop, split
where filters, NAT, delivery, routes and segments split them, and merge where they meet the
same node, interface and rewrite.  The walk proceeds in layers of hops, so a packet's past (the
connections tracked for it, the places it has been, for loop detection) is kept as entries
guarded by the set of packets they belong to; each packet sees only its own.

After the forward walk, the replies of everything delivered (or that left the network) walk
back, meeting the connections the forward walk tracked: stateful filters let them through,
NAT is reversed.

Incremental updates: every state remembers its packets and its successors, and every filter and
route table where it was consulted.  A changed rule or route touches only the packets whose
verdict at that element can change; they are taken out of the states they passed and walked
again, and nothing else is recomputed.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import chain
from ipaddress import IPv4Address

from ...ir.model import Filter, NatKind, NodeKind, Route, RouteAction
from ..trace import MAX_HOPS, Disposition, lookup
from .headers import View
from .model import SymNet

FORWARD, REPLY = 0, 1
Key = tuple[str, "str | None", View]  # (node, interface it came in on, rewrite)


@dataclass
class Entry:
    """Tracked connections at a node (conntrack) that share their rewrite: for the packets in
    `guard`, a reply that looks like `key` becomes `translated`.

    A guard only ever holds packets for which the entry is in their past: the walk goes in
    layers of hops (a packet is in one state per layer) and an update takes its packets out
    of every entry before walking them again.  So no depth needs checking, and entries that
    share their views are one.  Entries are consulted in the order they were first made;
    the tracer's "first recorded wins" could differ from it only for a packet recorded twice
    at one node under two different rewrites that give the same reply."""

    key: View
    translated: View
    guard: object


@dataclass
class Seen:
    """Packets that were at a node, arriving on an interface, with this rewrite."""

    view: View
    packets: object


@dataclass
class State:
    packets: object
    succ: set = field(default_factory=set)  # (depth, key) of the states it fed
    entries: dict = field(default_factory=dict)  # id -> Entry it added to
    seen: dict = field(default_factory=dict)  # id -> Seen it added to
    outcomes: set = field(default_factory=set)


@dataclass(frozen=True)
class Outcome:
    phase: int
    disposition: Disposition
    node: str
    view: View
    detail: str = ""  # the filter, table or interface concerned


@dataclass
class Update:
    affected: object  # the sent packets whose fate was recomputed
    changed: dict  # Outcome -> (packets gained, packets lost)
    seconds: float


class Engine:
    """Fates of packet sets entering at `seeds` ({(node, None, SENT): packets})."""

    def __init__(self, sym: SymNet, seeds: dict[Key, object]):
        self.sym, self.hs = sym, sym.hs
        self.seeds = dict(seeds)
        self.states: list[dict[tuple[int, Key], State]] = [{}, {}]
        self.outcomes: dict[Outcome, object] = {}
        # per phase (the forward walk's entries come first): node -> (key, translated) -> Entry
        self.ct: list[dict[str, dict[tuple, Entry]]] = [defaultdict(dict), defaultdict(dict)]
        self.seen: list[dict] = [defaultdict(dict), defaultdict(dict)]
        # Per phase and node, every packet that came by: a packet can be tracked at a node,
        # or loop there, only if it came by before, which is seldom (one test, usually empty).
        self.seen_any: list[dict[str, Seen]] = [{}, {}]
        self.filter_use: dict[str, set] = defaultdict(set)
        self.table_use: dict[tuple[str, str], set] = defaultdict(set)
        self.caveats: set[str] = set()
        self._touched: set[Outcome] = set()
        self.seed_of: dict[int, list[Key]] = defaultdict(list)  # origin tag -> seeds
        for k, p in self.seeds.items():
            for o in self.hs.origins(p):
                self.seed_of[o].append(k)
        self._walk(FORWARD, self.seeds)
        self._walk(REPLY, self._reply_seeds(self.outcomes))

    # ---- answers -------------------------------------------------------------------------

    def fates(self, phase: int = FORWARD, disposition: Disposition | None = None):
        for o, pkts in self.outcomes.items():
            if o.phase == phase and (disposition is None or o.disposition is disposition) \
                    and pkts != self.hs.false:
                yield o, pkts

    def replied(self):
        """Sent packets whose reply was delivered."""
        return self.hs.any_of([p for _, p in self.fates(REPLY, Disposition.ACCEPTED)])

    def passed(self, node: str, forward_only: bool = False):
        """Sent packets that went through a node (on their way out, or either way)."""
        phases = (FORWARD,) if forward_only else (FORWARD, REPLY)
        return self.hs.any_of([s.packets for ph in phases
                               for (_, k), s in self.states[ph].items() if k[0] == node])

    # ---- the walk ------------------------------------------------------------------------

    def _walk(self, phase: int, frontier: dict[Key, object]) -> None:
        depth = 0
        frontier = {k: v for k, v in frontier.items() if v != self.hs.false}
        while frontier:
            nxt: dict[Key, object] = {}
            for key, pkts in frontier.items():
                self._hop(phase, depth, key, pkts, nxt)
            frontier, depth = nxt, depth + 1

    @staticmethod
    def _reply_key(o: Outcome) -> Key | None:
        """Where the reply of packets with this fate starts (as the tracer starts it)."""
        if o.phase != FORWARD:
            return None
        if o.disposition is Disposition.ACCEPTED:
            return (o.node, None, o.view.reply())
        if o.disposition is Disposition.EXITS_NETWORK:
            return (o.node, o.detail, o.view.reply())
        return None

    def _reply_seeds(self, outcomes) -> dict[Key, object]:
        seeds: dict[Key, object] = {}
        for o, pkts in outcomes.items():
            key = self._reply_key(o)
            if key is not None and pkts != self.hs.false:
                seeds[key] = seeds.get(key, self.hs.false) | pkts
        return seeds

    def _out(self, st: State, o: Outcome, pkts) -> None:
        if pkts == self.hs.false:
            return
        self.outcomes[o] = self.outcomes.get(o, self.hs.false) | pkts
        st.outcomes.add(o)
        self._touched.add(o)

    def _hop(self, phase: int, depth: int, key: Key, pkts, nxt: dict) -> None:
        hs, sym = self.hs, self.sym
        node_id, in_name, view = key
        st = self.states[phase].get((depth, key))
        if st is None:
            st = self.states[phase][(depth, key)] = State(hs.false)
        st.packets |= pkts
        if depth >= MAX_HOPS:
            self._out(st, Outcome(phase, Disposition.LOOP, node_id, view, "hops"), pkts)
            return
        sn = sym.nodes[node_id]
        node = sn.node
        # A packet back where it was, unchanged: a loop (compared as concrete packets).
        seen_here = self.seen[phase][(node_id, in_name)]
        any_here = self.seen_any[phase].get(node_id)
        if any_here is None:
            any_here = self.seen_any[phase][node_id] = Seen(view, hs.false)
        been = pkts & any_here.packets != hs.false
        if been:
            loop = hs.false
            for s in seen_here.values():
                if hs.compatible(s.view, view):
                    same, cross = hs.equal(s.view, view)
                    if not cross:  # views of one walk share an orientation: never crossed
                        loop |= pkts & s.packets & same
            if loop != hs.false:
                self._out(st, Outcome(phase, Disposition.LOOP, node_id, view, "returns"), loop)
                pkts &= ~loop
        seen = seen_here.get(view)
        if seen is None:
            seen = seen_here[view] = Seen(view, hs.false)
        seen.packets |= pkts
        any_here.packets |= pkts  # other states of this layer hold other packets
        st.seen[id(seen)] = seen
        st.seen[id(any_here)] = any_here

        # Conntrack: the first entry (in the packet's own history) that it answers.
        groups = []
        rest = pkts
        if phase == REPLY and not been:  # tracked on its way out, perhaps
            fwd = self.seen_any[FORWARD].get(node_id)
            been = fwd is not None and pkts & fwd.packets != hs.false
        candidates = chain(self.ct[FORWARD][node_id].values(), self.ct[REPLY][node_id].values()) \
            if been else ()
        for e in candidates:
            if rest == hs.false:
                break
            if not hs.compatible(view, e.key):
                continue
            same, cross = hs.equal(view, e.key)
            if cross:
                # Only a packet sent to its own source address can be its own reply here; a
                # class member never is (it delivered that to itself where it started).
                if sn.cls is not None:
                    continue
                hit = hs.self_addressed(rest & e.guard & same)
                if hit is None:
                    self.caveats.add(
                        f"packets sent to their own source address that pass {node_id} twice "
                        "would match their own tracked connection: not modelled for so many "
                        "addresses (taken as no match)")
                    continue
            else:
                hit = rest & e.guard & same
            if hit != hs.false:
                groups.append((hit, e.translated))
                rest &= ~hit
        groups.insert(0, (rest, None))

        iface = node.interfaces[in_name] if in_name is not None else None
        for group, translated in groups:
            if group == hs.false:
                continue
            est = translated is not None
            if iface is not None:
                group = self._filters(st, phase, depth, key, sn, in_name, "in", view, group, est,
                                      Disposition.DENIED_IN)
                if group == hs.false:
                    continue
            for part, v2 in self._dnat(node, in_name, view, group, translated):
                self._route(st, phase, depth, key, sn, iface, part, view, v2, est, nxt)

    def _filters(self, st, phase, depth, key, sn, iface_name, direction, view, pkts, est,
                 disposition):
        hs = self.hs
        for fid in self.sym.filters(sn, iface_name, direction):
            flt: Filter | None = self.sym.net.filters.get(fid)
            if est and flt is not None and flt.stateful:
                continue
            self.filter_use[fid].add((phase, depth, key, view))
            allow = hs.subst(self.sym.allow(fid), view)
            self._out(st, Outcome(phase, disposition, key[0], view, fid), pkts & ~allow)
            pkts &= allow
            if pkts == hs.false:
                break
        return pkts

    def _dnat(self, node, in_name, view: View, pkts, translated):
        if translated is not None:
            return [(pkts, translated)]
        out = []
        for rule in node.nat:
            if rule.kind is NatKind.STATIC and in_name == rule.outside_iface:
                hit = pkts & self._is(view.dst, "dst", rule.outside)
                if hit != self.hs.false:
                    out.append((hit, view.with_dst(rule.inside)))
                    pkts &= ~hit
        out.append((pkts, view))
        return [(p, v) for p, v in out if p != self.hs.false]

    def _is(self, spec, field: str, addr: IPv4Address):
        """Sent packets whose current `field` (given by `spec`) is `addr`."""
        if isinstance(spec, int):
            return self.hs.true if spec == int(addr) else self.hs.false
        return self.hs.value(spec, int(addr))

    def _route(self, st, phase, depth, key, sn, iface, pkts, at_ingress: View, view: View,
               est: bool, nxt) -> None:
        hs, sym = self.hs, self.sym
        node_id, in_name, _ = key
        node = sn.node
        local = hs.subst(sym.local(sn, iface.vrf if iface else "", iface is None), view)
        mine = pkts & local
        if mine != hs.false:
            if node.accepts:
                self._out(st, Outcome(phase, Disposition.ACCEPTED, node_id, view), mine)
                self._record(st, node_id, phase, at_ingress, view, mine)
            else:
                self._out(st, Outcome(phase, Disposition.DENIED_IN, node_id, view, "refused"),
                          mine)
            pkts &= ~local
            if pkts == hs.false:
                return
        if node.kind is NodeKind.HOST and in_name is not None:
            self._out(st, Outcome(phase, Disposition.DENIED_IN, node_id, view, "not-forwarded"),
                      pkts)
            return
        table = iface.table if iface is not None else node.origin_table
        for route, part in self._lookup(node_id, table, view, pkts, phase, depth, key):
            if route is None:
                self._out(st, Outcome(phase, Disposition.NO_ROUTE, node_id, view, table), part)
            elif route.action is RouteAction.DROP:
                self._out(st, Outcome(phase, Disposition.NULL_ROUTED, node_id, view,
                                      f"{table}|{route.prefix}"), part)
            else:
                for sub, v3 in self._snat(node, in_name, route.out_iface, view, part, est):
                    self._leave(st, phase, depth, key, sn, route, sub, at_ingress, v3, est, nxt)

    def _lookup(self, node_id, table, view: View, pkts, phase, depth, key):
        hs = self.hs
        routing = self.sym.routing(node_id, table)
        if routing is None:
            return [(None, pkts)]
        self.table_use[(node_id, table)].add((phase, depth, key, view))
        if isinstance(view.dst, int):  # one destination: decide it as the tracer does
            route, _ = lookup(self.sym.nodes[node_id].node.tables[table], IPv4Address(view.dst))
            return [(route, pkts)]
        out = []
        for b in routing.behaviours.values():
            part = pkts & hs.subst(b.region, view)
            if part != hs.false:
                out.append((b.route, part))
        out.append((None, pkts & hs.subst(routing.unrouted, view)))
        return out

    def _snat(self, node, in_name, out_iface, view: View, pkts, est):
        if est:
            return [(pkts, view)]
        out = []
        for rule in node.nat:
            if out_iface != rule.outside_iface or pkts == self.hs.false:
                continue
            if rule.kind is NatKind.STATIC:
                hit = pkts & self._is(view.src, "src", rule.inside)
            else:
                hit = pkts if in_name == rule.inside_iface else self.hs.false
            if hit != self.hs.false:
                out.append((hit, view.with_src(rule.outside)))
                pkts &= ~hit
        out.append((pkts, view))
        return [(p, v) for p, v in out if p != self.hs.false]

    def _record(self, st, node_id, phase, at_ingress: View, after: View, pkts) -> None:
        key = (after.reply(), at_ingress.reply())
        e = self.ct[phase][node_id].get(key)
        if e is None:
            e = self.ct[phase][node_id][key] = Entry(*key, self.hs.false)
        e.guard |= pkts
        st.entries[id(e)] = e

    def _leave(self, st, phase, depth, key, sn, route: Route, pkts, at_ingress, view, est,
               nxt) -> None:
        hs = self.hs
        node_id = key[0]
        out = route.out_iface
        pkts = self._filters(st, phase, depth, key, sn, out, "out", view, pkts, est,
                             Disposition.DENIED_OUT)
        if pkts == hs.false:
            return
        self._record(st, node_id, phase, at_ingress, view, pkts)
        if route.action is RouteAction.EXIT:
            self._out(st, Outcome(phase, Disposition.EXITS_NETWORK, node_id, view, out), pkts)
            return
        nb = self.sym.neighbour(node_id, out)
        ends: list[tuple[tuple[str, str], object]] = []
        if nb is None:
            pass
        elif nb[0] == "p2p":
            ends.append((nb[1], pkts))
        elif route.next_hop is not None:
            end = self.sym.owner(nb[1], route.next_hop)
            if end is not None and end[0] != node_id:
                ends.append((end, pkts))
        else:
            for owner, oif, region in self.sym.owners(nb[1]):
                # A class sends only to other members here: to itself it delivered already.
                if owner == node_id and sn.cls is None:
                    continue
                part = pkts & hs.subst(region, view)
                if part != hs.false:
                    ends.append(((owner, oif), part))
        for (n, i), part in ends:
            k = (n, i, view)
            nxt[k] = nxt.get(k, hs.false) | part
            st.succ.add((depth + 1, k))
        if nb is None:
            lost = pkts
        elif nb[0] == "p2p":
            lost = hs.false
        elif route.next_hop is not None:
            lost = hs.false if ends else pkts
        else:
            lost = pkts & ~hs.subst(self.sym.answered(nb[1], node_id if sn.cls is None
                                                      else None), view)
        self._out(st, Outcome(phase, Disposition.NEIGHBOR_UNREACHABLE, node_id, view, out), lost)

    # ---- incremental updates -------------------------------------------------------------

    def update_filter(self, fid: str, new: Filter) -> Update:
        """Replace one filter (in the network too) and recompute only what it changes."""
        t0 = time.perf_counter()
        sym = self.sym
        if any(fid in c.own_source_filters.values() for c in sym.classes):
            raise ValueError(f"{fid} is a source check folded into an endpoint class: "
                             "rebuild the verifier instead")
        old = sym.allow(fid)
        sym.net.filters[fid] = new
        sym.invalidate_filter(fid)
        delta = self.hs.xor(old, sym.allow(fid))
        affected = self.hs.any_of([
            self.states[ph][(d, k)].packets & self.hs.subst(delta, v)
            for ph, d, k, v in self.filter_use.get(fid, ())])
        return self._recompute(affected, t0)

    def update_routes(self, node_id: str, table: str, routes: list[Route]) -> Update:
        """Replace one route table's routes (in the network too), recomputing what changes."""
        t0 = time.perf_counter()
        sym = self.sym
        if node_id in sym.class_of:
            raise ValueError(f"{node_id} is folded into an endpoint class: rebuild instead")
        old = sym.routing(node_id, table)
        sym.nodes[node_id].node.tables[table].routes = list(routes)
        sym.invalidate_table(node_id, table)
        new = sym.routing(node_id, table)
        delta = self.hs.xor(old.unrouted, new.unrouted)
        for k in set(old.behaviours) | set(new.behaviours):
            a, b = old.behaviours.get(k), new.behaviours.get(k)
            delta |= self.hs.xor(a.region if a else self.hs.false,
                                 b.region if b else self.hs.false)
        affected = self.hs.any_of([
            self.states[ph][(d, k)].packets & self.hs.subst(delta, v)
            for ph, d, k, v in self.table_use.get((node_id, table), ())])
        return self._recompute(affected, t0)

    def _recompute(self, affected, t0) -> Update:
        hs = self.hs
        before = {}
        if affected != hs.false:
            starts = {k for o in hs.origins(affected) for k in self.seed_of.get(o, ())}
            before = self._retract(affected, starts)
            self._touched = set()
            self._walk(FORWARD, {k: self.seeds[k] & affected for k in starts})
            touched = {o: self.outcomes[o] & affected for o in self._touched}
            self._walk(REPLY, self._reply_seeds(touched))
        changed = {}
        if affected != hs.false:
            for o in set(before) | self._touched:
                old = before.get(o, hs.false)
                new = self.outcomes.get(o, hs.false) & affected
                if old != new:
                    changed[o] = (new & ~old, old & ~new)
        return Update(affected, changed, time.perf_counter() - t0)

    def _retract(self, affected, starts: set[Key]) -> dict:
        """Take the packets out of every state they passed (from the seeds of their sources,
        then from where their replies started); their outcomes as they were."""
        hs = self.hs
        keep = ~affected
        before: dict[Outcome, object] = {}
        for phase in (FORWARD, REPLY):
            states = self.states[phase]
            if phase == REPLY:
                starts = {k for o in before if (k := self._reply_key(o)) is not None}
            stack = [(0, k) for k in starts if (0, k) in states]
            visited = set()
            while stack:
                sk = stack.pop()
                if sk in visited:
                    continue
                visited.add(sk)
                st = states[sk]
                if (st.packets & affected) == hs.false:
                    continue
                st.packets &= keep
                for e in st.entries.values():
                    e.guard &= keep
                for s in st.seen.values():
                    s.packets &= keep
                for o in st.outcomes:
                    if o not in before:
                        before[o] = self.outcomes[o] & affected
                    self.outcomes[o] &= keep
                stack.extend(st.succ)
        return {o: p for o, p in before.items() if p != hs.false}
