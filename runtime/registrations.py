"""Read the triggers and bindings a FunctionApp registered.

The local host serves exactly what `function_app.py` declares: nothing is
listed a second time here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import azure.functions as func


@dataclass(frozen=True)
class Registration:
    """One function: its trigger, its queue outputs, and its code."""

    name: str
    trigger: str
    trigger_arg: str
    settings: dict[str, Any]
    outputs: dict[str, str] = field(default_factory=dict)
    code: Callable[..., Any] = field(default=lambda: None, repr=False)

    @property
    def route(self) -> str:
        """Return the HTTP route (an HTTP trigger's route, or its name)."""
        return str(self.settings.get("route") or self.name)

    @property
    def methods(self) -> list[str]:
        """Return the HTTP methods an HTTP trigger accepts."""
        methods = self.settings.get("methods") or ["GET", "POST"]
        return [str(getattr(method, "value", method)).upper() for method in methods]


_read: dict[int, tuple[func.FunctionApp, list[Registration]]] = {}


def read_registrations(app: func.FunctionApp) -> list[Registration]:
    """Return every function of `app` with its trigger and queue outputs.

    The azure-functions library refuses to list an app's functions twice,
    so the first reading is kept for the life of the app.
    """
    if id(app) in _read and _read[id(app)][0] is app:
        return _read[id(app)][1]
    found = _read_functions(app)
    _read[id(app)] = (app, found)
    return found


def _read_functions(app: func.FunctionApp) -> list[Registration]:
    """Read the functions of an app, once."""
    found: list[Registration] = []
    for function in app.get_functions():
        trigger = function.get_trigger()
        if trigger is None:
            continue
        outputs = {}
        for binding in function.get_bindings():
            data = binding.get_dict_repr()
            if data.get("type") == "queue":
                outputs[binding.name] = str(data["queueName"])

        found.append(
            Registration(
                name=str(function.get_function_name()),
                trigger=str(trigger.type),
                trigger_arg=trigger.name,
                settings=trigger.get_dict_repr(),
                outputs=outputs,
                code=function.get_user_function(),
            )
        )
    return found
