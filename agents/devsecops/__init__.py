"""The DevSecOps role: Semgrep finds, the model triages by facts, code verifies fixes (``agent.DevSecOpsAgent``)."""
