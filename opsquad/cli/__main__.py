from opsquad.cli.main import run

run()
