"""MkDocs hook: pages take the sections they share with the README, so each is written once.

The README keeps what a newcomer needs first and the pages hold the rest themselves; they take
from the README only the parts both show (the intro, set-up, command line, the design tree, the
state machine, the decisions, the errors).

A line ``<!-- readme: HEADING -->`` in a page is replaced by the README's section of that
heading, with its heading and subsections; ``<!-- readme-body: HEADING -->`` by the same
without its heading line, the subsections' headings raised to follow the page's own title;
``<!-- readme-lead: HEADING -->`` by the section's text before its first subsection, without
its heading; ``<!-- readme-intro -->`` by the text between the README's title and its first
section. Links into the README (``#anchor``) are pointed at the page that now holds that
heading, and links to ``docs/...`` at the page itself. A heading the README no longer has
fails the build.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markdown.extensions.toc import slugify

MARKER = re.compile(
    r"^<!-- (readme|readme-body|readme-lead): (.+?) -->\s*$|^<!-- (readme-intro) -->\s*$"
)
HEADING = re.compile(r"^(#{1,6}) +(.+?)\s*#*\s*$")
ANCHOR_LINK = re.compile(r"\]\(#([^)\s]+)\)")
DOCS_LINK = re.compile(r"\]\(docs/([^)\s]+)\)")


@dataclass(frozen=True)
class Heading:
    line: int
    level: int
    text: str

    @property
    def slug(self) -> str:
        return slugify(re.sub(r"[`*]", "", self.text), "-")


def _headings(lines: list[str]) -> list[Heading]:
    found, fenced = [], False
    for number, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and (match := HEADING.match(line)):
            found.append(Heading(number, len(match.group(1)), match.group(2)))
    return found


class Readme:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines = path.read_text(encoding="utf-8").splitlines()
        self.headings = _headings(self.lines)

    def _find(self, text: str) -> Heading:
        for heading in self.headings:
            if heading.text == text:
                return heading
        raise LookupError(f"{self.path.name} has no section headed {text!r}")

    def section(self, text: str) -> tuple[Heading, list[Heading], list[str]]:
        """The heading, the headings under it and the section's lines (heading included)."""
        top = self._find(text)
        end = len(self.lines)
        inner = []
        for heading in self.headings:
            if heading.line <= top.line:
                continue
            if heading.level <= top.level:
                end = heading.line
                break
            inner.append(heading)
        return top, inner, self.lines[top.line : end]

    def lead(self, text: str) -> list[str]:
        """The section's lines after its heading, up to its first subsection."""
        top, inner, lines = self.section(text)
        end = inner[0].line - top.line if inner else len(lines)
        return lines[1:end]

    def intro(self) -> list[str]:
        first, *rest = self.headings
        end = rest[0].line if rest else len(self.lines)
        return self.lines[first.line + 1 : end]


def _included(markdown: str, readme: Readme) -> list[tuple[str, bool]]:
    """Slugs of the README headings a page's markers bring in, each with whether the page
    shows that heading (a section included without its heading is the page itself)."""
    slugs = []
    for line in markdown.splitlines():
        match = MARKER.match(line)
        if match and match.group(1) in ("readme", "readme-body"):
            top, inner, _ = readme.section(match.group(2))
            slugs += [(h.slug, True) for h in inner]
            slugs.append((top.slug, match.group(1) == "readme"))
    return slugs


_readme: Readme | None = None
_homes: dict[str, tuple[str, bool]] = {}
"""README heading slug -> the page (path in docs/) that shows it, and whether as a heading."""


def on_files(files: Any, config: Any) -> Any:
    global _readme
    _readme = Readme(Path(config["config_file_path"]).parent / "README.md")
    _homes.clear()
    for file in files.documentation_pages():
        text = Path(file.abs_src_path).read_text(encoding="utf-8")
        for slug, shown in _included(text, _readme):
            _homes.setdefault(slug, (file.src_uri, shown))
    return files


def _relink(lines: list[str], page_uri: str) -> list[str]:
    here = posixpath.dirname(page_uri)

    def anchor(match: re.Match[str]) -> str:
        home, shown = _homes.get(match.group(1), (page_uri, True))
        if home == page_uri:
            return match.group(0)
        target = posixpath.relpath(home, here or ".")
        return f"]({target}#{match.group(1)})" if shown else f"]({target})"

    def docs(match: re.Match[str]) -> str:
        return f"]({posixpath.relpath(match.group(1), here or '.')})"

    return [DOCS_LINK.sub(docs, ANCHOR_LINK.sub(anchor, line)) for line in lines]


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    assert _readme is not None
    out: list[str] = []
    for line in markdown.splitlines():
        match = MARKER.match(line)
        if match is None:
            out.append(line)
            continue
        if match.group(3):
            out += _relink(_readme.intro(), page.file.src_uri)
            continue
        if match.group(1) == "readme-lead":
            out += _relink(_readme.lead(match.group(2)), page.file.src_uri)
            continue
        top, _, lines = _readme.section(match.group(2))
        if match.group(1) == "readme-body":
            lines = lines[1:]
            shift = top.level - 1
            fenced = False
            raised = []
            for text in lines:
                if text.lstrip().startswith(("```", "~~~")):
                    fenced = not fenced
                heading = None if fenced else HEADING.match(text)
                raised.append(text[shift:] if heading else text)
            lines = raised
        out += _relink(lines, page.file.src_uri)
    return "\n".join(out) + "\n"
