"""IR filters and NAT rules of one node as one nftables table (applied in one transaction).

Every rule's comment names the IR element it realizes (filter id and rule label), plus a short
hash of the rule's text, so `status` can diff by comment and `nft monitor trace` output leads
back to the model.  Semantics come from the IR: first-match vs any-allow, stateful or not,
the default action; nothing here knows which cloud a filter came from.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from ipaddress import collapse_addresses

from ...ir.model import Action, Filter, FilterMode, Match, NatKind, Node

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
    for field, ranges in (("sport", m.src_ports), ("dport", m.dst_ports)):
        if ranges:
            items = [str(r) for r in ranges]
            parts.append(f"th {field} {items[0] if len(items) == 1 else '{ ' + ', '.join(items) + ' }'}")
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


def ruleset(node: Node, filters: dict[str, Filter], dev: Callable[[str], str | None]) -> str:
    """The node's whole table: filter chains, hooks, NAT.  `dev` maps an IR interface to its
    kernel device (None when it has none)."""
    chains: dict[str, str] = {}
    body: list[str] = []

    def chain_for(fid: str) -> str:
        if fid not in chains:
            chains[fid] = f"f{len(chains)}"
            body.extend(filter_chain(chains[fid], filters[fid]))
        return chains[fid]

    inp, out, fwd, pre, post = [], [], [], [], []
    for name, iface in sorted(node.interfaces.items()):
        d = dev(name)
        if d is None:
            continue
        for fid in iface.in_filters:
            rule = _tag(f'iifname "{d}" jump {chain_for(fid)}', f"{fid} in {name}")
            inp.append(rule)
            fwd.append(rule)
        for fid in iface.out_filters:
            rule = _tag(f'oifname "{d}" jump {chain_for(fid)}', f"{fid} out {name}")
            out.append(rule)
            fwd.append(rule)
    if not node.accepts:
        inp.append(_tag("ct state established,related accept", f"{node.id} replies"))
        inp.append(_tag("meta nfproto ipv4 drop", f"{node.id} refuses: {node.refuse_reason}"))
    if node.kind.value == "host":
        fwd.append(_tag("drop", f"{node.id} host does not forward"))
    for rule in node.nat:
        d_out, d_in = dev(rule.outside_iface), dev(rule.inside_iface)
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
    lines = [f"table inet {TABLE} {{", *body]
    for name, hook, prio, rules in (("input", "input", "filter", inp),
                                    ("output", "output", "filter", out),
                                    ("forward", "forward", "filter", fwd)):
        lines += [f"  chain {name} {{", f"    type filter hook {hook} priority {prio}; policy accept;",
                  *("    " + r for r in rules), "  }"]
    for name, hook, prio, rules in (("pre", "prerouting", "dstnat", pre),
                                    ("post", "postrouting", "srcnat", post)):
        lines += [f"  chain {name} {{", f"    type nat hook {hook} priority {prio}; policy accept;",
                  *("    " + r for r in rules), "  }"]
    lines.append("}")
    return "\n".join(lines) + "\n"
