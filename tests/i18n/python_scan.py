"""Finds sentences in Python modules that a person reads and that skip gettext.

A string literal counts as words when it has a space between letters or starts with a
capital followed by lowercase letters. Not counted: docstrings, arguments of gettext
calls, log and exception-for-developers calls, and the literals in ALLOWED_CALLS.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

WORDS = re.compile(r"[^\W\d_]{2,}[,.;:!?]?\s+[^\W\d_]{2,}|^[A-Z][a-z]{2,}\b")
GETTEXT = {"_", "gettext", "ngettext", "lazy_gettext", "_l", "pgettext", "npgettext"}
# Calls whose string arguments are for developers, logs or the machine, not people.
QUIET_CALLS = {
    "debug", "info", "warning", "error", "exception", "critical", "log",  # logging
    "text", "execute", "select", "where", "like", "label_", "Index", "CheckConstraint",
    "RuntimeError", "ValueError", "TypeError", "KeyError", "AssertionError", "SystemExit",
    "NotImplementedError", "LookupError", "ConfigError", "echo", "secho", "command", "option",
    "argument", "getenv", "get", "setdefault", "startswith", "endswith", "split", "replace",
    "strftime", "format_datetime", "compile", "sub", "match", "search", "fullmatch", "abort_",
    "mapped_column", "relationship", "ForeignKey", "Enum", "getLogger", "add_url_rule",
    "Blueprint", "route", "post", "url_for", "redirect", "render_template", "environ",
    "set_cookie", "delete_cookie", "header", "join", "_history", "_attention", "print",
    "BackupError",  # the operator's terminal (flask backup / restore), not a page
    "record",  # audit.record: the owner's records, written once, not in a page's language
}


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def untranslated_in_module(source: str) -> list[tuple[int, str]]:
    tree = ast.parse(source)
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                skip.add(id(body[0].value))
        if isinstance(node, ast.Call) and (_call_name(node) in GETTEXT
                                           or _call_name(node) in QUIET_CALLS):
            for child in ast.walk(node):
                skip.add(id(child))
        if isinstance(node, ast.Subscript):  # mapping["key words"] is a key, not words
            for child in ast.walk(node.slice):
                skip.add(id(child))
        if isinstance(node, ast.Compare):  # comparing with a literal reads data, not writes
            for child in ast.walk(node):
                skip.add(id(child))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr) and id(node) not in skip:
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
            if WORDS.search(text):
                found.append((node.lineno, text))
            for child in ast.walk(node):
                skip.add(id(child))
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and id(node) not in skip and WORDS.search(node.value)):
            found.append((node.lineno, node.value))
    return found


def scan_modules(paths: list[Path]) -> dict[str, list[tuple[int, str]]]:
    problems = {}
    for path in paths:
        words = untranslated_in_module(path.read_text(encoding="utf-8"))
        if words:
            problems[str(path)] = words
    return problems
