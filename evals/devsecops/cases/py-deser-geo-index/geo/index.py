import csv
import pickle
from pathlib import Path

CACHE = Path.home() / ".cache" / "geo-lookup" / "index.pkl"
SOURCE = Path(__file__).with_name("cities.csv")


def build_index() -> dict[str, tuple[float, float]]:
    with SOURCE.open(newline="") as fh:
        return {row["name"].lower(): (float(row["lat"]), float(row["lon"])) for row in csv.DictReader(fh)}


def load_index() -> dict[str, tuple[float, float]]:
    if CACHE.exists() and CACHE.stat().st_mtime >= SOURCE.stat().st_mtime:
        with CACHE.open("rb") as fh:
            return pickle.load(fh)
    index = build_index()
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    with CACHE.open("wb") as fh:
        pickle.dump(index, fh)
    return index
