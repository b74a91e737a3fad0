"""The ``opsquad`` command line (typer + rich): machine output on stdout, progress and errors on stderr."""
