import shlex
import subprocess
from datetime import date

BACKUP_ROOT = "/var/backups/postgres"


def nightly_dump(database: str) -> str:
    target = f"{BACKUP_ROOT}/{database}-{date.today():%Y%m%d}.sql.gz"
    cmd = f"pg_dump --no-owner {shlex.quote(database)} | gzip > {shlex.quote(target)}"
    subprocess.run(cmd, shell=True, check=True)
    return target


if __name__ == "__main__":
    for name in ("orders", "inventory"):
        print(nightly_dump(name))
