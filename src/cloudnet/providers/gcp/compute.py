"""Import GCP Compute API JSON (what the API and `gcloud compute … --format=json` print).

Every *.json file below the folder is read; each resource is recognised by its `kind`
(compute#network, compute#subnetwork, compute#firewall, compute#instance, compute#router,
compute#route, …) or, for responses without one (effective firewalls, aggregated lists, bare
gcloud lists, project records), by its structure — never by the file name.  A resource seen
twice (same selfLink) keeps its newest record.  Names are GCP's; a name used in more than one
region or zone is qualified with it (`europe-west4/default`).  Whatever is not modelled
(hierarchical firewall policies, alias and secondary ranges, runtime NAT mappings, …) is a
warning with file and line, never dropped silently; malformed files raise InputError.
"""

from __future__ import annotations

from collections import defaultdict
from ipaddress import IPv4Address, IPv4Network, ip_network
from pathlib import Path


from ...diagnostics import Diagnostic, InputError
from ...importers.jsondoc import At, JsonImporter
from .model import (CloudNat, CloudRouter, FirewallRule, Gcp, Instance, Network, Nic, Peering,
                    Project, Protocol, Route, Subnet)

RESOURCES = {"compute#network", "compute#subnetwork", "compute#firewall", "compute#instance",
             "compute#router", "compute#route", "compute#address"}
METADATA = {"compute#zone", "compute#region", "compute#machineType", "compute#project",
            "compute#instanceGroupManager"}  # no network configuration of their own
RUNTIME = {"compute#vmEndpointNatMappingsList": "runtime NAT port mappings"}
ALL_SUBNETS = {"ALL_SUBNETWORKS_ALL_IP_RANGES", "ALL_SUBNETWORKS_ALL_PRIMARY_IP_RANGES"}
PROBE_BYTES = 65536
# The fields the importer reads, with their JSON types: a record that deviates is an error
# (file, line, field) before anything is built from it.
_NAMED = {"name": str, "selfLink": str, "creationTimestamp": str}
_PROTOS = [{"IPProtocol": str, "ports": [(str, int)]}]
SHAPES: dict[str, dict] = {
    "compute#network": {**_NAMED, "autoCreateSubnetworks": bool, "subnetworks": [str],
                        "routingConfig": {"routingMode": str},
                        "peerings": [{"name": str, "network": str, "exportCustomRoutes": bool,
                                      "importCustomRoutes": bool}]},
    "compute#subnetwork": {**_NAMED, "network": str, "ipCidrRange": str, "purpose": str,
                           "secondaryIpRanges": list},
    "compute#firewall": {**_NAMED, "network": str, "priority": int, "direction": str,
                         "allowed": _PROTOS, "denied": _PROTOS, "disabled": bool,
                         **{k: [str] for k in ("sourceRanges", "destinationRanges", "sourceTags",
                                               "targetTags", "sourceServiceAccounts",
                                               "targetServiceAccounts")}},
    "compute#instance": {**_NAMED, "zone": str, "status": str, "canIpForward": bool,
                         "tags": {"items": [str]}, "serviceAccounts": [{"email": str}],
                         "networkInterfaces": [{"network": str, "subnetwork": str,
                                                "networkIP": str, "aliasIpRanges": list,
                                                "accessConfigs": [{"natIP": str}]}]},
    "compute#router": {**_NAMED, "network": str, "bgpPeers": list, "interfaces": list,
                       "bgp": {"asn": int, "advertiseMode": str,
                               "advertisedIpRanges": [{"range": str}]},
                       "nats": [{"name": str, "type": str, "natIps": [str],
                                 "sourceSubnetworkIpRangesToNat": str,
                                 "subnetworks": [{"name": str}]}]},
    "compute#route": {**_NAMED, "network": str, "destRange": str, "priority": int,
                      "nextHopGateway": str, "nextHopInstance": str, "nextHopIp": str,
                      "tags": [str]},
    "compute#address": {**_NAMED, "address": str},
    "status": {"natStatus": [{"userAllocatedNatIpResources": [str],
                              "userAllocatedNatIps": [str]}]},
}
JSON_TYPES = {str: "a string", int: "a number", bool: "true or false", dict: "an object",
              list: "a list"}


def is_compute_folder(path: Path) -> bool:
    """A folder holding Compute API JSON (recognised by content: a compute# kind)."""
    for f in sorted(Path(path).rglob("*.json")):
        try:
            with open(f, "rb") as fh:
                if b'"compute#' in fh.read(PROBE_BYTES):
                    return True
        except OSError:
            continue
    return False


