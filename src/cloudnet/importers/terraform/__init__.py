"""Terraform as an input: `terraform show -json` plans and states, and folders of .tf sources.

plan.py and hcl.py turn either into Resources (resolve.py); each provider's mapping (aws.py,
azure.py, gcp.py) turns the resources of its kind into its part of the topology (Azure's and
GCP's also the on-premises sites their VPNs end at); whatever no mapping takes, and every
value only known after apply, is in the Report.
"""

from __future__ import annotations

from pathlib import Path

from ...diagnostics import Diagnostic, InputError
from ...model.topology import Topology
from .aws import AwsImport
from .azure import AzureImport
from .gcp import GcpImport
from .hcl import is_tf_folder, load_tf
from .plan import is_plan, load_plan
from .resolve import Report, Resource

# type prefix -> (the topology's field, the mapping of that provider's resources)
MAPPINGS = {"aws_": ("aws", AwsImport), "azurerm_": ("azure", AzureImport),
            "google_": ("gcp", GcpImport)}


def is_terraform(path: str | Path) -> bool:
    p = Path(path)
    return is_tf_folder(p) or is_plan(p)


def read_resources(path: str | Path, variables: dict[str, str] | None = None,
                   var_files: list[Path] | None = None) -> tuple[list[Resource], list[Diagnostic]]:
    p = Path(path)
    if is_tf_folder(p):
        return load_tf(p, variables, var_files)
    if p.is_file() and p.suffix == ".json":
        return load_plan(p), []
    raise InputError([Diagnostic(str(p), None, "", "expected `terraform show -json` output "
                                 "(a .json file) or a folder holding .tf files")])


def load_terraform(path: str | Path, variables: dict[str, str] | None = None,
                   var_files: list[Path] | None = None) -> tuple[Topology, Report]:
    """The topology of a plan, state or .tf folder, and the report of what was not taken."""
    p = Path(path)
    resources, notes = read_resources(p, variables, var_files)
    report = Report(notes=list(notes))
    parts, sites = {}, {}
    for prefix, (field, mapping) in MAPPINGS.items():
        mine = [r for r in resources if r.type.startswith(prefix)]
        m = mapping(mine, report)
        if part := m.run():
            parts[field] = part
            part.place(mine[0].src, (mine[0].address,))
        sites.update(getattr(m, "sites", {}))  # the far ends of Azure's and GCP's VPNs
    for r in resources:
        if not any(r.type.startswith(prefix) for prefix in MAPPINGS):
            provider = r.type.split("_", 1)[0]
            report.skip(r, f"the {provider} provider's resources are not imported yet")
    name = p.stem.removesuffix(".plan") if p.is_file() else p.resolve().name
    return Topology(name=name, onprem=sites, **parts), report
