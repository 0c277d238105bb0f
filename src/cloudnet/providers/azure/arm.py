"""Import Azure Resource Manager JSON: azure_configs/*.json, each a resource's GET body (or a
list of them, or a list response {"value": [...]}).

A body's kind is its `type` and its identity its `id`, never the file name; references are
resource ids, matched case-insensitively as Azure does.  Names are the last segment of each
id (a subnet's is scoped to its VNet).  Every object is placed at its JSON item so provenance
names file:line.  Whatever cloudnet does not model is reported as a warning rather than
dropped silently; malformed input raises InputError.

Associations are read from the side Azure lets you write (a subnet's NSG, route table and NAT
gateway; a NIC's NSG and public IP).  The read-only back-references (an NSG's `subnets`, a NAT
gateway's `subnets`, a public IP's `ipConfiguration`) fill gaps and arbitrate conflicts, with
a warning where they disagree.  An export holds no on-premises side, so VNet gateways,
connections and circuits are reported, not imported.
"""

from __future__ import annotations

from collections import defaultdict
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any


from ...diagnostics import Diagnostic, InputError
from ...importers.jsondoc import At, JsonImporter
from .filters import ANY_WORDS, tag_name
from .model import (Azure, NatGateway, NetworkSecurityGroup, Nic, NsgRule, Peering, RouteTable,
                    Subnet, Udr, Vm, Vnet)

CONFIGS = "azure_configs"
VNET = "microsoft.network/virtualnetworks"
SUBNET = "microsoft.network/virtualnetworks/subnets"
PEERING = "microsoft.network/virtualnetworks/virtualnetworkpeerings"
NSG = "microsoft.network/networksecuritygroups"
NIC = "microsoft.network/networkinterfaces"
VM = "microsoft.compute/virtualmachines"
PUBLIC_IP = "microsoft.network/publicipaddresses"
NAT = "microsoft.network/natgateways"
ROUTE_TABLE = "microsoft.network/routetables"
KINDS = {VNET, SUBNET, PEERING, NSG, NIC, VM, PUBLIC_IP, NAT, ROUTE_TABLE}
NO_ONPREM = {"microsoft.network/virtualnetworkgateways": "VNet gateway",
             "microsoft.network/connections": "gateway connection",
             "microsoft.network/localnetworkgateways": "local network gateway",
             "microsoft.network/expressroutecircuits": "ExpressRoute circuit"}
NEXT_HOPS = {h.lower(): h for h in ("VirtualAppliance", "VirtualNetworkGateway", "VnetLocal",
                                    "Internet", "None")}


def is_arm_folder(path: Path) -> bool:
    return (Path(path) / CONFIGS).is_dir()


def load_arm(folder: Path) -> tuple[Azure, list[Diagnostic]]:
    """The Azure model of the export and warnings; InputError if a file is malformed."""
    return _Importer(Path(folder)).run()


def key(rid: str) -> str:
    return rid.strip().strip("/").lower()


def last(rid: str) -> str:
    return rid.strip().strip("/").split("/")[-1]


def parent(rid: str, kind: str) -> str:
    """The id of the `kind` resource (e.g. virtualNetworks) that `rid` lies under."""
    parts = rid.strip().strip("/").split("/")
    low = [p.lower() for p in parts]
    i = low.index(kind.lower()) if kind.lower() in low else len(parts) - 2
    return "/".join(parts[:i + 2])