def load_compute(folder: Path) -> tuple[Gcp, list[Diagnostic]]:
    """The GCP model of the export and its warnings; InputError if a file is malformed."""
    return _Importer(Path(folder)).run()


def _last(url: str | None) -> str:
    return str(url or "").rstrip("/").rsplit("/", 1)[-1]


def _scope(url: str, kind: str) -> str:
    """The region or zone named in a resource URL (…/regions/<r>/… or …/zones/<z>/…)."""
    parts = str(url).split("/")
    return parts[parts.index(kind) + 1] if kind in parts[:-1] else ""


def _project(url: str) -> str:
    return _scope(url, "projects")


def _names(keys: list[tuple[str, ...]]) -> dict[tuple[str, ...], str]:
    """Each key (scope…, name) gets the shortest name that is unique: the name alone, then
    qualified by the first scope, then by all of them."""
    out: dict[tuple[str, ...], str] = {}
    for form in (lambda k: k[-1], lambda k: f"{k[0]}/{k[-1]}", lambda k: "/".join(k)):
        counts: dict[str, int] = defaultdict(int)
        for k in keys:
            counts[form(k)] += 1
        for k in keys:
            if k not in out and counts[form(k)] == 1:
                out[k] = form(k)
    for k in keys:
        out.setdefault(k, "/".join(k))
    return out


