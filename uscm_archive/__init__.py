"""Composition root: settings and the ``uscm-archive`` command. Everything else lives in the domain packages."""

__version__ = "0.1.0"
