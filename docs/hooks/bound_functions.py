"""A griffe extension: the module-level functions that ``mqp_jobs.api`` makes from JobStore's
methods (``create_job = _bound(JobStore.create_job)``) are shown as the functions they are,
with the method's parameters (without ``self``), return type and docstring; and JobStore's
static methods that are claims.py's functions (``staticmethod(claims.X)``) as those
functions."""

from __future__ import annotations

import re
from typing import Any

import griffe

_BOUND = re.compile(r"^_bound\(JobStore\.(\w+)\)$")
_SHARED = re.compile(r"^staticmethod\(claims\.(\w+)\)$")


def _copy(
    name: str, source: griffe.Function, parameters: list[griffe.Parameter]
) -> griffe.Function:
    return griffe.Function(
        name,
        lineno=source.lineno,
        endlineno=source.endlineno,
        parameters=griffe.Parameters(*parameters),
        returns=source.returns,
        docstring=griffe.Docstring(
            source.docstring.value if source.docstring else "",
            parser=source.docstring.parser if source.docstring else None,
            parser_options=source.docstring.parser_options if source.docstring else None,
        ),
    )


class BoundFunctions(griffe.Extension):
    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        if pkg.path != "mqp_jobs":
            return
        api = pkg.modules["api"]
        store = pkg.modules["store"].classes["JobStore"]
        claims = pkg.modules["claims"]
        for name, member in list(store.members.items()):
            if member.is_alias or not member.is_attribute:
                continue
            shared = _SHARED.match(" ".join(str(member.value or "").split()))
            if shared is not None:
                source = claims.members[shared.group(1)]
                function = _copy(name, source, list(source.parameters))
                function.labels.add("staticmethod")
                store.set_member(name, function)
        for name, member in list(api.members.items()):
            if member.is_alias or not member.is_attribute:
                continue
            found = _BOUND.match(" ".join(str(member.value or "").split()))
            if found is None:
                continue
            method = store.members[found.group(1)]
            function = _copy(name, method, list(method.parameters)[1:])
            function.lineno, function.endlineno = member.lineno, member.endlineno
            api.set_member(name, function)
