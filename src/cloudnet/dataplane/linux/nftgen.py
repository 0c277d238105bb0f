"""IR filters and NAT rules of one node as one nftables table (applied in one transaction).

Every rule's comment names the IR element it realizes (filter id and rule label), plus a short
hash of the rule's text, so `status` can diff by comment and `nft monitor trace` output leads
back to the model.  Semantics come from the IR: first-match vs any-allow, stateful or not,
the default action; nothing here knows which cloud a filter came from.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from ipaddress import collapse_addresses

from ...ir.model import Action, Filter, FilterMode, Match, NatKind, NatRule

TABLE = "cloudnet"
PROTO = {1: "icmp", 6: "tcp", 17: "udp"}


def _tag(text: str, what: str) -> str:
    what = what.replace('"', "'")[:90]
    return f'{text} comment "{what}#{hashlib.sha1(text.encode()).hexdigest()[:8]}"'


def _nets(nets) -> str:
    items = [str(n) for n in collapse_addresses(nets)]
    return items[0] if len(items) == 1 else "{ " + ", ".join(items) + " }"


def match_expr(m: Match) -> str:
    parts = []
    if m.protocols:
        names = [PROTO.get(p, str(p)) for p in m.protocols]
        parts.append(f"meta l4proto {names[0] if len(names) == 1 else '{ ' + ', '.join(names) + ' }'}")
    if m.src:
        parts.append(f"ip saddr {_nets(m.src)}")
    if m.dst:
        parts.append(f"ip daddr {_nets(m.dst)}")
    for key, ranges in (("sport", m.src_ports), ("dport", m.dst_ports)):
        if ranges:
            items = [str(r) for r in ranges]
            parts.append(f"th {key} {items[0] if len(items) == 1 else '{ ' + ', '.join(items) + ' }'}")
    return " ".join(parts) or "meta nfproto ipv4"


def filter_chain(chain: str, flt: Filter) -> list[str]:
    """A chain that drops what the filter denies and returns what it lets through."""
    lines = [f"  chain {chain} {{"]
    if flt.stateful:
        lines.append("    " + _tag("ct state established,related return", f"{flt.id} established"))
    for rule in flt.rules:
        verdict = "return" if rule.action is Action.ALLOW else "drop"
        if flt.mode is FilterMode.ANY_ALLOW and rule.action is not Action.ALLOW:
            continue
        lines.append("    " + _tag(f"{match_expr(rule.match)} {verdict}", f"{flt.id} {rule.label}"))
    default = "return" if flt.default is Action.ALLOW else "drop"
    lines.append("    " + _tag(default, f"{flt.id} default"))
    lines.append("  }")
    return lines


@dataclass
class Hooks:
    """What one namespace's table must do, in kernel terms (devices, not IR interfaces)."""

    name: str  # for rule comments: the node(s) the namespace realizes
    inbound: list[tuple[str, list[str], str]] = field(default_factory=list)  # dev, filters, why
    outbound: list[tuple[str, list[str], str]] = field(default_factory=list)
    refuse: str = ""  # non-empty: traffic addressed to the namespace is dropped, and why
    host: bool = False  # hosts never forward
    nat: list[tuple[NatRule, str | None, str | None]] = field(default_factory=list)  # rule, in, out
    # The lab's own control plane toward this namespace (BGP sessions, tunnel underlay): it
    # is not traffic the model filters, so it is let in before the node's refusal.
    control: list[tuple[str, str]] = field(default_factory=list)  # (match, why)


def ruleset(hooks: Hooks, filters: dict[str, Filter]) -> str:
    """The namespace's whole table: filter chains, hooks, NAT."""
    chains: dict[str, str] = {}
    body: list[str] = []

    def chain_for(fid: str) -> str:
        if fid not in chains:
            chains[fid] = f"f{len(chains)}"
            body.extend(filter_chain(chains[fid], filters[fid]))
        return chains[fid]

    # The IR's pipeline: inbound filters see the packet as it arrives (before destination
    # NAT), outbound filters as it leaves (after source NAT) — so they hook prerouting after
    # conntrack and postrouting after NAT, whether the packet is forwarded or local.
    ingress, egress, inp, fwd, pre, post = [], [], [], [], [], []
    for dev, fids, why in hooks.inbound:
        for fid in fids:
            ingress.append(_tag(f'iifname "{dev}" jump {chain_for(fid)}', f"{fid} in {why}"))
    for dev, fids, why in hooks.outbound:
        for fid in fids:
            egress.append(_tag(f'oifname "{dev}" jump {chain_for(fid)}', f"{fid} out {why}"))
    inp += [_tag(f"{match} accept", why) for match, why in hooks.control]
    if hooks.refuse:
        inp.append(_tag("ct state established,related accept", f"{hooks.name} replies"))
        inp.append(_tag("meta nfproto ipv4 drop", f"{hooks.name} refuses: {hooks.refuse}"))
    if hooks.host:
        fwd.append(_tag("drop", f"{hooks.name} host does not forward"))
    for rule, d_in, d_out in hooks.nat:
        what = rule.provenance.what
        if rule.kind is NatKind.STATIC and d_out:
            pre.append(_tag(f'iifname "{d_out}" ip daddr {rule.outside} dnat ip to {rule.inside}', what))
            post.append(_tag(f'oifname "{d_out}" ip saddr {rule.inside} snat ip to {rule.outside}', what))
        elif rule.kind is NatKind.SOURCE and d_out and d_in:
            ports = f":{rule.port_range}" if rule.port_range else ""
            both = f'iifname "{d_in}" oifname "{d_out}"'
            if ports:
                post.append(_tag(f"{both} meta l4proto {{ tcp, udp }} snat ip to {rule.outside}{ports}", what))
            post.append(_tag(f"{both} snat ip to {rule.outside}", what))
    stateful = bool(hooks.nat) or any(filters[f].stateful for f in chains)
    raw = [] if stateful else [_tag("notrack", f"{hooks.name} keeps no connection state")]
    lines = [f"table inet {TABLE} {{", *body]
    # Only hooks with rules are registered: every hook costs each packet. A namespace with no
    # stateful filter and no NAT opts out of connection tracking (as stateless as the model).
    for name, kind, hook, prio, rules in (
            ("raw", "filter", "prerouting", "raw", raw), ("rawout", "filter", "output", "raw", raw),
            ("ingress", "filter", "prerouting", "-150", ingress),
            ("input", "filter", "input", "filter", inp), ("forward", "filter", "forward", "filter", fwd),
            ("pre", "nat", "prerouting", "dstnat", pre), ("post", "nat", "postrouting", "srcnat", post),
            ("egress", "filter", "postrouting", "200", egress)):
        if rules:
            lines += [f"  chain {name} {{",
                      f"    type {kind} hook {hook} priority {prio}; policy accept;",
                      *("    " + r for r in rules), "  }"]
    lines.append("}")
    return "\n".join(lines) + "\n"
