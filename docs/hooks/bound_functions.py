"""A griffe extension: the module-level functions that ``mqp_jobs.api`` makes from JobStore's
methods (``create_job = _bound(JobStore.create_job)``) are shown as the functions they are,
with the method's parameters (without ``self``), return type and docstring."""

from __future__ import annotations

import re
from typing import Any

import griffe

_BOUND = re.compile(r"^_bound\(JobStore\.(\w+)\)$")


class BoundFunctions(griffe.Extension):
    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        if pkg.path != "mqp_jobs":
            return
        api = pkg.modules["api"]
        store = pkg.modules["store"].classes["JobStore"]
        for name, member in list(api.members.items()):
            if member.is_alias or not member.is_attribute:
                continue
            found = _BOUND.match(" ".join(str(member.value or "").split()))
            if found is None:
                continue
            method = store.members[found.group(1)]
            function = griffe.Function(
                name,
                lineno=member.lineno,
                endlineno=member.endlineno,
                parameters=griffe.Parameters(*list(method.parameters)[1:]),
                returns=method.returns,
                docstring=griffe.Docstring(
                    method.docstring.value if method.docstring else "",
                    parser=method.docstring.parser if method.docstring else None,
                    parser_options=method.docstring.parser_options if method.docstring else None,
                ),
            )
            api.set_member(name, function)
