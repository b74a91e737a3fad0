import hashlib
from pathlib import Path

CACHE_DIR = Path("/var/cache/renderer")


def cache_path(url: str, width: int) -> Path:
    key = hashlib.md5(f"{url}|{width}".encode(), usedforsecurity=False).hexdigest()
    return CACHE_DIR / key[:2] / f"{key}.png"


def cached_render(url: str, width: int, render) -> bytes:
    path = cache_path(url, width)
    if path.exists():
        return path.read_bytes()
    png = render(url, width)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png)
    return png
