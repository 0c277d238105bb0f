"""The whole topology file: clouds, on-premises sites and the internet."""

from __future__ import annotations

from pydantic import Field

from ..providers.aws.model import Aws
from ..providers.azure.model import Azure
from ..providers.gcp.model import Gcp
from ..providers.onprem.model import Site
from .base import ModelObject


class InternetHost(ModelObject):
    name: str
    ip: str


class Internet(ModelObject):
    hosts: list[InternetHost] = Field(default_factory=list)


class Topology(ModelObject):
    name: str = "lab"
    description: str = ""
    aws: Aws | None = None
    azure: Azure | None = None
    gcp: Gcp | None = None
    onprem: dict[str, Site] = Field(default_factory=dict)
    internet: Internet = Field(default_factory=Internet)
