"""OpenWard: an open-source hospital management system."""

__version__ = "0.1.0"
