"""opsquad: specialized AI agents for DevSecOps, SDET and SRE work, served by local small models."""

__version__ = "0.1.0"
