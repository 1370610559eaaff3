"""Finds words a person would read in templates that do not go through gettext.

A template's raw text (outside `{{ }}` / `{% %}`) is parsed as HTML with every Jinja piece
replaced by a marker; text nodes and the attributes people read (alt, title, placeholder,
aria-label, a button's value, a meta description) must not contain letters. Inside Jinja,
string literals that read like words (a space and a letter, or a capital then lowercase)
must be an argument of _(), gettext() or ngettext(), unless listed as code in ALLOWED.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from jinja2 import Environment

MARK = "\x00"
READ_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label", "content", "label"}
LETTER = re.compile(r"[^\W\d_]")
WORDY = re.compile(r"(?:\s.*[^\W\d_]|[^\W\d_].*\s)|^[A-Z][a-z]{2,}")
# Literals in Jinja that are code, not words: CSS sizes, formats, element classes.
ALLOWED = re.compile(r"""^(
    \(min-width:.*            # <img sizes>
  | [dhMmyEa ,:]+             # date formats (CLDR)
  | [%a-zA-Z :,]*%[a-zA-Z].*  # strftime formats
  | [a-z][a-z0-9 -]*          # CSS classes, one or more lowercase words ("pack pack-out")
  | Product|Offer|OutOfStock # schema.org types in a product's JSON-LD
)$""", re.VERBOSE)
GETTEXT_CALLS = {"_", "gettext", "ngettext", "lazy_gettext"}


class _TextCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        attrs = dict(attrs)
        for name, value in attrs.items():
            readable = name in READ_ATTRIBUTES or (
                name == "value" and tag == "input"
                and (attrs.get("type") or "") in ("submit", "button", "reset"))
            if tag == "meta" and name == "content" and attrs.get("name") not in ("description",):
                readable = False
            if readable and value and LETTER.search(value.replace(MARK, "")):
                self.found.append(f"<{tag} {name}=\"{value.replace(MARK, '…')}\">")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data):
        if not self._skip and LETTER.search(data.replace(MARK, "")):
            self.found.append(" ".join(data.replace(MARK, "…").split()))


def untranslated_in_template(source: str, env: Environment) -> list[str]:
    """Words in one template's source that are not given to gettext."""
    pieces: list[str] = []
    found: list[str] = []
    tokens = list(env.lex(source))
    depth_trans = 0
    for index, (_, kind, value) in enumerate(tokens):
        if kind == "data":
            pieces.append(MARK if depth_trans else value)
        elif kind in ("variable_begin", "block_begin"):
            pieces.append(MARK)
            following = [v for _, k, v in tokens[index + 1:index + 3] if k == "name"]
            if kind == "block_begin" and following[:1] == ["trans"]:
                depth_trans += 1
            if kind == "block_begin" and following[:1] == ["endtrans"]:
                depth_trans -= 1
        elif kind == "string" and not depth_trans:
            if _is_gettext_argument(tokens, index):
                continue
            value = value[1:-1]
            if WORDY.search(value) and LETTER.search(value) and not ALLOWED.match(value):
                found.append(f"literal {value!r}")
    collector = _TextCollector()
    collector.feed("".join(pieces))
    collector.close()
    return collector.found + found


def _is_gettext_argument(tokens, index: int) -> bool:
    """Whether the string at `index` sits inside the parentheses of _(...) / ngettext(...)."""
    depth = 0
    for position in range(index - 1, -1, -1):
        _, kind, value = tokens[position]
        if kind in ("variable_begin", "block_begin"):
            return False
        if kind == "operator" and value == ")":
            depth += 1
        elif kind == "operator" and value == "(":
            if depth == 0:
                before = tokens[position - 1] if position else None
                if before and before[1] == "name" and before[2] in GETTEXT_CALLS:
                    return True
            else:
                depth -= 1
    return False


def scan_templates(folder: Path, env: Environment) -> dict[str, list[str]]:
    problems = {}
    for path in sorted(folder.rglob("*.html")):
        words = untranslated_in_template(path.read_text(encoding="utf-8"), env)
        if words:
            problems[str(path.relative_to(folder))] = words
    return problems