class _Importer(JsonImporter):
    def __init__(self, folder: Path):
        super().__init__(folder)
        self.kinds: dict[str, list[At]] = defaultdict(list)
        self.seen: dict[str, At] = {}  # id key -> body
        self.public_ips: dict[str, tuple[str, At]] = {}  # id -> (address, body)
        self.nsgs: dict[str, NetworkSecurityGroup] = {}
        self.tables: dict[str, RouteTable] = {}
        self.nats: dict[str, tuple[NatGateway, At, list[str]]] = {}  # id -> (NAT, body, ips)
        self.vnets: dict[str, tuple[str, Vnet]] = {}  # id -> (name, VNet)
        self.subnets: dict[str, tuple[str, Subnet, At]] = {}  # id -> (VNet name, subnet, at)
        self.back: dict[str, dict[str, tuple[str, At]]] = defaultdict(dict)  # kind -> target -> by
        self.nics: dict[str, tuple[Nic, At, str | None]] = {}  # id -> (NIC, body, VNet)
        self.nic_ipconfig: dict[str, str] = {}  # ipconfig id -> NIC id
        # public IP id -> who references it: ("nic" or "nat", their id, where)
        self.ip_claims: dict[str, list[tuple[str, str, At]]] = defaultdict(list)
        self.names: dict[str, str] = {}  # node name -> id key holding it

    # ---- diagnostics and typed access --------------------------------------------------

    def props(self, at: At) -> At:
        return self.obj(at, "properties")

    def ref(self, at: At, name: str) -> str | None:
        """A reference: {"id": ...} (or, as some exports have it, the id itself)."""
        value = self.get(at, name, (dict, str))
        if isinstance(value, dict):
            return self.get(at.to(value, name), "id", required=True)
        return value

    def refs(self, at: At, name: str) -> list[tuple[str, At]]:
        return [(rid, r) for r in self.items(at, name) if (rid := self.get(r, "id", required=True))]

    def strings(self, at: At, single: str, plural: str) -> str | list[str] | None:
        """ARM's pair of fields: a non-empty plural list wins over the singular value."""
        many = self.get(at, plural, list)
        if many:
            return [str(x) for x in many]
        return self.get(at, single, (str, int))

    def node_name(self, at: At, rid: str) -> str:
        """The id's last segment, made unique among the names that become nodes."""
        name, n = last(rid), 2
        while self.names.get(name, key(rid)) != key(rid):
            name, n = f"{last(rid)}-{n}", n + 1
        if name != last(rid):
            self.warn(at, f"name {last(rid)} is already used by {self.names[last(rid)]}; "
                          f"imported as {name}", "id")
        self.names[name] = key(rid)
        return name

    # ---- reading -----------------------------------------------------------------------

    def run(self) -> tuple[Azure, list[Diagnostic]]:
        self.read()
        if not self.errors:
            for kind, step in ((PUBLIC_IP, self.public_ip), (NSG, self.nsg),
                               (ROUTE_TABLE, self.route_table), (NAT, self.nat_gateway),
                               (VNET, self.vnet), (SUBNET, self.standalone_subnet),
                               (NIC, self.nic)):
                for at in self.kinds[kind]:
                    step(at)
            self.associate()
            vms = [vm for at in self.kinds[VM] if (vm := self.vm(at))]
            self.orphan_nics(vms)
            for at in self.kinds[PEERING]:
                self.peering(at, self.get(at, "id", required=True))
        if self.errors:
            raise InputError(self.errors)
        return self.build(), self.warnings

    def read(self) -> None:
        for _, top in self.files(self.folder / CONFIGS):
            data = top.data
            if isinstance(data, dict) and isinstance(data.get("value"), list):
                bodies = self.items(top, "value")
            elif isinstance(data, list):
                bodies = [top.to(x, i) for i, x in enumerate(data) if isinstance(x, dict)]
                if len(bodies) < len(data):
                    self.error(top, "expected a list of ARM resource bodies (objects)")
            elif isinstance(data, dict):
                bodies = [top]
            else:
                self.error(top, "expected an ARM resource body (an object with type and id), "
                                "a list of them, or {\"value\": [...]}")
                continue
            for at in bodies:
                self.body(at)

    def body(self, at: At) -> None:
        typ, rid = self.get(at, "type", required=True), self.get(at, "id", required=True)
        if not typ or not rid:
            return
        kind = typ.lower()
        if key(rid) in self.seen:
            first = self.seen[key(rid)]
            self.warn(at, f"{rid} appears more than once (first in {first.src.file}); the "
                          "first is kept", "id")
        elif kind in KINDS:
            self.seen[key(rid)] = at
            self.kinds[kind].append(at)
        elif kind in NO_ONPREM:
            self.warn(at, f"{NO_ONPREM[kind]} {last(rid)} not imported: an export holds no "
                          "on-premises side; model the site under onprem and the gateway in "
                          "a topology file", "type")
        else:
            self.warn(at, f"resource type {typ} is not modelled by cloudnet; ignored", "type")

    # ---- resources ---------------------------------------------------------------------

    def public_ip(self, at: At) -> None:
        rid, p = self.get(at, "id"), self.props(at)
        if self.get(p, "publicIPAddressVersion") == "IPv6":
            self.warn(at, f"IPv6 public IP {last(rid)} ignored (IPv6 is not modelled)")
            return
        ip = self.get(p, "ipAddress")
        if ip is None:
            self.warn(at, f"public IP {last(rid)} has no address allocated; ignored",
                      "properties")
            return
        if self.valid(p, ip, IPv4Address, "ipAddress"):
            self.public_ips[key(rid)] = (ip, at)
        if (cfg := self.ref(p, "ipConfiguration")) is not None:
            self.back["public-ip"][key(rid)] = (cfg, p.to(cfg, "ipConfiguration"))

    def valid(self, at: At, text: str, kind: type, *sub: str | int) -> bool:
        try:
            kind(text)
            return True
        except ValueError:
            noun = "address" if kind is IPv4Address else "CIDR"
            self.error(at, f"{text!r} is not an IPv4 {noun}", *sub)
            return False

    def nsg(self, at: At) -> None:
        rid, p = self.get(at, "id"), self.props(at)
        rules = [r for ra in self.items(p, "securityRules") if (r := self.nsg_rule(ra, rid))]
        nsg = self.make(NetworkSecurityGroup, at, name=last(rid), rules=rules)
        if nsg is None:
            return
        self.nsgs[key(rid)] = nsg
        for field, kind in (("subnets", "subnet-nsg"), ("networkInterfaces", "nic-nsg")):
            for target, r in self.refs(p, field):
                self.back[kind][key(target)] = (rid, r)

    def nsg_rule(self, at: At, nsg_id: str) -> NsgRule | None:
        p = self.props(at)
        name = self.get(at, "name") or last(self.get(at, "id") or "rule")
        asgs = [f for f in ("sourceApplicationSecurityGroups",
                            "destinationApplicationSecurityGroups") if self.get(p, f, list)]
        if asgs:
            self.warn(at, f"rule {name} of {last(nsg_id)} uses application security groups, "
                          "which are not modelled; rule skipped", asgs[0])
            return None
        fields = dict(
            name=name, priority=self.get(p, "priority", int, required=True),
            direction=str(self.get(p, "direction", required=True) or "").lower(),
            access=str(self.get(p, "access", required=True) or "").lower(),
            protocol=str(self.get(p, "protocol") or "*").lower(),
            source=self.strings(p, "sourceAddressPrefix", "sourceAddressPrefixes") or "*",
            destination=self.strings(p, "destinationAddressPrefix",
                                     "destinationAddressPrefixes") or "*",
            source_ports=self.strings(p, "sourcePortRange", "sourcePortRanges") or "*",
            destination_ports=self.strings(p, "destinationPortRange",
                                           "destinationPortRanges") or "*",
            description=self.get(p, "description") or "")
        for field in ("source", "destination"):
            values = fields[field] if isinstance(fields[field], list) else [fields[field]]
            unknown = [v for v in values if not _address_like(v)]
            if unknown:
                self.warn(at, f"rule {name} of {last(nsg_id)}: service tag {unknown[0]} is not "
                              "modelled; rule skipped", "properties")
                return None
        return self.make(NsgRule, at, **fields)

    def route_table(self, at: At) -> None:
        rid, p = self.get(at, "id"), self.props(at)
        routes = []
        for ra in self.items(p, "routes"):
            rp = self.props(ra)
            prefix, hop = self.get(rp, "addressPrefix", required=True), \
                self.get(rp, "nextHopType", required=True)
            name = self.get(ra, "name") or last(self.get(ra, "id") or "route")
            if prefix is None or hop is None:
                continue
            if hop.lower() not in NEXT_HOPS:
                self.warn(ra, f"route {name}: next hop type {hop} is not modelled; skipped",
                          "properties")
                continue
            if not _address_like(prefix) or "/" not in prefix:
                self.warn(ra, f"route {name}: prefix {prefix} (a service tag?) is not "
                              "modelled; skipped", "properties")
                continue
            r = self.make(Udr, ra, name=name, prefix=prefix, next_hop=NEXT_HOPS[hop.lower()],
                          next_hop_ip=self.get(rp, "nextHopIpAddress"))
            routes += [r] if r else []
        table = self.make(RouteTable, at, name=last(rid), routes=routes,
                          disable_bgp_route_propagation=bool(
                              self.get(p, "disableBgpRoutePropagation", bool)))
        if table is not None:
            self.tables[key(rid)] = table
            for target, r in self.refs(p, "subnets"):
                self.back["subnet-rt"][key(target)] = (rid, r)

    def nat_gateway(self, at: At) -> None:
        rid, p = self.get(at, "id"), self.props(at)
        if self.get(p, "publicIpPrefixes", list):
            self.warn(at, f"public IP prefixes of NAT gateway {last(rid)} are not modelled",
                      "properties")
        ips = [key(i) for i, _ in self.refs(p, "publicIpAddresses")]
        nat = self.make(NatGateway, at, name=self.node_name(at, rid))
        if nat is not None:
            self.nats[key(rid)] = (nat, at, ips)
            for target, r in self.refs(p, "subnets"):
                self.back["subnet-nat"][key(target)] = (rid, r)

    def vnet(self, at: At) -> None:
        rid, p = self.get(at, "id"), self.props(at)
        space = self.get(self.obj(p, "addressSpace"), "addressPrefixes", list) or []
        v4 = [c for c in space if isinstance(c, str) and ":" not in c]
        if len(v4) < len(space):
            self.warn(at, f"IPv6 address space of {last(rid)} ignored (IPv6 is not modelled)",
                      "properties")
        for j, c in enumerate(v4):
            self.valid(p, c, IPv4Network, "addressSpace", j)
        name = self.node_name(at, rid)
        vnet = self.make(Vnet, at, address_space=v4, subscription=_subscription(rid),
                         region=self.get(at, "location"))
        if vnet is None:
            return
        self.vnets[key(rid)] = (name, vnet)
        for sa in self.items(p, "subnets"):
            self.subnet(sa, name, vnet)
        for pa in self.items(p, "virtualNetworkPeerings"):
            self.kinds[PEERING].append(pa)

    def standalone_subnet(self, at: At) -> None:
        vid = key(parent(self.get(at, "id"), "virtualNetworks"))
        if vid not in self.vnets:
            self.warn(at, "subnet of a VNet that is not in the export; skipped", "id")
            return
        if key(self.get(at, "id")) not in self.subnets:
            self.subnet(at, *self.vnets[vid])

    def subnet(self, at: At, vname: str, vnet: Vnet) -> None:
        rid = self.get(at, "id", required=True)
        if rid is None or key(rid) in self.subnets:
            return
        p = self.props(at)
        name, given = last(rid), self.get(at, "name")
        if given and given != name:
            self.warn(at, f"subnet name {given} differs from its id, which references use; "
                          f"imported as {name}", "name")
        prefix = self.get(p, "addressPrefix") or next(iter(self.get(p, "addressPrefixes", list)
                                                            or []), None)
        if prefix is None:
            self.error(p, "missing field addressPrefix", "addressPrefix")
            return
        if self.valid(p, prefix, IPv4Network, "addressPrefix"):
            s = self.make(Subnet, at, name=name, prefix=prefix)
            if s is not None:
                vnet.subnets.append(s)
                self.subnets[key(rid)] = (vname, s, p)

    def nic(self, at: At) -> None:
        rid, p = self.get(at, "id"), self.props(at)
        configs = self.items(p, "ipConfigurations")
        primary = next((c for c in configs if self.get(self.props(c), "primary", bool)),
                       configs[0] if configs else None)
        if primary is None:
            self.warn(at, f"NIC {last(rid)} has no IP configuration; not modelled")
            return
        if len(configs) > 1:
            self.warn(at, f"secondary IP configurations of NIC {last(rid)} are not modelled",
                      "properties")
        cp = self.props(primary)
        if self.get(cp, "privateIPAddressVersion") == "IPv6":
            self.warn(primary, f"NIC {last(rid)}: IPv6 configuration not modelled")
            return
        ip, subnet = self.get(cp, "privateIPAddress", required=True), self.ref(cp, "subnet")
        if ip is None or not self.valid(cp, ip, IPv4Address, "privateIPAddress"):
            return
        found = self.subnets.get(key(subnet or ""))
        if found is None:
            self.warn(cp, f"NIC {last(rid)} is in subnet {subnet}, which is not in the export; "
                          "not modelled", "subnet")
            return
        cfg_id = self.get(primary, "id") or f"{rid}/ipConfigurations/{self.get(primary, 'name')}"
        self.nic_ipconfig[key(cfg_id)] = key(rid)
        nic = self.make(Nic, at, name=last(rid), subnet=found[1].name, private_ip=ip,
                        ip_forwarding=bool(self.get(p, "enableIPForwarding", bool)))
        if nic is None:
            return
        nic_nsg = self.ref(p, "networkSecurityGroup")
        nic.nsg = self.resolve(nic_nsg, "nic-nsg", rid, at, self.nsgs)
        self.nics[key(rid)] = (nic, at, found[0])
        if (pub := self.ref(cp, "publicIPAddress")) is not None:
            self.ip_claims[key(pub)].append(("nic", key(rid), cp.to(pub, "publicIPAddress")))

    def resolve(self, forward: str | None, back_kind: str, target: str, at: At,
                known: dict) -> str | None:
        """The name of the resource `target` is associated with: its own reference (the
        writable side), else the other resource's back-reference."""
        back = self.back[back_kind].get(key(target))
        if forward is not None and back is not None and key(back[0]) != key(forward):
            self.warn(back[1], f"{last(back[0])} lists {last(target)}, which names "
                               f"{last(forward)}; {last(forward)} is used")
        rid = forward or (back[0] if back else None)
        if rid is None:
            return None
        if key(rid) not in known:
            self.warn(at, f"{last(target)} refers to {rid}, which is not in the export (or not "
                          "imported); the association is ignored")
            return None
        return known[key(rid)].name

    def associate(self) -> None:
        for sid, (vname, s, p) in self.subnets.items():
            s.nsg = self.resolve(self.ref(p, "networkSecurityGroup"), "subnet-nsg", sid, p,
                                 self.nsgs)
            s.route_table = self.resolve(self.ref(p, "routeTable"), "subnet-rt", sid, p,
                                         self.tables)
        self.public_ip_owners()
        for sid, (vname, s, p) in self.subnets.items():
            s.nat_gateway = self.resolve(self.ref(p, "natGateway"), "subnet-nat", sid, p,
                                         {k: n for k, (n, _, _) in self.nats.items()})
        for target, (rid, at) in {**self.back["subnet-nsg"], **self.back["subnet-rt"],
                                  **self.back["subnet-nat"]}.items():
            if target not in self.subnets:
                self.warn(at, f"{last(rid)} lists subnet {self.get(at, 'id')}, which is not in "
                              "the export; ignored")

    def public_ip_owners(self) -> None:
        """A public IP serves one NIC or NAT gateway: where several claim it, the one its own
        ipConfiguration names wins."""
        claims = self.ip_claims
        for nid, (nat, at, ips) in self.nats.items():
            for j, ip in enumerate(ips):
                claims[ip].append(("nat", nid, self.props(at).to(ip, "publicIpAddresses", j)))
        for ip, owners in claims.items():
            if ip not in self.public_ips:
                for _, rid, at in owners:
                    self.warn(at, f"public IP {ip} is not in the export (or has no address); "
                                  "ignored")
                continue
            address, body = self.public_ips[ip]
            ip_name = last(self.get(body, "id"))
            cfg = self.back["public-ip"].get(ip)
            named = self.nic_ipconfig.get(key(cfg[0])) if cfg else None
            keep = next((o for o in owners if o[0] == "nic" and o[1] == named), owners[0])
            if cfg and named != keep[1] and keep[0] == "nic":
                self.warn(cfg[1], f"public IP {ip_name} names {cfg[0]} as "
                                  f"its configuration, but {self.owner(keep)} uses it; the "
                                  "NIC's reference is kept")
            for o in owners:
                if o is not keep:
                    self.warn(o[2], f"public IP {ip_name} ({address}) already serves "
                                    f"{self.owner(keep)}; Azure allows one owner, so this "
                                    "reference is ignored")
            if keep[0] == "nic":
                self.nics[keep[1]][0].public_ip = address
            else:
                self.nats[keep[1]][0].public_ips.append(address)
        for nid, (nat, at, _) in list(self.nats.items()):
            if not nat.public_ips:
                self.warn(at, f"NAT gateway {nat.name} has no usable public IP; not modelled "
                              "(its subnets get no NAT)")
                del self.nats[nid]

    def owner(self, claim: tuple[str, str, At]) -> str:
        kind, rid, _ = claim
        return f"NIC {self.nics[rid][0].name}" if kind == "nic" else \
            f"NAT gateway {self.nats[rid][0].name}"

    def vm(self, at: At) -> Vm | None:
        rid = self.get(at, "id")
        refs = self.refs(self.obj(self.props(at), "networkProfile"), "networkInterfaces")
        nics, vnet = [], None
        for nid, r in refs:
            found = self.nics.get(key(nid))
            if found is None:
                self.warn(r, f"VM {last(rid)}: NIC {last(nid)} is not in the export (or not "
                             "modelled); skipped")
                continue
            if vnet is not None and found[2] != vnet:
                self.warn(r, f"VM {last(rid)}: NIC {last(nid)} is in VNet {found[2]}, not "
                             f"{vnet} like the VM's first NIC; skipped")
                continue
            vnet = found[2]
            nics.append(found[0])
        if not nics:
            self.warn(at, f"VM {last(rid)} has no modelled NIC; not modelled")
            return None
        vm = self.make(Vm, at, name=self.node_name(at, rid), nics=nics)
        if vm is not None:
            self.vnets_by_name()[vnet].vms.append(vm)
        return vm

    def vnets_by_name(self) -> dict[str, Vnet]:
        return {name: v for name, v in self.vnets.values()}

    def orphan_nics(self, vms: list[Vm]) -> None:
        used = {id(n) for vm in vms for n in vm.nics}
        for nic, at, _ in self.nics.values():
            if id(nic) not in used:
                self.warn(at, f"NIC {nic.name} is attached to no VM in the export; not "
                              "modelled")

    def peering(self, at: At, rid: str | None) -> None:
        rid = rid or ""
        vid = key(parent(rid, "virtualNetworks"))
        p = self.props(at)
        remote = self.ref(p, "remoteVirtualNetwork")
        if vid not in self.vnets or remote is None or key(remote) not in self.vnets:
            self.warn(at, f"peering {last(rid)} joins a VNet that is not in the export; "
                          "skipped")
            return
        state = self.get(p, "peeringState")
        if state not in (None, "Connected", "Initiated"):
            self.warn(at, f"peering {last(rid)} is {state}; skipped", "properties")
            return
        name, vnet = self.vnets[vid]
        if any(q.remote == self.vnets[key(remote)][0] for q in vnet.peerings):
            return  # the same peering, inline and standalone
        flags = {f: bool(self.get(p, camel, bool)) for f, camel in (
            ("allow_virtual_network_access", "allowVirtualNetworkAccess"),
            ("allow_forwarded_traffic", "allowForwardedTraffic"),
            ("allow_gateway_transit", "allowGatewayTransit"),
            ("use_remote_gateways", "useRemoteGateways")) if self.get(p, camel, bool) is not None}
        peering = self.make(Peering, at, name=self.node_name(at, rid),
                            remote=self.vnets[key(remote)][0], **flags)
        if peering is not None:
            vnet.peerings.append(peering)

    # ---- the result --------------------------------------------------------------------

    def build(self) -> Azure:
        fields: dict[str, Any] = {}
        for field in ("subscription", "region"):  # the export's, when it has only one
            values = {getattr(v, field) for _, v in self.vnets.values()} - {None}
            if len(values) == 1:
                fields[field] = values.pop()
        azure = Azure(**fields, network_security_groups=list(self.nsgs.values()),
                      route_tables=list(self.tables.values()),
                      nat_gateways=[n for n, _, _ in self.nats.values()],
                      vnets=dict(self.vnets_by_name()))
        azure._imported = True
        anchor = (self.kinds[VNET] or [None])[0]
        if anchor:
            azure.place(anchor.src, ())
        return azure


def _address_like(text) -> bool:
    """A CIDR, an address, `*` or a service tag cloudnet models."""
    s = str(text).strip()
    return s.lower() in ANY_WORDS or tag_name(s) is not None or s[:1].isdigit()


def _subscription(rid: str) -> str | None:
    parts = rid.strip("/").split("/")
    low = [p.lower() for p in parts]
    return parts[low.index("subscriptions") + 1] if "subscriptions" in low[:-1] else None

