"""The protocol loop: JSON lines on stdin, one JSON line answered on stdout per request (docs/bridge.md).

stdout carries the protocol only: while the user's code runs, print() goes to stderr.
"""

import importlib.util
import json
import os
import sys
import traceback

import numpy as np

from . import PROTOCOL, VERSION
from .probe import SamplerError, probe_sampler


class UsageError(Exception):
    """A request names something that does not exist or is out of range (RateLab exits 2)."""


def hello():
    try:
        import torch
        torch_version = torch.__version__
    except ImportError:
        torch_version = None
    return {"protocol": PROTOCOL, "version": VERSION, "python": sys.version.split()[0], "numpy": np.__version__,
            "torch": torch_version}


def load(script, function):
    """The function `function` of the file `script`, imported as a module of its own."""
    if not os.path.isfile(script):
        raise UsageError(f"SCRIPT = {script}: file not found; allowed: a Python file")
    spec = importlib.util.spec_from_file_location("ratelab_user_sampler", script)
    if spec is None or spec.loader is None:
        raise UsageError(f"SCRIPT = {script}: not importable as Python source; allowed: a .py file")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    spec.loader.exec_module(module)
    fn = getattr(module, function, None)
    if not callable(fn):
        names = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("_"))
        allowed = ", ".join(names) if names else "none (it defines no public function)"
        raise UsageError(f"FUNCTION = {function}: not a function of {script}; allowed: {allowed}")
    return fn


def _where(error):
    """The innermost frame outside this package, as file:line, so a sampler's bug is found at its line."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if "ratelab_bridge" not in f.filename]
    return f" (at {os.path.basename(frames[-1].filename)}:{frames[-1].lineno})" if frames else ""


def handle(request, state):
    if request.get("version") != VERSION:
        return {"ok": False, "error": {"kind": "protocol",
                                       "message": f"version = {request.get('version')}; allowed: {VERSION}"}}
    op = request.get("op")
    if op == "load":
        if request["backend"] == "torch":
            try:
                import torch  # noqa: F401
            except ImportError:
                raise UsageError("--backend = torch: PyTorch is not importable here; allowed: numpy "
                                 "(or install python3-torch)")
        state["fn"] = load(request["script"], request["function"])
        state["kind"], state["backend"] = request["kind"], request["backend"]
        return {"ok": True}
    if op == "probe":
        if "fn" not in state:
            return {"ok": False, "error": {"kind": "protocol", "message": "probe before load"}}
        result = probe_sampler(state["fn"], state["kind"], state["backend"], request["mean"], request["variance"],
                               request["tau"], request["alpha_bar"], request["seed"], request["replicate"])
        return {"ok": True, **result}
    return {"ok": False, "error": {"kind": "protocol", "message": f"op = {op!r}; allowed: load, probe, bye"}}


def main():
    out = sys.stdout
    sys.stdout = sys.stderr
    out.write(json.dumps(hello()) + "\n")
    out.flush()
    state = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            if request.get("op") == "bye":
                return 0
            reply = handle(request, state)
        except UsageError as e:
            reply = {"ok": False, "error": {"kind": "usage", "message": str(e)}}
        except SamplerError as e:
            reply = {"ok": False, "error": {"kind": "sampler", "message": str(e)}}
        except Exception as e:  # the user's code: any failure is reported, one line, with its place
            reply = {"ok": False, "error": {"kind": "sampler", "message": f"{type(e).__name__}: {e}{_where(e)}"}}
        out.write(json.dumps(reply, allow_nan=False) + "\n")
        out.flush()
    return 0
