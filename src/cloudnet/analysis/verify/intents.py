"""Intents: what must and must not get through, checked for every packet at once.

An intents file (YAML):

    topology: ../three-tier.yaml      # relative to this file (the command line may override)
    intents:
      - name: web answers HTTPS from the internet
        from: internet                # a host, subnet:NAME, vpc:NAME, site:NAME, internet, any
        to: web-1                     # (or a list of them)
        can: [tcp/443]                # every packet of these services gets through
      - name: the database subnet takes nothing from the internet
        from: internet
        to: subnet:db-a
        only: []                      # nothing gets through but these services
      - name: private subnets reach the internet only through the NAT gateway
        from: subnet:app-a
        to: internet
        only: [tcp, udp, icmp]
        via: [shop-nat]               # and what gets through passes one of these nodes

Services: `tcp`, `udp` (any port), `tcp/443`, `udp/1024-65535`, `icmp`, `all`, or a protocol
number.  "Gets through" means the flow and its reply are delivered (a session works);
`one_way: true` asks for delivery alone.  For `can`, TCP and UDP flows are sent from the
ephemeral ports `source_ports` (default 1024-65535), as clients do.  A flow from an endpoint
to itself is never counted.  From the internet, an endpoint is addressed by its public address
when it has one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import Field, ValidationError, model_validator

from ... import yamlsource
from ...diagnostics import Diagnostic, InputError
from ...ir.model import Network
from ...model.base import ModelObject, place_tree
from ...model.errors import pydantic_diagnostics
from ..packet import Packet, parse_proto
from ..trace import Trace, Tracer
from .explain import BlockedPath, blocked_path
from .groups import INTERNET, Group, SelectorError, public_addresses, select
from .headers import Headers
from .verifier import Verifier

Names = str | list[str]


class Intent(ModelObject):
    name: str
    from_: Names = Field(alias="from")
    to: Names
    can: list[str] | None = None
    only: list[str] | None = None
    via: list[str] | None = None
    one_way: bool = False
    source_ports: str = "1024-65535"

    @model_validator(mode="after")
    def _something_to_check(self):
        if self.can is None and self.only is None:
            raise ValueError("an intent needs `can` (must get through) or `only` (nothing "
                             "else may)")
        if self.via and self.only is None:
            raise ValueError("`via` goes with `only`: it constrains what gets through")
        return self


class IntentsFile(ModelObject):
    topology: str | None = None
    intents: list[Intent]


def load_intents(path: Path) -> tuple[IntentsFile, yamlsource.SourceMap]:
    data, source = yamlsource.load(path)
    if not isinstance(data, dict):
        raise InputError([Diagnostic(str(path), 1, "", "an intents file is a mapping "
                                     "(topology:, intents:)")])
    try:
        model = IntentsFile.model_validate(data)
    except ValidationError as err:
        raise InputError(pydantic_diagnostics(err, source, data, IntentsFile)) from None
    place_tree(model, source)
    return model, source


def topology_path(model: IntentsFile, intents_path: Path) -> Path:
    if not model.topology:
        raise InputError([Diagnostic(str(intents_path), 1, "topology", "name the topology "
                                     "(topology: lab.yaml) or give it on the command line")])
    return Path(os.path.normpath(intents_path.parent / model.topology))


# ---- services ---------------------------------------------------------------------------

def service_set(hs: Headers, text: str):
    """A service as a set of packets (any source port)."""
    t = str(text).strip().lower()
    proto_text, _, ports = t.partition("/")
    if proto_text in ("all", "any") and not ports:
        return hs.universe
    try:
        proto = parse_proto(proto_text)
    except ValueError:
        raise ValueError(f"unknown service '{text}': use tcp, udp, tcp/PORT, udp/LO-HI, icmp, "
                         "all or a protocol number") from None
    u = hs.universe & hs.value("proto", proto)
    if ports:
        if proto not in (6, 17):
            raise ValueError(f"'{text}': only tcp and udp have ports")
        u &= hs.port_range("dport", *port_range(ports))
    return u


def port_range(text: str) -> tuple[int, int]:
    lo, _, hi = str(text).partition("-")
    try:
        a, b = int(lo), int(hi or lo)
    except ValueError:
        raise ValueError(f"bad port range '{text}'") from None
    if not 0 <= a <= b <= 65535:
        raise ValueError(f"port range '{text}' is not within 0-65535")
    return a, b


# ---- checking ---------------------------------------------------------------------------

@dataclass
class Result:
    intent: Intent
    ok: bool
    summary: str
    problems: list[str] = field(default_factory=list)
    example: Packet | None = None
    start: str | None = None
    trace: Trace | None = None
    blocked: BlockedPath | None = None

    def to_json(self) -> dict:
        src, line = self.intent.at()
        out = {"name": self.intent.name, "ok": self.ok, "summary": self.summary,
               "problems": self.problems, "line": src.line(line) if src else None}
        if self.example is not None:
            out["counterexample"] = {"from": self.start, "flow": self.example.to_json()}
            if self.trace is not None:
                out["counterexample"]["path"] = self.trace.nodes
                out["counterexample"]["disposition"] = self.trace.disposition.value
                if self.trace.reply is not None:
                    out["counterexample"]["return_path"] = self.trace.reply.nodes
            if self.blocked is not None:
                out["counterexample"]["blocked"] = self.blocked.to_json()
        return out


class Checker:
    def __init__(self, net: Network, verifier: Verifier, describe):
        self.net, self.v, self.hs = net, verifier, verifier.hs
        self.describe = describe

    def resolve(self, model: IntentsFile) -> list[Diagnostic]:
        """Every selector, service and node the intents name that the topology lacks."""
        problems = []
        for i, it in enumerate(model.intents):
            for key, names in (("from", it.from_), ("to", it.to)):
                for j, n in enumerate([names] if isinstance(names, str) else names):
                    try:
                        select(self.net, n)
                    except SelectorError as exc:
                        sub = (key,) if isinstance(names, str) else (key, j)
                        problems.append(it.diagnostic(str(exc), *sub))
            for key in ("can", "only"):
                for j, svc in enumerate(getattr(it, key) or []):
                    try:
                        service_set(self.hs, svc)
                    except ValueError as exc:
                        problems.append(it.diagnostic(str(exc), key, j))
            for j, n in enumerate(it.via or []):
                if self.net.resolve(n) is None:
                    problems.append(it.diagnostic(f"no node named '{n}'", "via", j))
            try:
                port_range(it.source_ports)
            except ValueError as exc:
                problems.append(it.diagnostic(str(exc), "source_ports"))
        return problems

    def group(self, names: Names) -> Group:
        groups = [select(self.net, n) for n in ([names] if isinstance(names, str) else names)]
        nodes = tuple(dict.fromkeys(n for g in groups for n in g.nodes))
        kind = groups[0].kind if len(groups) == 1 else "mixed"
        return Group(", ".join(g.name for g in groups), kind, nodes)

    def check(self, it: Intent) -> Result:
        hs, v = self.hs, self.v
        a, b = self.group(it.from_), self.group(it.to)
        got = v.flows(a, b, replies=not it.one_way)
        for n in set(a.nodes) & set(b.nodes):  # an endpoint talking to itself is no path
            one = Group(n, "host", (n,))
            got &= ~(v.sources(one) & v.delivered_to(one))
        bad = hs.false
        problems = []
        if it.only is not None:
            allowed = hs.any_of([service_set(hs, s) for s in it.only])
            extra = got & ~allowed
            if extra != hs.false:
                problems.append("gets through but should not: " + self._text(extra, a, b))
            bad |= extra
            if it.via:
                via = hs.any_of([v.passed(self.net.resolve(n), forward_only=True)
                                 for n in it.via])
                around = got & allowed & ~via
                if around != hs.false:
                    problems.append(f"gets through without passing {', '.join(it.via)}: "
                                    + self._text(around, a, b))
                bad |= around
        if it.can is not None:
            need = self._required(it, a, b)
            missing = need & ~got
            if missing != hs.false:
                problems.append("should get through but does not: " +
                                self._text(missing, a, b))
                result = Result(it, False, "fails", problems)
                return self._example(result, missing, blocked=True)
        if bad != hs.false:
            return self._example(Result(it, False, "fails", problems), bad, blocked=False)
        what = self._text(got, a, b)
        return Result(it, True, f"holds (gets through: {what})")

    def _required(self, it: Intent, a: Group, b: Group):
        hs, v = self.hs, self.v
        services = hs.any_of([service_set(hs, s) for s in it.can])
        lo, hi = port_range(it.source_ports)
        services &= ~hs.has_ports | hs.port_range("sport", lo, hi)
        outside = all(self.net.nodes[n].provider == INTERNET for n in a.nodes)
        dsts = []
        for n in b.nodes:
            if n == INTERNET:
                dsts.append(hs.true)
                continue
            public = public_addresses(self.net, n) if outside else []
            dsts.append(hs.addresses("dst", public or self.net.nodes[n].addresses()))
        others = hs.false
        for n in set(a.nodes) & set(b.nodes):
            others |= v.sources(Group(n, "host", (n,))) & \
                hs.addresses("dst", self.net.nodes[n].addresses())
        return services & v.sources(a) & hs.any_of(dsts) & ~others

    def _text(self, u, a: Group, b: Group) -> str:
        return self.describe.text(u, self.v.source_addresses(a), self.v.destination_addresses(b))

    def _example(self, result: Result, u, blocked: bool) -> Result:
        picked = self.v.example(u)
        if picked is None:
            return result
        start, pkt = picked
        result.start, result.example = start, pkt
        result.trace = Tracer(self.net).trace(start, pkt)
        if blocked:
            result.blocked = blocked_path(self.net, start, pkt)
        return result
