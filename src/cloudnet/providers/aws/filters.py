"""AWS filters as IR filters: security groups, network ACLs and the gateways' own checks."""

from __future__ import annotations

from ipaddress import IPv4Network

from ...ir.model import (Action, Filter, FilterMode, Match, PortRange, Provenance, PROTO_NUMBERS,
                         Rule)
from .index import DEFAULT, AwsIndex
from .model import AclRule, NetworkAcl, SgRule

ALL = IPv4Network("0.0.0.0/0")


def protocol_numbers(proto) -> tuple[int, ...]:
    """() for all protocols; AWS spells "all" as -1."""
    text = str(proto).lower()
    if text in ("all", "any", "-1"):
        return ()
    if text in PROTO_NUMBERS:
        return (PROTO_NUMBERS[text],)
    return (int(text),)


def port_ranges(ports, protocols: tuple[int, ...]) -> tuple[PortRange, ...]:
    """Port ranges only constrain TCP and UDP."""
    if ports is None or not set(protocols) <= {6, 17} or not protocols:
        return ()
    if isinstance(ports, int):
        return (PortRange(ports, ports),)
    lo, _, hi = str(ports).partition("-")
    lo_i = int(lo)
    hi_i = int(hi) if hi else lo_i
    if (lo_i, hi_i) == (0, 65535):
        return ()
    return (PortRange(lo_i, hi_i),)


def _peers(ix: AwsIndex, vpc: str, rule: SgRule) -> tuple[tuple[IPv4Network, ...] | None, str]:
    """The rule's peer prefixes (() = anywhere), or None when the set is empty."""
    if rule.security_group:
        key = ix.sg_key(vpc, rule.security_group)
        members = ix.sg_members.get(key, []) if key else []
        return (tuple(IPv4Network(f"{a}/32") for a in members) or None,
                f"members of security group {rule.security_group}")
    if rule.prefix_list:
        return (tuple(IPv4Network(p) for p in ix.aws.prefix_lists.get(rule.prefix_list, []))
                or None, f"prefix list {rule.prefix_list}")
    cidrs = ([rule.cidr] if rule.cidr else []) + list(rule.cidrs or [])
    nets = tuple(IPv4Network(c) for c in cidrs) or (ALL,)
    return (() if nets == (ALL,) else nets), ", ".join(str(n) for n in nets)


def security_groups(ix: AwsIndex, vpc: str, groups: list[str]) -> tuple[Filter, Filter]:
    """The union of the groups' rules, stateful, per direction (AWS: allow-only)."""
    keys = [ix.sg_key(vpc, g) for g in (groups or [DEFAULT])]
    keys = [k for k in keys if k]
    names = "+".join(sorted(f"{k[0]}/{k[1]}" for k in keys))
    result = []
    for direction in ("ingress", "egress"):
        rules: list[Rule] = []
        for key in keys:
            sg = ix.sgs[key]
            sg_rules = getattr(sg, direction)
            if sg_rules is None:  # a new group's default outbound rule
                rules.append(Rule(Action.ALLOW, Match(), sg.provenance(
                    f"security group {sg.name}: default outbound rule (all traffic)", "egress"),
                    "default egress"))
                continue
            for i, r in enumerate(sg_rules):
                protos = protocol_numbers(r.protocol)
                peers, label = _peers(ix, key[0], r)
                if peers is None:
                    continue  # an empty group or prefix list matches nothing
                if direction == "ingress":
                    match = Match(protos, src=peers, dst_ports=port_ranges(r.ports, protos),
                                  src_label=label)
                else:
                    match = Match(protos, dst=peers, dst_ports=port_ranges(r.ports, protos),
                                  dst_label=label)
                rules.append(Rule(Action.ALLOW, match, r.provenance(
                    f"security group {sg.name} {direction} rule {i + 1}"),
                    f"{sg.name} {direction}[{i}]"))
        way = "inbound" if direction == "ingress" else "outbound"
        first = ix.sgs[keys[0]] if keys else None
        prov = first.provenance(f"security groups {names}") if first else Provenance(names)
        result.append(Filter(
            f"sg-{direction}:{names}", FilterMode.ANY_ALLOW, True, Action.DENY, rules, prov,
            Provenance(f"security groups {', '.join(k[1] for k in keys)}: no {way} rule "
                       "allows it (implicit deny)")))
    return result[0], result[1]


