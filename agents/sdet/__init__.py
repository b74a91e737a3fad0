"""The SDET role: untested changed functions, and generated tests that earn their place (``testgen``)."""
