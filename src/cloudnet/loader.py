"""From a path (topology YAML, AWS describe snapshot folder, Terraform plan/state JSON or .tf
folder) to a validated model and its IR."""

from __future__ import annotations

import copy
from pathlib import Path

from pydantic import ValidationError

from . import yamlsource
from .diagnostics import Diagnostic, InputError
from .controlplane.bgp import converge
from .ir.model import Network
from .model.base import place_tree
from .model.errors import pydantic_diagnostics
from .model.topology import Topology
from .model.validate import validate_topology
from .importers import terraform
from .providers.aws import snapshot
from .providers.aws.compile import compile_aws
from .providers.azure import arm
from .providers.azure.compile import compile_azure, complete_azure
from .providers.gcp import compute
from .providers.gcp.compile import compile_gcp
from .providers.internet import compile_internet
from .providers.onprem.compile import compile_sites, site_policies


def load_model(path: str | Path) -> tuple[Topology, list[Diagnostic]]:
    """The topology and its warnings; InputError with every problem if it is not valid."""
    p = Path(path)
    # A plan/state JSON or a folder of .tf (a snapshot may keep the .tf that made it: the
    # snapshot is what was deployed, so it wins).
    if terraform.is_terraform(p) and not snapshot.is_snapshot(p):
        topo, report = terraform.load_terraform(p)
        warnings = report.diagnostics()
    elif p.is_dir() and compute.is_compute_folder(p):
        gcp, warnings = compute.load_compute(p)
        topo = Topology(name=p.name, gcp=gcp)
    elif p.is_dir() and arm.is_arm_folder(p):
        azure, warnings = arm.load_arm(p)
        topo = Topology(name=p.name, azure=azure)
    elif p.is_dir():
        if not snapshot.is_snapshot(p):
            raise InputError([Diagnostic(str(p), None, "", "a folder must be an AWS snapshot "
                                         "holding aws_configs/*.json, Azure ARM JSON in "
                                         "azure_configs/, or GCP Compute API JSON")])
        aws, warnings = snapshot.load_snapshot(p)
        topo = Topology(name=p.name, aws=aws)
    else:
        data, source = yamlsource.load(p)
        if not isinstance(data, dict):
            raise InputError([Diagnostic(str(p), 1, "", "the topology must be a mapping "
                                         "(name:, aws:, onprem:, internet:)")])
        topo, warnings = _structure(data, source)
    diagnostics = warnings + validate_topology(topo)
    if any(d.severity == "error" for d in diagnostics):
        raise InputError(diagnostics)
    return topo, diagnostics


def _structure(data: dict, source) -> tuple[Topology, list[Diagnostic]]:
    """Validate the shape; unknown keys are reported but, once dropped, the rest is still
    checked, so a typo does not hide the other problems."""
    try:
        topo = Topology.model_validate(data)
    except ValidationError as err:
        problems = pydantic_diagnostics(err, source, data, Topology)
        unknown = [e["loc"] for e in err.errors() if e["type"] == "extra_forbidden"]
        if len(unknown) < len(err.errors()):
            raise InputError(problems) from None
        pruned = copy.deepcopy(data)
        for loc in unknown:
            parent = pruned
            for part in loc[:-1]:
                parent = parent[part]
            parent.pop(loc[-1], None)
        topo = Topology.model_validate(pruned)
        place_tree(topo, source)
        raise InputError(problems + validate_topology(topo)) from None
    place_tree(topo, source)
    return topo, []


def compile_topology(topo: Topology, down: frozenset[str] = frozenset()) -> Network:
    """The IR of a topology, with BGP computed; `down` takes nodes or links out of service
    (what-if analysis of a failure)."""
    net = Network(topo.name)
    compile_internet(topo.internet, net)
    compile_sites(topo.onprem, net)
    routers = {s.router.name: s.router.name for s in topo.onprem.values()}
    routers.update({name: s.router.name for name, s in topo.onprem.items()})
    if topo.aws is not None:
        compile_aws(topo.aws, net, routers)
    if topo.azure is not None:
        compile_azure(topo.azure, net, routers)
    if topo.gcp is not None:
        compile_gcp(topo.gcp, net, routers)
    site_policies(topo.onprem, net)
    net.down = frozenset(resolve_down(net, down))
    converge(net, net.down)
    if topo.azure is not None:  # its VirtualNetwork service tag holds BGP-learned ranges
        complete_azure(topo.azure, net, routers)
    return net


def resolve_down(net: Network, names) -> set[str]:
    """Node names, link ids, `A--B` for every link joining nodes A and B, or the name of a
    VPN connection or circuit (the links it names)."""
    out: set[str] = set()
    for name in names:
        if name in net.links or name in net.nodes:
            out.add(name)
        elif "--" in name and all(n in net.nodes for n in name.split("--", 1)):
            a, b = name.split("--", 1)
            out.update(lid for lid, link in net.links.items()
                       if {e[0] for e in link.endpoints} >= {a, b})
        elif net.resolve(name):
            out.add(net.resolve(name))
        elif by_iface := [lid for lid, link in net.links.items()
                          if any(iface == name for _, iface in link.endpoints)]:
            out.update(by_iface)  # a tunnel or circuit by its name (a VPN connection, a VIF)
        else:
            from .diagnostics import did_you_mean
            raise InputError([Diagnostic("--down", None, "", f"no node or link '{name}'"
                                         f"{did_you_mean(name, net.nodes)}")])
    return out


def load_network(path: str | Path, down: list[str] | None = None
                 ) -> tuple[Network, list[Diagnostic]]:
    topo, warnings = load_model(path)
    return compile_topology(topo, frozenset(down or ())), warnings