def _acl_rule(r: AclRule, direction: str, acl: str) -> Rule:
    protos = protocol_numbers(r.protocol)
    net = IPv4Network(r.cidr)
    nets = () if net == ALL else (net,)
    ports = port_ranges(r.ports, protos)
    match = Match(protos, src=nets, dst_ports=ports) if direction == "ingress" \
        else Match(protos, dst=nets, dst_ports=ports)
    action = Action.ALLOW if r.action == "allow" else Action.DENY
    return Rule(action, match, r.provenance(f"network ACL {acl} {direction} rule {r.rule}"),
                f"rule {r.rule}")


def network_acl(ix: AwsIndex, vpc: str, name: str | None) -> tuple[Filter, Filter]:
    """Numbered rules, lowest first, first match decides, stateless; `*` denies the rest.

    Returns (filter for traffic entering the subnet, filter for traffic leaving it)."""
    acl: NetworkAcl | None = ix.acls[vpc].get(name) if name else None
    out = []
    for direction in ("ingress", "egress"):
        if acl is None:  # the VPC's default ACL: rule 100 allows all in both directions
            rules = [Rule(Action.ALLOW, Match(), Provenance(
                f"default network ACL of {vpc}: {direction} rule 100 (allow all)"), "rule 100")]
            label, prov = f"default network ACL of {vpc}", Provenance(f"default ACL of {vpc}")
        else:
            rules = [_acl_rule(r, direction, acl.name)
                     for r in sorted(getattr(acl, direction), key=lambda r: r.rule)]
            label, prov = f"network ACL {acl.name}", acl.provenance(f"network ACL {acl.name}")
        out.append(Filter(f"nacl-{direction}:{vpc}/{name or DEFAULT}", FilterMode.FIRST_MATCH,
                          False, Action.DENY, rules, prov,
                          Provenance(f"{label} {direction} rule * (deny all)")))
    return out[0], out[1]


def source_check(iface: str, ip: str, prov: Provenance) -> Filter:
    """AWS source/destination check: an instance sends only from its own address."""
    own = Provenance(f"source/destination check of {iface}: {ip} is its own address",
                     prov.source, prov.line, prov.path)
    return Filter(f"source-check:{iface}:{ip}", FilterMode.FIRST_MATCH, False, Action.DENY,
                  [Rule(Action.ALLOW, Match(src=(IPv4Network(f"{ip}/32"),)), own,
                        "own address")], prov,
                  Provenance(f"source/destination check of {iface}: not its own address"))


def nat_protocols(nat: str, prov: Provenance) -> Filter:
    """A NAT gateway translates TCP, UDP and ICMP only; it drops every other protocol."""
    return Filter(f"nat-protocols:{nat}", FilterMode.ANY_ALLOW, False, Action.DENY,
                  [Rule(Action.ALLOW, Match(protocols=(1, 6, 17)), prov, "tcp/udp/icmp")],
                  prov, Provenance(f"NAT gateway {nat} supports only TCP, UDP and ICMP"))


def peering_source(pcx: str, side: str, vpc: str, cidrs: list[IPv4Network],
                   prov: Provenance) -> Filter:
    """No edge-to-edge routing: a peering carries only traffic from the peer VPC itself."""
    return Filter(f"peering-source:{pcx}:{side}", FilterMode.ANY_ALLOW, False, Action.DENY,
                  [Rule(Action.ALLOW, Match(src=tuple(cidrs), src_label=f"VPC {vpc}"), prov,
                        f"source in {vpc}")], prov,
                  Provenance(f"peering {pcx}: source is outside VPC {vpc} "
                             "(no edge-to-edge routing, not transitive)"))
