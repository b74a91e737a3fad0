"""Helpers for the GitHub Action tests: a recording GitHub REST server and the pull requests it serves."""
