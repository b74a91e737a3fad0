"""Role agents (DevSecOps, SDET, SRE). The registry is the explicit ``AGENTS`` dict in ``agents.registry``."""