class _Importer(JsonImporter):
    def __init__(self, folder: Path):
        super().__init__(folder)
        self.records: dict[str, list[At]] = defaultdict(list)  # kind -> items
        self.nat_ips: dict[str, str] = {}  # address URL -> IP
        self.projects: list[str] = []
        self.policies: list[At] = []

    def where(self, at: At) -> str:
        return f"{at.src.file}:{at.src.line(at.path)}"

    # ---- reading -------------------------------------------------------------------------

    def run(self) -> tuple[Gcp, list[Diagnostic]]:
        for _, top in self.files(self.folder):
            self.collect(top)
        if self.errors:
            raise InputError(self.errors)
        gcp = self.build()
        if self.errors:
            raise InputError(self.errors)
        return gcp, self.warnings

    def collect(self, at: At) -> None:
        data = at.data
        if isinstance(data, list):  # a bare gcloud list
            for i, item in enumerate(data):
                self.collect(at.to(item, i))
            return
        if isinstance(data, str) and not at.path:
            # What git leaves of a symbolic link on a system without them: the target's name.
            self.warn(at, f"holds only the text '{data}' (a symbolic link stored as a file?), "
                          "no JSON resources; ignored")
            return
        if not isinstance(data, dict):
            self.error(at, "expected a JSON object or list of Compute API resources")
            return
        kind = str(data.get("kind", ""))
        if kind in RESOURCES:
            if not data.get("name"):
                self.error(at, f"a {kind} needs a name", "name")
            elif self.shaped(at, SHAPES.get(kind, _NAMED)):
                self.records[kind].append(at)
        elif kind == "compute#routerStatusResponse":
            status = at.to(data.get("result") or {}, "result")
            if self.shaped(status, SHAPES["status"]):
                self.router_status(status)
        elif kind in RUNTIME:
            self.warn(at, f"{RUNTIME[kind]}: runtime state, not configuration; ignored")
        elif isinstance(data.get("items"), list):  # compute#…List
            for i, item in enumerate(data["items"]):
                self.collect(at.to(item, "items", i))
        elif isinstance(data.get("items"), dict):  # an aggregated list: scope -> {kind: [...]}
            for scope, group in data["items"].items():
                for key, value in (group.items() if isinstance(group, dict) else []):
                    if isinstance(value, list):
                        self.collect(at.to(value, "items", scope, key))
        elif "firewalls" in data or "firewallPolicys" in data:  # effective firewalls
            if not self.shaped(at, {"firewalls": list, "firewallPolicys": [dict]}):
                return
            self.collect(at.to(data.get("firewalls") or [], "firewalls"))
            for i, p in enumerate(data.get("firewallPolicys") or []):
                pat = at.to(p, "firewallPolicys", i)
                self.warn(pat, f"{str(pat.get('type', '')).lower() or 'a'} firewall policy "
                               f"{pat.get('shortName') or pat.get('name')}: firewall policies "
                               "are not modelled (only VPC firewall rules); its rules are "
                               "ignored")
        elif "projectId" in data:  # a Resource Manager project record
            self.projects.append(str(data["projectId"]))
        elif isinstance(data.get("result"), list) and \
                all(isinstance(r, dict) and "natName" in r for r in data["result"]):
            self.warn(at, "NAT IP usage: runtime state, not configuration; ignored")
        elif kind in METADATA or (kind.endswith("List") and not data.get("items")):
            return
        else:
            self.warn(at, f"{kind or 'this object'} is not a resource cloudnet models; ignored")

    def shaped(self, at: At, spec, *sub) -> bool:
        """Whether the value at `sub` has the JSON types `spec` gives (errors name each
        deviation); absent and null fields are fine."""
        value = at.data
        for part in sub:
            value = value[part]
        if value is None:
            return True
        if isinstance(spec, dict):
            if not isinstance(value, dict):
                self.error(at, f"expected an object, got {_json_type(value)}", *sub)
                return False
            return all([self.shaped(at, v, *sub, k) for k, v in spec.items() if k in value])
        if isinstance(spec, list):
            if not isinstance(value, list):
                self.error(at, f"expected a list, got {_json_type(value)}", *sub)
                return False
            if None in value:
                self.error(at, "a list item is null", *sub, value.index(None))
                return False
            return all([self.shaped(at, spec[0], *sub, i) for i in range(len(value))])
        types = spec if isinstance(spec, tuple) else (spec,)
        if isinstance(value, bool) != (bool in types) or not isinstance(value, types):
            want = " or ".join(JSON_TYPES[t] for t in types)
            self.error(at, f"expected {want}, got {_json_type(value)}", *sub)
            return False
        return True

    def router_status(self, at: At) -> None:
        for st in at.get("natStatus") or []:
            urls = st.get("userAllocatedNatIpResources") or []
            ips = st.get("userAllocatedNatIps") or []
            self.nat_ips.update(zip(urls, ips))

    def newest(self, kind: str) -> list[At]:
        """One record per selfLink: the newest (by creationTimestamp, then first read)."""
        chosen: dict[str, At] = {}
        for at in self.records[kind]:
            link = str(at.get("selfLink") or id(at))
            first = chosen.get(link)
            if first is None:
                chosen[link] = at
                continue
            keep, drop = (at, first) if str(at.get("creationTimestamp", "")) > \
                str(first.get("creationTimestamp", "")) else (first, at)
            chosen[link] = keep
            if _content(keep.data) != _content(drop.data):
                self.warn(drop, f"{at.get('name')} appears again, different from the record at "
                                f"{self.where(keep)}; that one (the newest, or first read) is "
                                "used")
        return list(chosen.values())

    # ---- building the model --------------------------------------------------------------

    def build(self) -> Gcp:
        projects: dict[str, Project] = defaultdict(Project)
        nets = self.networks(projects)
        subnets = self.subnets(nets)
        self.firewalls(nets)
        self.routes(nets)
        self.instances(nets, subnets, projects)
        self.routers(nets, subnets, projects)
        self.peerings(nets)
        return Gcp(projects=dict(projects))

    def networks(self, projects) -> dict[str, tuple[str, Network, At]]:
        """network URL -> (name, model, record)."""
        records = self.newest("compute#network")
        names = _names([(_project(at.get("selfLink", "")), str(at.get("name"))) for at in records])
        out = {}
        for at in records:
            key = (_project(at.get("selfLink", "")), str(at.get("name")))
            mode = "auto" if at.get("autoCreateSubnetworks") else "custom"
            routing = str((at.get("routingConfig") or {}).get("routingMode", "REGIONAL")).lower()
            net = self.make(Network, at, mode=mode, routing_mode=routing)
            if net is None:
                continue
            projects[key[0] or (self.projects or ["project"])[0]].networks[names[key]] = net
            out[str(at.get("selfLink"))] = (names[key], net, at)
        return out

    def subnets(self, nets) -> dict[str, tuple[str, Subnet | None, list[str]]]:
        """subnetwork URL -> (name, model or None if it must be inferred, network URL)."""
        records = []
        for at in self.newest("compute#subnetwork"):
            if str(at.get("network")) not in nets:
                self.warn(at, f"subnetwork {at.get('name')} is in network "
                              f"{_last(at.get('network'))}, which is not in the export; skipped")
                continue
            if at.get("purpose", "PRIVATE") not in ("PRIVATE", "PRIVATE_RFC_1918"):
                self.warn(at, f"{at.get('purpose')} subnetwork {at.get('name')} is not modelled; "
                              "skipped", "purpose")
                continue
            if at.get("secondaryIpRanges"):
                self.warn(at, "secondary ranges are not modelled; ignored", "secondaryIpRanges")
            records.append(at)
        # Subnetworks that only instances name: their range is inferred from the instances.
        named = {str(n.get("subnetwork")): n for at in self.records["compute#instance"]
                 for n in (at.get("networkInterfaces") or []) if isinstance(n, dict)}
        known = {str(at.get("selfLink")) for at in records}
        missing = [u for u in named if u not in known and str(named[u].get("network")) in nets
                   and u in (nets[str(named[u].get("network"))][2].get("subnetworks") or [])]
        keys = [(_scope(at.get("selfLink", ""), "regions"), str(at.get("name"))) for at in records]
        keys += [(_scope(u, "regions"), _last(u)) for u in missing]
        names = _names(keys)
        out: dict[str, tuple[str, Subnet | None, str]] = {}
        for at in records:
            key = (_scope(at.get("selfLink", ""), "regions"), str(at.get("name")))
            s = self.make(Subnet, at, name=names[key], region=key[0],
                          cidr=str(at.get("ipCidrRange")))
            if s is not None:
                nets[str(at.get("network"))][1].subnets.append(s)
                out[str(at.get("selfLink"))] = (names[key], s, str(at.get("network")))
        for u in missing:
            out[u] = (names[(_scope(u, "regions"), _last(u))], None, str(named[u].get("network")))
        for url, (name, net, at) in nets.items():
            listed = [s for s in (at.get("subnetworks") or []) if s not in out]
            if listed:
                self.warn(at, f"network {name} lists {len(listed)} subnetwork(s) that are not in "
                              "the export; skipped", "subnetworks")
        return out

    def firewalls(self, nets) -> None:
        records = self.newest("compute#firewall")
        if not records and self.records["compute#instance"]:
            anchor = self.records["compute#instance"][0]
            self.warn(anchor, "the export holds no firewall rules: only the implied rules apply "
                              "(all ingress denied, all egress allowed)")
        for at in records:
            if str(at.get("network")) not in nets:
                self.warn(at, f"firewall rule {at.get('name')} is in a network not in the "
                              "export; skipped", "network")
                continue
            rule = self.firewall(at)
            if rule is not None:
                nets[str(at.get("network"))][1].firewall_rules.append(rule)

    def firewall(self, at: At) -> FirewallRule | None:
        verdict = "denied" if at.get("denied") else "allowed"
        protocols = []
        for i, p in enumerate(at.get(verdict) or []):
            proto = self.make(Protocol, at.to(p, verdict, i), protocol=p.get("IPProtocol", "all"),
                              ports=p.get("ports") or [])
            if proto is not None:
                protocols.append(proto)
        fields = {}
        for key, field in (("sourceRanges", "source_ranges"),
                           ("destinationRanges", "destination_ranges")):
            v4 = [r for r in at.get(key) or [] if ":" not in r]
            if len(v4) < len(at.get(key) or []):
                self.warn(at, "IPv6 ranges are not modelled; ignored", key)
            fields[field] = v4
        direction = str(at.get("direction", "INGRESS")).lower()
        if direction == "ingress" and fields["destination_ranges"]:
            self.warn(at, "destination ranges of an ingress rule are not modelled; ignored",
                      "destinationRanges")
            fields["destination_ranges"] = []
        if at.get("sourceRanges") and not fields["source_ranges"] and \
                not at.get("sourceTags") and not at.get("sourceServiceAccounts"):
            self.warn(at, f"firewall rule {at.get('name')} matches only IPv6 sources; skipped")
            return None
        return self.make(
            FirewallRule, at, name=str(at.get("name")), priority=int(at.get("priority", 1000)),
            direction=direction, action="deny" if verdict == "denied" else "allow",
            protocols=protocols,
            target_tags=at.get("targetTags") or [],
            target_service_accounts=at.get("targetServiceAccounts") or [],
            source_tags=at.get("sourceTags") or [],
            source_service_accounts=at.get("sourceServiceAccounts") or [],
            disabled=bool(at.get("disabled")), **fields)

    def routes(self, nets) -> None:
        records = self.newest("compute#route")
        routed = {str(at.get("network")) for at in records}
        for url, (name, net, at) in nets.items():
            if url in routed:  # the export shows the network's routes, system default included
                net.default_internet_route = False
            elif not records:
                self.warn(at, f"the export holds no routes: network {name} is assumed to have "
                              "its system default route to the internet gateway")
        for at in records:
            if not _ipv4(at.get("destRange")) or str(at.get("network")) not in nets:
                continue
            if at.get("nextHopNetwork") or at.get("nextHopPeering"):
                continue  # subnet and peering routes: GCP makes them, so does the compiler
            hop = {}
            if at.get("nextHopGateway"):
                hop["next_hop_gateway"] = _last(at.get("nextHopGateway"))
            elif at.get("nextHopInstance"):
                hop["next_hop_instance"] = _last(at.get("nextHopInstance"))
            elif at.get("nextHopIp"):
                hop["next_hop_ip"] = at.get("nextHopIp")
            else:
                self.warn(at, f"route {at.get('name')}: its next hop (VPN tunnel, load balancer "
                              "or hub) is not imported; skipped")
                continue
            route = self.make(Route, at, name=str(at.get("name")), destination=at.get("destRange"),
                              priority=int(at.get("priority", 1000)), tags=at.get("tags") or [],
                              **hop)
            if route is not None:
                nets[str(at.get("network"))][1].routes.append(route)

    def instances(self, nets, subnets, projects) -> None:
        records = []
        for at in self.newest("compute#instance"):
            if at.get("status", "RUNNING") not in ("RUNNING", "PROVISIONING", "STAGING"):
                self.warn(at, f"instance {at.get('name')} is {at.get('status')}; skipped",
                          "status")
                continue
            nics = [n for n in at.get("networkInterfaces") or [] if isinstance(n, dict)]
            unlisted = [n for n in nics if not self.subnet_listed(nets, subnets, n)]
            if unlisted:
                self.warn(at, f"instance {at.get('name')}: subnetwork "
                              f"{_scope(unlisted[0].get('subnetwork', ''), 'regions')}/"
                              f"{_last(unlisted[0].get('subnetwork'))} is neither in the export "
                              f"nor listed by network {_last(unlisted[0].get('network'))}'s "
                              "record (a stale record?); skipped", "networkInterfaces")
                continue
            records.append((at, nics))
        names = _names([(_scope(at.get("zone", ""), "zones") or _last(at.get("zone")),
                         str(at.get("name"))) for at, _ in records])
        inferred: dict[str, list[tuple[IPv4Address, At]]] = defaultdict(list)
        for at, nics in records:
            zone = _last(at.get("zone"))
            out = []
            for i, n in enumerate(nics):
                nat = next((c.get("natIP") for c in n.get("accessConfigs") or []
                            if c.get("natIP")), None)
                if n.get("aliasIpRanges"):
                    self.warn(at, "alias IP ranges are not modelled; ignored",
                              "networkInterfaces", i, "aliasIpRanges")
                name, model, _ = subnets[str(n.get("subnetwork"))]
                if model is None and _ipv4(n.get("networkIP")):
                    inferred[str(n.get("subnetwork"))].append(
                        (IPv4Address(n["networkIP"]), at.to(n, "networkInterfaces", i)))
                nic = self.make(Nic, at.to(n, "networkInterfaces", i), subnet=name,
                                ip=str(n.get("networkIP")), external_ip=nat)
                if nic is not None:
                    out.append(nic)
            tags = (at.get("tags") or {}).get("items") or []
            accounts = [s.get("email") for s in at.get("serviceAccounts") or []]
            vm = self.make(Instance, at, name=names[(zone, str(at.get("name")))], zone=zone,
                           interfaces=out, tags=tags, service_account=accounts[0] if accounts
                           else None, can_ip_forward=bool(at.get("canIpForward")))
            if vm is not None and out:
                proj = _project(at.get("selfLink", "")) or (self.projects or ["project"])[0]
                projects[proj].instances.append(vm)
        for url, members in inferred.items():
            self.infer_subnet(nets, subnets, url, members)

    @staticmethod
    def subnet_listed(nets, subnets, n: dict) -> bool:
        """A NIC's subnetwork is usable if exported, or if its network's record lists it."""
        return str(n.get("subnetwork")) in subnets and str(n.get("network")) in nets

    def infer_subnet(self, nets, subnets, url: str, members) -> None:
        """The smallest range (at least /29) holding every member away from GCP's four
        reserved addresses: the export lacks the subnetwork, not its instances."""
        name, _, net_url = subnets[url]
        ips = [ip for ip, _ in members]
        for plen in range(29, 7, -1):
            cidr = IPv4Network(f"{min(ips)}/{plen}", strict=False)
            edge = {cidr.network_address, cidr.network_address + 1,
                    cidr.broadcast_address - 1, cidr.broadcast_address}
            if all(ip in cidr and ip not in edge for ip in ips):
                break
        first = members[0][1]
        self.warn(first, f"subnetwork {name} is not in the export: its range is inferred as "
                         f"{cidr} from its instances' addresses", "subnetwork")
        s = Subnet(name=name, region=_scope(url, "regions"), cidr=str(cidr))
        s.place(first.src, (*first.path, "subnetwork"))
        nets[net_url][1].subnets.append(s)
        subnets[url] = (name, s, net_url)

    def routers(self, nets, subnets, projects) -> None:
        records = [at for at in self.newest("compute#router") if str(at.get("network")) in nets]
        names = _names([(_scope(at.get("selfLink", ""), "regions"), str(at.get("name")))
                        for at in records])
        nat_names = _names([(_scope(at.get("selfLink", ""), "regions"), str(at.get("name")),
                             str(n.get("name"))) for at in records for n in at.get("nats") or []])
        for at in records:
            region = _scope(at.get("selfLink", ""), "regions")
            bgp = at.to(at.get("bgp") or {}, "bgp")
            for key in ("bgpPeers", "interfaces"):
                if at.get(key):
                    self.warn(at, f"{key}: BGP peers and interfaces lead to VPN tunnels and "
                                  "attachments, which are not imported; ignored", key)
            nats = [n for n in (self.cloud_nat(at.to(n, "nats", i), region, nat_names, subnets,
                                               str(at.get("name")))
                                for i, n in enumerate(at.get("nats") or [])) if n]
            kwargs = {"asn": int(bgp.get("asn"))} if bgp.get("asn") else {}
            r = self.make(CloudRouter, at, name=names[(region, str(at.get("name")))],
                          network=nets[str(at.get("network"))][0], region=region,
                          advertise_mode=str(bgp.get("advertiseMode", "DEFAULT")).lower(),
                          advertised_prefixes=[a.get("range") for a in
                                               bgp.get("advertisedIpRanges") or []],
                          nats=nats, **kwargs)
            if r is not None:
                proj = _project(at.get("selfLink", "")) or (self.projects or ["project"])[0]
                projects[proj].routers.append(r)

    def cloud_nat(self, at: At, region: str, names, subnets, router: str) -> CloudNat | None:
        if at.get("type", "PUBLIC") != "PUBLIC":
            self.warn(at, f"{str(at.get('type')).lower()} Cloud NAT {at.get('name')} is not "
                          "modelled; skipped", "type")
            return None
        ips = [self.nat_ips.get(u) for u in at.get("natIps") or []]
        if not ips or None in ips:
            self.warn(at, f"Cloud NAT {at.get('name')}: its NAT IP addresses are not in the "
                          "export (automatic allocation, or no router status); skipped", "natIps")
            return None
        mode = at.get("sourceSubnetworkIpRangesToNat")
        covered: str | list[str] = "all"
        if mode not in ALL_SUBNETS:
            covered = [subnets[s["name"]][0] for s in at.get("subnetworks") or []
                       if s.get("name") in subnets]
        return self.make(CloudNat, at, name=names[(region, router, str(at.get("name")))],
                         subnets=covered, nat_ips=ips)

    def peerings(self, nets) -> None:
        for url, (name, net, at) in nets.items():
            for i, p in enumerate(at.get("peerings") or []):
                pat = at.to(p, "peerings", i)
                if str(p.get("network")) not in nets:
                    self.warn(pat, f"peering {p.get('name')}: network "
                                   f"{_last(p.get('network'))} is not in the export; skipped")
                    continue
                peer = self.make(Peering, pat, name=f"{name}/{p.get('name')}",
                                 network=nets[str(p.get("network"))][0],
                                 export_custom_routes=bool(p.get("exportCustomRoutes")),
                                 import_custom_routes=bool(p.get("importCustomRoutes")))
                if peer is not None:
                    net.peerings.append(peer)


def _json_type(value) -> str:
    return next((n for t, n in JSON_TYPES.items() if type(value) is t), type(value).__name__)


def _ipv4(text) -> bool:
    try:
        return ip_network(str(text), strict=False).version == 4
    except ValueError:
        return False


def _content(data: dict) -> dict:
    """A record without what changes when a resource is merely re-read or re-created."""
    return {k: v for k, v in data.items() if k not in ("fingerprint", "id", "creationTimestamp",
                                                        "etag", "selfLinkWithId")}
