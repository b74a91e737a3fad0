"""SRE evaluation: incident scenarios materialized on a real control plane, investigated, scored on facts."""
