"""LangGraph workflows, the dispatch entry and the output formatters."""
