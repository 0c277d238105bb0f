"""GCP firewall rules as IR filters.

GCP evaluates a network's rules per VM: of the rules whose targets include the VM, the
lowest priority number decides and, at equal priority, a deny beats an allow; the implied
rules at 65535 deny all ingress and allow all egress.  That is a first-match list once the
VM's rules are sorted by (priority, deny first), so each (network, tags, service account)
combination compiles into one stateful FIRST_MATCH filter per direction.
"""

from __future__ import annotations

from ipaddress import IPv4Network

from ...ir.model import Action, Filter, FilterMode, Match, PortRange, Provenance, Rule
from .index import GcpIndex, safe_net
from .model import FirewallRule, Protocol

ALL = IPv4Network("0.0.0.0/0")
PROTOCOLS = {"icmp": 1, "ipip": 4, "tcp": 6, "udp": 17, "esp": 50, "ah": 51, "sctp": 132}
PORTED = {6, 17, 132}


def protocol_number(p) -> int | None:
    """The IP protocol number, 0 for all, None if `p` is not a protocol."""
    text = str(p).strip().lower()
    if text in ("all", "any"):
        return 0
    if text in PROTOCOLS:
        return PROTOCOLS[text]
    return int(text) if text.isdigit() and int(text) <= 255 else None


def port_range(p) -> tuple[int, int] | None:
    if isinstance(p, bool):
        return None
    lo, sep, hi = str(p).strip().partition("-")
    try:
        lo_i, hi_i = int(lo), int(hi) if sep else int(lo)
    except ValueError:
        return None
    return (lo_i, hi_i) if 0 <= lo_i <= hi_i <= 65535 else None


def applies_to(rule: FirewallRule, tags: frozenset[str], account: str | None) -> bool:
    if rule.disabled:
        return False
    if rule.target_tags:
        return bool(tags & set(rule.target_tags))
    if rule.target_service_accounts:
        return account in rule.target_service_accounts
    return True


def _matches(proto: Protocol) -> tuple[tuple[int, ...], tuple[PortRange, ...]]:
    n = protocol_number(proto.protocol)
    protos = () if n == 0 else (n,)
    ports = tuple(PortRange(*port_range(p)) for p in proto.ports) \
        if n in PORTED and proto.ports else ()
    return protos, ports


def _peers(ix: GcpIndex, network: str,
           rule: FirewallRule) -> tuple[tuple[IPv4Network, ...] | None, str]:
    """The rule's other end (() = anywhere), or None when it names only empty sets."""
    if rule.direction == "egress":
        nets = tuple(n for n in map(safe_net, rule.destination_ranges) if n) or (ALL,)
        return (() if ALL in nets else nets), ", ".join(map(str, nets))
    if not (rule.source_ranges or rule.source_tags or rule.source_service_accounts):
        return (), "0.0.0.0/0"
    nets = [n for n in map(safe_net, rule.source_ranges) if n]
    labels = [str(n) for n in nets]
    # Tags and service accounts stand for the primary IPs of this network's VMs only: those
    # of a peered network never match.
    for tag in rule.source_tags:
        nets += [IPv4Network(f"{ip}/32") for ip in ix.tag_ips.get((network, tag), [])]
        labels.append(f"tag {tag}")
    for sa in rule.source_service_accounts:
        nets += [IPv4Network(f"{ip}/32") for ip in ix.sa_ips.get((network, sa), [])]
        labels.append(f"service account {sa}")
    if ALL in nets:
        return (), ", ".join(labels)
    return (tuple(dict.fromkeys(nets)) or None), ", ".join(labels)


def vm_filters(ix: GcpIndex, network: str, tags: frozenset[str],
               account: str | None) -> tuple[Filter, Filter]:
    net = ix.networks[network]
    key = f"{network}/{','.join(sorted(tags)) or '-'}/{account or '-'}"
    out = []
    for direction in ("ingress", "egress"):
        chosen = [r for r in net.firewall_rules
                  if r.direction == direction and applies_to(r, tags, account)]
        chosen.sort(key=lambda r: (r.priority, r.action != "deny"))
        rules: list[Rule] = []
        for r in chosen:
            peers, label = _peers(ix, network, r)
            if peers is None:
                continue  # only empty tag / service-account sets: matches nothing
            action = Action.DENY if r.action == "deny" else Action.ALLOW
            prov = r.provenance(f"firewall rule {r.name} ({direction} {r.action}, "
                                f"priority {r.priority})")
            for proto in r.protocols or [Protocol()]:
                protos, ports = _matches(proto)
                m = Match(protos, src=peers, dst_ports=ports, src_label=label) \
                    if direction == "ingress" else \
                    Match(protos, dst=peers, dst_ports=ports, dst_label=label)
                rules.append(Rule(action, m, prov, f"{r.name} (priority {r.priority})"))
        if direction == "ingress":
            default, what = Action.DENY, "implied rule: deny all ingress (priority 65535)"
        else:
            default, what = Action.ALLOW, "implied rule: allow all egress (priority 65535)"
        out.append(Filter(f"gcp-fw-{direction}:{key}", FilterMode.FIRST_MATCH, True, default,
                          rules, net.provenance(f"firewall rules of network {network} for "
                                                f"{_who(tags, account)}"),
                          net.provenance(f"network {network}: {what}")))
    return out[0], out[1]


def _who(tags: frozenset[str], account: str | None) -> str:
    who = [f"tags {','.join(sorted(tags))}"] if tags else []
    who += [f"service account {account}"] if account else []
    return f"VMs with {' and '.join(who)}" if who else "untagged VMs"


def source_check(vm: str, nic: str, ip, prov: Provenance) -> Filter:
    """Without IP forwarding a VM sends only from its own address (GCP drops the rest)."""
    own = Provenance(f"{vm} {nic}: {ip} is its own address", prov.source, prov.line, prov.path)
    return Filter(f"gcp-source-check:{vm}:{nic}", FilterMode.FIRST_MATCH, False, Action.DENY,
                  [Rule(Action.ALLOW, Match(src=(IPv4Network(f"{ip}/32"),)), own,
                        "own address")], prov,
                  Provenance(f"{vm} {nic}: source is not its own address and IP forwarding "
                             "is off (can_ip_forward: false)", prov.source, prov.line,
                             prov.path))
