"""The model layer: weights (fetch + verify), the local llama.cpp server, and schema-constrained calls."""
