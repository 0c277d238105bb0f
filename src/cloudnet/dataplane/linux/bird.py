"""BIRD 2 configuration for one BGP speaker of the IR.

The speaker originates its prefixes (blackhole statics inside BIRD, never exported to the
kernel), runs one eBGP session per IR session over the session's link, applies the IR
neighbour policy (prefix filters, local preference — weight folded above it, set by community
where the neighbour maps them —, communities added on export, MED, AS-path prepending, prefix
limit that takes the session down), and each install target of this node
gets a pipe from BIRD's main table (only routes learned on the sessions that install there)
into a table exported to the kernel table the data plane uses for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...ir.model import BgpNeighbor, BgpSession, Network

KERNEL_METRIC = 500  # static routes the model prefers are installed below, the others above
HOLD, KEEPALIVE = 9, 3  # seconds: failover within a few seconds, documented in the README


@dataclass(frozen=True)
class Peer:
    name: str  # BIRD protocol name
    session: BgpSession
    mine: BgpNeighbor
    theirs: BgpNeighbor
    local_ip: str
    peer_ip: str
    peer_asn: int


def _prefix_set(prefixes) -> str:
    return "[ " + ", ".join(f"{p}+" for p in prefixes) + " ]"


def config(net: Network, node: str, peers: list[Peer], tables: dict[str, int],
           log: str) -> str:
    sp = net.bgp[node]
    lines = [f'log "{log}" {{ warning, error, fatal }};', f"router id {sp.router_id};",
             "protocol device { scan time 2; }"]
    if sp.originate:
        lines.append("protocol static announced { ipv4;")
        lines += [f"  route {p} blackhole;" for p, _ in sp.originate]
        lines.append("}")
    for p in peers:
        n = p.mine
        base = n.weight * 65536  # weight is compared before local preference
        # Ascending, so the highest matching community's preference is the one that stays.
        by_tag = "".join(f" if ({a},{v}) ~ bgp_community then bgp_local_pref = {base + pref};"
                         for (a, v), pref in sorted(n.community_local_pref.items(),
                                                    key=lambda kv: kv[1]))
        set_pref = f"bgp_local_pref = {base + n.local_pref};{by_tag}"
        imp = (f"if net ~ {_prefix_set(n.import_prefixes)} then {{ {set_pref} "
               "accept; } reject;") if n.import_prefixes is not None else \
            f"{set_pref} accept;"
        prepend = "".join(f" bgp_path.prepend({sp.asn});" for _ in range(n.prepend))
        med = f" bgp_med = {n.med};" if n.med else ""
        tags = "".join(f" bgp_community.add(({a},{v}));" for a, v in n.communities)
        body = f"{prepend}{med}{tags} accept;"
        exp = f"if net ~ {_prefix_set(n.export_prefixes)} then {{{body} }} reject;" \
            if n.export_prefixes is not None else body
        limit = f" import limit {n.max_prefixes} action disable;" if n.max_prefixes else ""
        lines += [f"protocol bgp {p.name} {{",
                  f"  local {p.local_ip} as {sp.asn};",
                  f"  neighbor {p.peer_ip} as {p.peer_asn};",
                  f"  hold time {HOLD}; keepalive time {KEEPALIVE}; connect retry time 1;",
                  "  error wait time 1, 5;",
                  f"  ipv4 {{ import filter {{ {imp} }}; export filter {{ {exp} }};{limit} }};",
                  "}"]
    for name, tid in sorted(tables.items(), key=lambda kv: kv[1]):
        sources = [p.name for p in peers if any(
            i.node == node and i.table == name for i in p.mine.install)]
        if not sources:
            continue
        match = " || ".join(f'proto = "{s}"' for s in sources)
        lines += [f"ipv4 table t{tid};",
                  f"protocol pipe p{tid} {{ table master4; peer table t{tid}; import none;",
                  f"  export filter {{ if {match} then accept; reject; }}; }}",
                  f"protocol kernel k{tid} {{ ipv4 {{ table t{tid}; export all; import none; }};",
                  f"  kernel table {tid}; metric {KERNEL_METRIC}; learn off; }}"]
    return "\n".join(lines) + "\n"
