import os

THRESHOLD = 85


def disk_usage() -> dict[str, int]:
    with os.popen("df --output=target,pcent -x tmpfs -x devtmpfs") as pipe:
        lines = pipe.read().splitlines()[1:]
    usage = {}
    for line in lines:
        mount, percent = line.split()
        usage[mount] = int(percent.rstrip("%"))
    return usage


def full_mounts() -> list[str]:
    return [m for m, pct in disk_usage().items() if pct >= THRESHOLD]
