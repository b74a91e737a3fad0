"""The SRE role: deterministic analyzers, the model's choice and explanation, citations checked in code."""
