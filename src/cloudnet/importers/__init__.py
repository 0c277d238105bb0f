"""Importers of other tools' files into the topology model, and exporters back to them."""
