"""Griffe extension for the docs build: numpydoc as ``help()`` reads it, rendered well by mkdocstrings.

The docstrings are numpydoc with Sphinx roles. Three things in them read well in
``help()`` and IDEs but render badly through griffe and mkdocstrings, so this extension
adjusts each docstring once the package is loaded, before rendering:

- Sphinx roles (:class:`Journeys`, :meth:`from_events`, :func:`~attribution.compare`) are
  printed verbatim. They become optional autorefs links: the name is resolved in the
  docstring's own scope, as Python would resolve it in the module, and a target the site
  does not document (a private helper, numpy) stays plain code instead of a broken link.
- Grouped parameters (``conversions, nulls, value`` under one description) all get the
  type and default of the first name, and grouped attributes no type at all. Each name
  becomes its own entry with the shared description, so griffe reads its own type and
  default from the signature.
- ``See Also`` entries (``name : description``) are printed as raw text; they become a
  list of links.

Loaded by ``mkdocs.yml`` (``plugins.mkdocstrings.handlers.python.options.extensions``);
``exclude_docs`` keeps it out of the site. Nothing here changes what a docstring says.
"""

from __future__ import annotations

import html
import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|meth|func|mod|data|attr|obj|exc|const):`(?P<tilde>~?)(?P<target>[^`]+)`")
_SEE_ALSO = re.compile(r"^See Also\n-{3,}\n(?P<body>.*?)(?=\n\n[A-Z][A-Za-z ]+\n-{3,}\n|\Z)", re.DOTALL | re.MULTILINE)
_SEE_ALSO_ENTRY = re.compile(r"^(?P<names>[\w.~]+(?:\s*,\s*[\w.~]+)*)\s*(?::\s*(?P<text>.*))?$")
_GROUPED = re.compile(r"^(?P<names>\*{0,2}\w+(?:\s*,\s*\*{0,2}\w+)+)(?:\s*:\s*(?P<type>.+))?$")
_ITEM_SECTIONS = {"Parameters", "Other Parameters", "Attributes"}
_LOOKUP_ERRORS = (KeyError, ValueError, AttributeError, griffe.AliasResolutionError, griffe.CyclicAliasError)


def _canonical(obj: griffe.Object, path: str) -> str:
    """Follow re-exports (``attribution.journeys.Journeys``) to where the object is defined."""
    try:
        found = obj.modules_collection[path]
        name = path.rsplit(".", 1)[-1]
        if found.is_module and name in found.members:
            # ``from .from_events import from_events``: Python sees the function, griffe the module
            found = found.members[name]
        return str(found.canonical_path)
    except _LOOKUP_ERRORS:
        return path


def _resolve(obj: griffe.Object, target: str) -> str:
    """The full path that ``target`` names inside ``obj``'s scope."""
    package = obj.package.name
    if target == package or target.startswith(package + "."):
        return _canonical(obj, target)
    head, _, rest = target.partition(".")
    try:
        base = obj.resolve(head)
    except (griffe.NameResolutionError, *_LOOKUP_ERRORS):
        return target
    return _canonical(obj, f"{base}.{rest}" if rest else base)


def _link_roles(obj: griffe.Object, text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        target = match["target"].strip()
        shown = target.rsplit(".", 1)[-1] if match["tilde"] else target
        identifier = _resolve(obj, target)
        title = f"<code>{html.escape(shown)}</code>"
        if not identifier.startswith(obj.package.name + "."):
            return title  # outside the package (numpy, ...): no page to link to
        return f'<autoref identifier="{html.escape(identifier)}" optional>{title}</autoref>'

    return _ROLE.sub(replace, text)


def _see_also_as_roles(text: str) -> str:
    """``name : text`` lines of a See Also section become ``- :obj:`name`: text`` items."""

    def rewrite(match: re.Match[str]) -> str:
        items: list[str] = []
        for line in match["body"].splitlines():
            entry = _SEE_ALSO_ENTRY.match(line.strip())
            if entry and not line.startswith(" "):
                names = ", ".join(f":obj:`{n.strip()}`" for n in entry["names"].split(","))
                items.append(f"- {names}" + (f": {entry['text']}" if entry["text"] else ""))
            elif items and line.strip():
                items[-1] += " " + line.strip()  # continuation of the previous description
            elif line.strip():
                return match.group(0)  # not the numpydoc form: leave the section alone
        return "See Also\n--------\n" + "\n".join(items) + "\n"

    return _SEE_ALSO.sub(rewrite, text)


def _split_grouped_entries(text: str) -> str:
    """In Parameters/Attributes sections, ``a, b : type`` plus a description becomes one entry per name."""
    lines = text.splitlines()
    out: list[str] = []
    section = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        if i + 1 < len(lines) and re.fullmatch(r"-{3,}", lines[i + 1].strip()) and line.strip():
            section = line.strip()
            out += [line, lines[i + 1]]
            i += 2
            continue
        entry = _GROUPED.match(line) if section in _ITEM_SECTIONS else None
        if entry is None:
            out.append(line)
            i += 1
            continue
        j = i + 1
        while j < len(lines) and (lines[j].startswith((" ", "\t")) or not lines[j].strip()):
            j += 1
        while j > i + 1 and not lines[j - 1].strip():
            j -= 1  # blank lines after the description belong to what follows
        suffix = f" : {entry['type']}" if entry["type"] else ""
        for name in entry["names"].split(","):
            out += [name.strip() + suffix, *lines[i + 1 : j]]
        i = j
    return "\n".join(out)


class SphinxRoles(griffe.Extension):
    """Adjust every docstring of the package once it is loaded (see the module docstring)."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        self._visit(pkg, seen=set())

    def _visit(self, obj: griffe.Object, seen: set[str]) -> None:
        if obj.path in seen:
            return
        seen.add(obj.path)
        if obj.docstring is not None:
            text = _split_grouped_entries(_see_also_as_roles(obj.docstring.value))
            obj.docstring.value = _link_roles(obj, text)
        for member in obj.members.values():
            if not member.is_alias:
                self._visit(member, seen)
