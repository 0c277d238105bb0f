"""The verifier's commands: verify, query, diff and check."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape

from ...diagnostics import Diagnostic, InputError
from ...ir.model import Network
from ...loader import load_network
from ...render import print_trace
from ..endpoints import destination_address, source_address
from ..packet import Packet, make_packet, parse_proto
from ..trace import Tracer
from .describe import Describer
from .diff import diff as diff_networks
from .explain import BlockedPath, blocked_path
from .groups import INTERNET, Group, SelectorError, all_groups, select
from .headers import BACKEND
from .intents import Checker, load_intents, topology_path
from .sarif import sarif
from .verifier import NOT_MODELLED, WORLD, Verifier

out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)
TopologyArg = typer.Argument(..., help="topology YAML file or AWS snapshot folder")
MAX_HOSTS = 40  # beyond this many hosts, verify and diff speak of subnets and sites
MAX_LISTED = 400  # beyond this many pairs, verify lists only those where something gets through


class Level(str, Enum):
    auto = "auto"
    host = "host"
    subnet = "subnet"


class Format(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"


def _load(path: Path) -> Network:
    net, warnings = load_network(path)
    for d in warnings:
        err.print(f"[yellow]{escape(str(d))}[/]")
    return net


def describer(v: Verifier) -> Describer:
    names = []
    if INTERNET in v.net.nodes:
        names.append((v.source_addresses(Group(INTERNET, INTERNET, (INTERNET,))), "the internet"))
    return Describer(v.hs, v.sym.cuts, names)


def _groups(net: Network, level: Level) -> list[Group]:
    groups = all_groups(net)
    hosts = [g for g in groups if g.kind == "host"]
    if level is Level.host or (level is Level.auto and len(hosts) <= MAX_HOSTS):
        return hosts + [g for g in groups if g.kind == INTERNET]
    return [g for g in groups if g.kind in ("subnet", "site", INTERNET)]


def _path(t) -> str:
    text = " > ".join(t.nodes) + f" ({t.disposition.value})"
    if t.reply is not None:
        text += "; reply: " + " > ".join(t.reply.nodes) + f" ({t.reply.disposition.value})"
    return text


def _not_modelled(v: Verifier) -> list[str]:
    return NOT_MODELLED + v.caveats


def _select(net: Network, text: str, option: str) -> Group:
    try:
        return select(net, text)
    except SelectorError as exc:
        raise InputError([Diagnostic("<command line>", None, option, str(exc))]) from None


def verify(topology: Path = TopologyArg,
           level: Level = typer.Option(Level.auto, "--level",
                                       help="pairs of hosts, or of subnets and sites"),
           as_json: bool = typer.Option(False, "--json")) -> None:
    """For every pair of endpoints: exactly which packets get through (replies included),
    and what the internet can reach."""
    net = _load(topology)
    v = Verifier(net)
    d = describer(v)
    groups = _groups(net, level)
    pairs = []
    for a in groups:
        for b in groups:
            if a == b or (a.kind == INTERNET and b.kind == INTERNET):
                continue
            both = v.flows(a, b)
            one = v.flows(a, b, replies=False) & ~both
            src, dst = v.source_addresses(a), v.destination_addresses(b)
            pairs.append({"from": a.name, "to": b.name, "gets_through": d.text(both, src, dst),
                          "delivered_reply_fails": d.text(one, src, dst)})
    exposure = _exposure(net, v, d)
    notes = _not_modelled(v)
    if as_json:
        print(json.dumps({"topology": net.name, "pairs": pairs, "exposure": exposure,
                          "not_modelled": notes, "bdd": BACKEND}, indent=2))
        return
    out.print(f"[bold]What gets through in {escape(net.name)}[/] (every packet; a flow counts "
              "when its reply comes back too)")
    listed = pairs if len(pairs) <= MAX_LISTED else \
        [p for p in pairs if p["gets_through"] != "nothing"]
    for p in listed:
        colour = "red" if p["gets_through"] == "nothing" else "green"
        out.print(f"  {escape(p['from'])} -> {escape(p['to'])}: "
                  f"[{colour}]{escape(p['gets_through'])}[/]")
        if p["delivered_reply_fails"] != "nothing":
            out.print(f"      [dim]delivered, but the reply fails: "
                      f"{escape(p['delivered_reply_fails'])}[/]")
    if len(listed) < len(pairs):
        out.print(f"  [dim]({len(pairs) - len(listed)} more pairs: nothing gets through)[/]")
    out.print("[bold]Exposure to the internet[/]")
    if not exposure:
        out.print("  nothing is reachable from the internet")
    for e in exposure:
        out.print(f"  [yellow]{escape(e['endpoint'])}[/]: {escape(e['reachable'])}")
        out.print(f"      e.g. {escape(e['example'])}: {escape(' > '.join(e['path']))}")
    out.print("[bold]Not modelled[/]: " + escape("; ".join(notes)))


def _exposure(net: Network, v: Verifier, d: Describer) -> list[dict]:
    if INTERNET not in net.nodes:
        return []
    world = Group(INTERNET, INTERNET, (INTERNET,))
    found = []
    for g in all_groups(net):
        if g.kind != "host" or net.nodes[g.nodes[0]].provider == INTERNET:
            continue
        u = v.flows(world, g)
        if u == v.hs.false:
            continue
        start, pkt = v.example(u)
        t = Tracer(net).trace(start, pkt)
        found.append({"endpoint": g.name,
                      "reachable": d.text(u, v.source_addresses(world),
                                          v.destination_addresses(g)),
                      "example": pkt.describe(), "path": t.nodes,
                      "return_path": t.reply.nodes if t.reply else []})
    return found


def query(topology: Path = TopologyArg,
          src: str = typer.Option(..., "--from", help="host, subnet:N, vpc:N, site:N, internet"),
          dst: str = typer.Option(..., "--to", help="host, subnet:N, vpc:N, site:N, internet"),
          proto: Optional[str] = typer.Option(None, "--proto", help="tcp, udp, icmp or a number"),
          dport: Optional[int] = typer.Option(None, "--dport", min=0, max=65535),
          as_json: bool = typer.Option(False, "--json")) -> None:
    """Every packet from one endpoint (group) that reaches another, with an example and its
    trace; or, when nothing does, the would-be path and every setting that blocks it."""
    net = _load(topology)
    a, b = _select(net, src, "--from"), _select(net, dst, "--to")
    v = Verifier(net)
    hs = v.hs
    try:
        p = parse_proto(proto) if proto else None
    except ValueError as exc:
        raise InputError([Diagnostic("<command line>", None, "--proto", str(exc))]) from None
    if dport is not None and p not in (None, 6, 17):
        raise InputError([Diagnostic("<command line>", None, "--dport",
                                     "a destination port needs tcp or udp")])
    want = hs.universe
    if p is not None:
        want &= hs.value("proto", p)
    if dport is not None:
        want &= hs.has_ports & hs.value("dport", dport)
    both = v.flows(a, b) & want
    one = v.flows(a, b, replies=False) & want & ~both
    d = describer(v)
    src_all, dst_all = v.source_addresses(a), v.destination_addresses(b)
    result: dict = {"from": a.name, "to": b.name,
                    "gets_through": d.text(both, src_all, dst_all),
                    "delivered_reply_fails": d.text(one, src_all, dst_all),
                    "not_modelled": _not_modelled(v)}
    trace = blocked = None
    if both != hs.false:
        start, pkt = v.example(both)
        trace = Tracer(net).trace(start, pkt)
        result["example"] = {"from": start, "trace": trace.to_json()}
    else:
        start, pkt = _probe(net, v, a, b, p, dport)
        blocked = blocked_path(net, start, pkt)
        result["blocked"] = blocked.to_json()
    if as_json:
        print(json.dumps(result, indent=2))
        return
    out.print(f"[bold]From {escape(a.name)} to {escape(b.name)}[/] (replies included): "
              f"[{'green' if trace else 'red'}]{escape(result['gets_through'])}[/]")
    if one != hs.false:
        out.print(f"  [dim]delivered, but the reply fails: "
                  f"{escape(result['delivered_reply_fails'])}[/]")
    if trace is not None:
        out.print(f"Example from {escape(start)}:")
        print_trace(out, trace)
    else:
        _print_blocked(blocked, start)
    out.print("[dim]Not modelled: " + escape("; ".join(result["not_modelled"])) + "[/]")


def _probe(net: Network, v: Verifier, a: Group, b: Group, proto: int | None,
           dport: int | None) -> tuple[str, Packet]:
    """The flow to explain when nothing gets through: from the first endpoint of `a` to the
    first of `b`, on the service asked for, or else one that `b` itself would accept."""
    start, target = a.nodes[0], b.nodes[0]
    s = source_address(net, start)
    t = WORLD if target == INTERNET else destination_address(net, target, start)
    if proto is None and target != INTERNET:
        hs = v.hs
        sn = v.sym.nodes[v.sym.sym_id(target)]
        accepts = hs.universe & hs.value("dst", int(t))
        for iface in sn.node.interfaces:
            for fid in v.sym.filters(sn, iface, "in"):
                accepts &= v.sym.allow(fid)
        picked = hs.pick(accepts, [hs.value("proto", 6)] +
                         [hs.value("dport", n) for n in (443, 80, 22)])
        if picked is not None:
            pkt = picked[0]
            return start, make_packet(s, t, pkt.proto, pkt.dport)
    return start, make_packet(s, t, proto if proto is not None else 6,
                              dport if dport is not None else 443)


def _print_blocked(b: BlockedPath, start: str) -> None:
    out.print(f"Nothing gets through. Blocked path of {escape(b.packet.describe())} "
              f"from {escape(start)}:")
    out.print(f"  would-be path: {escape(' > '.join(b.trace.nodes))}")
    if b.trace.reply is not None:
        out.print(f"  would-be return: {escape(' > '.join(b.trace.reply.nodes))}")
    if not b.complete:
        out.print("  [dim](the path cannot be completed past the last setting below)[/]")
    out.print("  every setting that would have to change:")
    for i, x in enumerate(b.blockers, 1):
        where = f"  [dim]{escape(x.provenance.where())}[/]" if x.provenance and \
            x.provenance.where() else ""
        out.print(f"   {i}. [red]{x.direction}[/] at {escape(x.node)}: {escape(x.what)}{where}")


def diff(old: Path = typer.Argument(..., help="the topology before"),
         new: Path = typer.Argument(..., help="the topology after"),
         as_json: bool = typer.Option(False, "--json")) -> None:
    """Which flows change fate between two versions, grouped by the change responsible."""
    old_net, new_net = _load(old), _load(new)
    groups, v_old, v_new = diff_networks(old_net, new_net, MAX_HOSTS)
    d = describer(v_new)

    def text(name_a: str, name_b: str, u) -> str:
        a, b = select(new_net, name_a), select(new_net, name_b)
        return d.text(u, v_new.source_addresses(a), v_new.destination_addresses(b))

    rows = []
    for g in groups:
        rows.append({
            "change": g.direction, "because": g.cause, "was": g.was,
            "source": g.where.where() if g.where else "",
            "flows": [{"from": p.src, "to": p.dst,
                       "packets": text(p.src, p.dst, p.gained if g.direction.startswith("now")
                                       else p.lost)}
                      for p in g.pairs],
            "example": g.example[1].describe() if g.example else "",
            "old_path": _path(g.old_trace) if g.old_trace else "",
            "new_path": _path(g.new_trace) if g.new_trace else ""})
    if as_json:
        print(json.dumps({"changes": rows}, indent=2))
        return
    if not rows:
        out.print("no flow changes fate")
        return
    for r in rows:
        colour = "green" if r["change"].startswith("now") else "red"
        out.print(f"[bold {colour}]{r['change']}[/] because {escape(r['because'])}")
        out.print(f"    [dim]was: {escape(r['was'])}[/]")
        for f in r["flows"]:
            out.print(f"    {escape(f['from'])} -> {escape(f['to'])}: {escape(f['packets'])}")
        out.print(f"    e.g. {escape(r['example'])}")
        out.print(f"      before: {escape(r['old_path'])}")
        out.print(f"      after:  {escape(r['new_path'])}")


def check(topology: Optional[Path] = typer.Argument(
              None, help="topology (default: the one the intents file names)"),
          intents: Path = typer.Option(..., "--intents", help="intents YAML file"),
          fmt: Format = typer.Option(Format.text, "--format")) -> None:
    """Check intents (what must and must not get through). Exit 0: all hold, 1: some fail,
    2: bad input."""
    model, _ = load_intents(intents)
    net = _load(topology or topology_path(model, intents))
    v = Verifier(net)
    checker = Checker(net, v, describer(v))
    problems = checker.resolve(model)
    if problems:
        raise InputError(problems)
    results = [checker.check(it) for it in model.intents]
    failed = sum(not r.ok for r in results)
    if fmt is Format.sarif:
        print(json.dumps(sarif(results, str(intents)), indent=2))
    elif fmt is Format.json:
        print(json.dumps({"topology": net.name, "intents": [r.to_json() for r in results],
                          "not_modelled": _not_modelled(v)}, indent=2))
    else:
        for r in results:
            source, path = r.intent.at()
            where = f"{intents}:{source.line(path)}" if source else str(intents)
            if r.ok:
                out.print(f"[green]PASS[/] {escape(r.intent.name)}  [dim]{escape(r.summary)}[/]")
                continue
            out.print(f"[red]FAIL[/] {escape(r.intent.name)}  [dim]({escape(where)})[/]")
            for p in r.problems:
                out.print(f"     {escape(p)}")
            if r.example is not None:
                out.print(f"     counterexample: {escape(r.example.describe())} from "
                          f"{escape(r.start)}")
                out.print(f"     path: {escape(_path(r.trace))}")
            if r.blocked is not None:
                for i, x in enumerate(r.blocked.blockers, 1):
                    loc = f" ({x.provenance.where()})" if x.provenance and \
                        x.provenance.where() else ""
                    out.print(f"     to change {i}: {escape(x.direction)} at {escape(x.node)}:"
                              f" {escape(x.what)}{escape(loc)}")
        out.print(f"{len(results)} intents: {len(results) - failed} hold, {failed} fail")
    if failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(verify)
    app.command()(query)
    app.command()(diff)
    app.command()(check)
