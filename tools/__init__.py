"""Tool adapters: one file per tool, each with a pydantic ``Params`` model the model sees as a JSON schema.

The registry is the explicit ``TOOLS`` dict in ``tools.registry``; nothing registers itself on import.
"""
