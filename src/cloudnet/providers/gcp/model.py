"""GCP resources as the topology file states them (filled in by the GCP provider work)."""

from __future__ import annotations

from ...model.base import ModelObject


class Gcp(ModelObject):
    pass
