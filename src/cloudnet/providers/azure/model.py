"""Azure resources as the topology file states them (filled in by the Azure provider work)."""

from __future__ import annotations

from ...model.base import ModelObject


class Azure(ModelObject):
    pass
