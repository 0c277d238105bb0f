"""NSGs as IR filters: priority order, first match, stateful, Azure's default rules last.

Service tags are resolved per VNet (an NSG may serve subnets of several VNets, and the
VirtualNetwork tag means something different in each), so a filter is built per (NSG, VNet).
"""

from __future__ import annotations

from ipaddress import IPv4Network

from ...ir.model import (Action, Filter, FilterMode, Match, PortRange, PROTO_NUMBERS, Provenance,
                         Rule)
from ..aws.index import safe_net
from .model import NetworkSecurityGroup, NsgRule

ANY = IPv4Network("0.0.0.0/0")
PROTOCOLS = {**PROTO_NUMBERS, "esp": 50, "ah": 51}
ANY_WORDS = {"*", "any"}
LOAD_BALANCER = (IPv4Network("168.63.129.16/32"),)  # the host's probe source
# Not the public internet: what the Internet tag leaves out (private, shared, loopback, link
# local, multicast and reserved space, and the platform's own address).
NOT_INTERNET = [IPv4Network(p) for p in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4")] + list(LOAD_BALANCER)
TAGS = ("VirtualNetwork", "Internet", "AzureLoadBalancer")


def _internet() -> tuple[IPv4Network, ...]:
    out = [ANY]
    for hole in NOT_INTERNET:
        nxt = []
        for n in out:
            nxt += list(n.address_exclude(hole)) if hole.subnet_of(n) else [n]
        out = nxt
    return tuple(sorted(out))


INTERNET = _internet()


def tag_name(text: str) -> str | None:
    """The service tag `text` names (case-insensitive), if any."""
    return next((t for t in TAGS if t.lower() == text.strip().lower()), None)


def protocols(proto: str) -> tuple[int, ...] | None:
    """() for any; None if `proto` is not one Azure knows."""
    text = str(proto).strip().lower()
    if text in ANY_WORDS:
        return ()
    return (PROTOCOLS[text],) if text in PROTOCOLS else None


def port_ranges(ports) -> tuple[PortRange, ...] | None:
    """() for all ports; None if a value does not parse."""
    out = []
    for p in ports if isinstance(ports, list) else [ports]:
        if isinstance(p, bool):
            return None
        text = str(p).strip()
        if text in ANY_WORDS:
            return ()
        lo, sep, hi = text.partition("-")
        if not (lo.isdigit() and (not sep or hi.isdigit())):
            return None
        rng = PortRange(int(lo), int(hi) if sep else int(lo))
        if not 0 <= rng.lo <= rng.hi <= 65535:
            return None
        out.append(rng)
    return () if any((r.lo, r.hi) == (0, 65535) for r in out) else tuple(out)


def prefixes(value, tags: dict[str, tuple[IPv4Network, ...]]) -> tuple[IPv4Network, ...] | None:
    """The networks a source/destination field names (() = any); None if it names none."""
    out: list[IPv4Network] = []
    for item in value if isinstance(value, list) else [value]:
        text = str(item).strip()
        if text.lower() in ANY_WORDS:
            return ()
        tag = tag_name(text)
        if tag is not None:
            out += tags[tag]
        elif (net := safe_net(text if "/" in text else f"{text}/32")) is not None:
            out.append(net)
    if ANY in out:
        return ()
    return tuple(dict.fromkeys(out)) or None


def _label(value) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _match(rule: NsgRule, tags) -> Match | None:
    protos = protocols(rule.protocol) or ()
    dports = port_ranges(rule.destination_ports) or ()
    sports = port_ranges(rule.source_ports) or ()
    if (dports or sports) and not protos:
        protos = (6, 17)  # ports are TCP and UDP's: "any" with ports means those two
    src, dst = prefixes(rule.source, tags), prefixes(rule.destination, tags)
    if src is None or dst is None:
        return None  # an empty tag (or prefix set) matches nothing
    return Match(protos, src, dst, sports, dports, _label(rule.source), _label(rule.destination))


def nsg_filters(nsg: NetworkSecurityGroup, vnet: str,
                tags: dict[str, tuple[IPv4Network, ...]]) -> tuple[Filter, Filter]:
    """(inbound, outbound) filters of `nsg` as applied to a NIC in `vnet`."""
    out = []
    for direction, word in (("inbound", "InBound"), ("outbound", "OutBound")):
        rules: list[Rule] = []
        for r in sorted((r for r in nsg.rules if r.direction == direction),
                        key=lambda r: r.priority):
            match = _match(r, tags)
            if match is not None:
                rules.append(Rule(Action.ALLOW if r.access == "allow" else Action.DENY, match,
                                  r.provenance(f"NSG {nsg.name} {direction} rule {r.priority} "
                                               f"{r.name}"), f"{r.priority} {r.name}"))
        vnet_tag = tags["VirtualNetwork"]
        defaults = [(65000, f"AllowVnet{word}", Match(src=vnet_tag, dst=vnet_tag,
                                                      src_label="VirtualNetwork",
                                                      dst_label="VirtualNetwork"))]
        if direction == "inbound":
            defaults.append((65001, "AllowAzureLoadBalancerInBound",
                             Match(src=LOAD_BALANCER, src_label="AzureLoadBalancer")))
        else:
            defaults.append((65001, "AllowInternetOutBound",
                             Match(dst=INTERNET, dst_label="Internet")))
        for prio, name, match in defaults:
            rules.append(Rule(Action.ALLOW, match, nsg.provenance(
                f"NSG {nsg.name} default {direction} rule {prio} {name}"), f"{prio} {name}"))
        out.append(Filter(
            f"nsg-{direction}:{nsg.name}@{vnet}", FilterMode.FIRST_MATCH, True, Action.DENY,
            rules, nsg.provenance(f"NSG {nsg.name}"),
            nsg.provenance(f"NSG {nsg.name} default {direction} rule 65500 DenyAll{word}")))
    return out[0], out[1]


def nat_protocols(nat: str, prov: Provenance) -> Filter:
    """Azure's NAT gateway translates TCP and UDP only; replies of tracked flows pass."""
    return Filter(f"nat-protocols:{nat}", FilterMode.ANY_ALLOW, True, Action.DENY,
                  [Rule(Action.ALLOW, Match(protocols=(6, 17)), prov, "tcp/udp")], prov,
                  Provenance(f"NAT gateway {nat} supports only TCP and UDP", prov.source,
                             prov.line, prov.path))
