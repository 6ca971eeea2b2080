"""almguard checker: load a registry snapshot, evaluate the ALM policies, produce a result."""

__version__ = "0.1.0"
