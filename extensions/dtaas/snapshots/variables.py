"""A kernel's variables, saved one by one, so one that cannot be serialised sinks no other.

``dill.dump_module`` pickles a whole namespace at once and fails on the first generator,
socket or database connection in it. Here each variable is pickled alone: with the C
pickler when it can (fast for large arrays), with dill when the value holds functions or
classes defined in the notebook (dill stores those by value, so they come back in a fresh
kernel). Modules are stored by name and imported back.
"""

from __future__ import annotations

import io
import pickle
import types
from dataclasses import dataclass
from typing import Any

import dill

from .model import Skipped

# names IPython and papermill put in a namespace that are not the user's
RESERVED = {"In", "Out", "get_ipython", "exit", "quit"}
MAX_REASON = 300


class _NeedsDill(Exception):
    pass


class _Pickler(pickle.Pickler):
    """The C pickler, refusing what only dill can store by value: __main__ code."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, (types.FunctionType, type)) and obj.__module__ == "__main__":
            raise _NeedsDill
        if isinstance(obj, (types.LambdaType, types.MethodType)) and obj.__module__ == "__main__":
            raise _NeedsDill
        return NotImplemented


@dataclass
class Dumped:
    name: str
    type: str
    kind: str  # pickle | dill | module
    data: bytes
    module: str | None = None


def type_name(value: Any) -> str:
    t = type(value)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def user_names(namespace: dict[str, Any], hidden: set[str] | frozenset[str] = frozenset()):
    """The names a user defined: not private, not IPython's, not in ``hidden``."""
    for name in list(namespace):
        if name.startswith("_") or name in RESERVED or name in hidden:
            continue
        yield name


def dumps(value: Any) -> tuple[str, bytes]:
    """``(kind, bytes)`` for one value; raises what the value's pickling raises."""
    buffer = io.BytesIO()
    try:
        _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
        return "pickle", buffer.getvalue()
    except _NeedsDill:
        pass
    except (pickle.PicklingError, TypeError, AttributeError):
        pass  # dill stores more (lambdas, closures, ...); it decides
    return "dill", dill.dumps(value, protocol=pickle.HIGHEST_PROTOCOL, recurse=True)


def dump_namespace(
    namespace: dict[str, Any], hidden: set[str] | frozenset[str] = frozenset()
) -> tuple[list[Dumped], list[Skipped]]:
    """Every user variable serialised alone; what cannot be is listed with the reason."""
    dumped, skipped = [], []
    for name in user_names(namespace, hidden):
        value = namespace[name]
        if isinstance(value, types.ModuleType):
            dumped.append(Dumped(name, "module", "module", value.__name__.encode(), value.__name__))
            continue
        try:
            kind, data = dumps(value)
        except Exception as e:  # noqa: BLE001 (any error in any __reduce__ is the value's)
            reason = f"{type(e).__name__}: {e}"[:MAX_REASON]
            skipped.append(Skipped(name, type_name(value), reason))
            continue
        dumped.append(Dumped(name, type_name(value), kind, data))
    return dumped, skipped


def load(kind: str, data: bytes) -> Any:
    if kind == "module":
        import importlib

        return importlib.import_module(data.decode())
    return dill.loads(data)
