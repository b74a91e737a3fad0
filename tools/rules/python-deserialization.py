# ruff: noqa
# mypy: ignore-errors
# Test cases for python-deserialization.yaml (semgrep --test). Deliberately unsafe code: never import it.
import json
import marshal
import pickle
import shelve

import jsonpickle
import numpy
import pandas
import yaml
from yaml import SafeLoader


def pickle_cases(blob: bytes, path: str):
    # ruleid: python-pickle-deserialization
    obj = pickle.loads(blob)
    with open(path, "rb") as fh:
        # ruleid: python-pickle-deserialization
        obj = pickle.load(fh)
    # ruleid: python-pickle-deserialization
    frame = pandas.read_pickle(path)

    # ok: python-pickle-deserialization
    data = pickle.dumps(obj)
    # ruleid: python-pickle-deserialization
    arr = numpy.load(path, allow_pickle=True)
    # ruleid: python-pickle-deserialization
    db = shelve.open(path)

    # ok: python-pickle-deserialization
    parsed = json.loads(blob)
    # ok: python-pickle-deserialization
    arr2 = numpy.load(path)
    # ok: python-pickle-deserialization
    cache = shelve.open("cache.db")
    return obj, frame, data, parsed, arr, db, arr2, cache


def yaml_cases(text: str):
    # ruleid: python-yaml-unsafe-load
    a = yaml.load(text)
    # ruleid: python-yaml-unsafe-load
    b = yaml.load(text, Loader=yaml.Loader)
    # ruleid: python-yaml-unsafe-load
    c = yaml.unsafe_load(text)
    # ruleid: python-yaml-unsafe-load
    d = list(yaml.load_all(text, Loader=yaml.FullLoader))

    # ok: python-yaml-unsafe-load
    e = yaml.safe_load(text)
    # ok: python-yaml-unsafe-load
    f = yaml.load(text, Loader=yaml.SafeLoader)
    # ok: python-yaml-unsafe-load
    g = yaml.load(text, Loader=SafeLoader)
    # ok: python-yaml-unsafe-load
    h = yaml.load(text, yaml.CSafeLoader)
    return a, b, c, d, e, f, g, h


def marshal_cases(blob: bytes):
    # ruleid: python-marshal-deserialization
    code = marshal.loads(blob)
    # ok: python-marshal-deserialization
    out = marshal.dumps(code)
    return out


def jsonpickle_cases(text: str):
    # ruleid: python-jsonpickle-decode
    obj = jsonpickle.decode(text)
    # ruleid: python-jsonpickle-decode
    again = jsonpickle.loads(text, keys=True)
    # ok: python-jsonpickle-decode
    out = jsonpickle.encode(obj, unpicklable=False)
    # ok: python-jsonpickle-decode
    data = json.loads(text)
    return again, out, data
