"""Every word a person reads goes through gettext, and the Hindi catalogue has them all.

Three checks: templates have no text outside _() / {% trans %} (text_scan), the modules
that write to people have no sentence outside gettext (python_scan), and the words
extracted from the code (as `make messages` does) are exactly translated in the hi
catalogue: none missing, none untranslated, none fuzzy, placeholders kept.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from sweetshop.services.alerts import _OS, _UA
from sweetshop.services.gst import STATES
from sweetshop.services.gstr1 import SECTIONS
from tests.i18n.python_scan import scan_modules
from tests.i18n.text_scan import scan_templates

ROOT = Path(__file__).resolve().parents[2]
HINDI = ROOT / "translations" / "hi" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
# Modules whose words people read: views, forms, services, models' labels, the web wiring.
PEOPLE_MODULES = [
    *sorted((ROOT / "sweetshop").glob("*/views.py")),
    *sorted((ROOT / "sweetshop").glob("*/*_views.py")),
    *sorted((ROOT / "sweetshop").glob("*/forms.py")),
    *sorted((ROOT / "sweetshop").glob("*/*_forms.py")),
    *sorted((ROOT / "sweetshop" / "services").glob("*.py")),
    *sorted((ROOT / "sweetshop" / "services" / "payments").glob("*.py")),
    ROOT / "sweetshop" / "web.py", ROOT / "sweetshop" / "rate_limits.py",
    ROOT / "sweetshop" / "formatting.py", ROOT / "sweetshop" / "models" / "orders.py",
    ROOT / "sweetshop" / "models" / "notifications.py",
]
# Strings in those modules that are for machines, logs or the owner's records, not words
# shown to a person in the page's language (header names, stored reasons, job names).
NOT_WORDS = {
    "Retry-After", "Cookie", "Accept-Language", "Content-Security-Policy", "Cache-Control",
    "Asia/Kolkata", "fresh batch", "count correction", "order cancelled",
    "Order placed, waiting for online payment", "Razorpay reported the refund failed",
    "Refunded in Razorpay's dashboard", "Refund by the shop", "Second payment for the same order",
    "Paid after the order expired; sold out", "Paid after the order was cancelled",
    "paid after expiry", "Not sent: ", "Twilio reported  (error )",
    "Not sent: the code expired before it could be sent.", "payment expired",
    "Bad signature.", "Missing event id.", "Unusable body.", "From",  # webhooks: for machines
    "Digits", "Content-Type", "Content-Disposition", "; the device was removed", "Refund",
    "REPEATABLE READ", "Not confirmed by the customer within  hours",  # a stored note
    "order returned", "returned order #",  # the stock ledger's reasons
    "Order ",  # the UPI link's transaction note (tn=): payment data, ASCII
    # GST's own spelling, for the GST portal: states (GSTR-1's place of supply "07-Delhi"),
    # GSTR-1 offline templates' column headers and values (the accountant's CSV files).
    *STATES.values(), *(header for headers in SECTIONS.values() for header in headers),
    "Regular B2B", "Invoices for outward supply", "Credit Note", "Total",
    # A device's stored label ("Chrome on Android"): product names and User-Agent patterns.
    *(text for pair in _UA + _OS for text in pair), "Browser",
    "every step taken", "Not sent: the order was  first.",  # stored reasons
    "Not sent: the device was removed.",
    "phone keypad ()", " (from an alert)",  # who accepted, in the order's history
    "No such call.",  # a Twilio webhook's answer
}
# A string counts as "for machines" also when it is one of these shapes.
MACHINE = re.compile(r"^(\d+ per (minute|hour|day)(;\d+ per (minute|hour|day))*|private, no-store"
                     r"|this number has not verified.*|Amount .* does not match.*"
                     r"|(inline|attachment); filename=.*|SELECT .*|var OFFLINE_URLS = .*)$", re.DOTALL)


def test_templates_have_no_words_outside_gettext(app):
    assert scan_templates(ROOT / "templates", app.jinja_env) == {}


# Words written by hand in both languages, where gettext cannot do the job: the alert call's
# spoken words (Twilio's English and Hindi voices read them; Hindi numbers are spoken
# differently) and the amount in words on a GST invoice, which is English by trade practice
# (Hindi has its own word for every number to 99: it cannot be assembled from fragments).
BY_HAND = {
    "sweetshop/services/alerts.py": {"call_words", "_words"},
    "sweetshop/services/gst.py": {"rupees_in_words", "number_in_words", "_below_thousand",
                                   "_below_hundred"},
}
BY_HAND_CONSTANTS = {"sweetshop/services/gst.py": {"_ONES", "_TENS"}}


def _by_hand_lines(path) -> set[int]:
    import ast

    relative = str(Path(path).relative_to(ROOT))
    functions, constants = BY_HAND.get(relative, set()), BY_HAND_CONSTANTS.get(relative, set())
    if not functions and not constants:
        return set()
    lines = set()
    for node in ast.walk(ast.parse(Path(path).read_text())):
        named = (isinstance(node, ast.FunctionDef) and node.name in functions) or (
            isinstance(node, ast.Assign) and any(getattr(t, "id", "") in constants
                                                 for t in node.targets))
        if named:
            lines.update(range(node.lineno, node.end_lineno + 1))
    return lines


@pytest.mark.no_db
def test_modules_that_talk_to_people_have_no_words_outside_gettext():
    problems = {
        path: [(line, text) for line, text in found
               if text not in NOT_WORDS and not MACHINE.match(text)
               and line not in _by_hand_lines(path)]
        for path, found in scan_modules(PEOPLE_MODULES).items()
    }
    assert {path: found for path, found in problems.items() if found} == {}


def _extracted() -> dict:
    """msgid -> whether it is python-format, from the code and templates (babel.cfg)."""
    found = {}
    methods = [("sweetshop/**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.do,jinja2.ext.i18n"}}
    def folders(path):  # Babel skips folders starting with "_" by default: not _macros/
        return not Path(path).name.startswith(".") and Path(path).name != "node_modules"

    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map=methods, options_map=options, keywords=KEYWORDS,
            directory_filter=folders):
        found[message if isinstance(message, str) else message[0]] = message
    return found


def _hindi():
    with HINDI.open("rb") as source:
        return read_po(source, locale="hi")


@pytest.mark.no_db
def test_every_word_in_the_code_has_a_hindi_translation():
    catalogue = _hindi()
    missing = sorted(m for m in _extracted() if m not in catalogue)
    assert missing == [], "run `make messages` and translate these in " + str(HINDI)


@pytest.mark.no_db
def test_the_hindi_catalogue_has_no_untranslated_fuzzy_or_broken_entries():
    catalogue = _hindi()
    untranslated = [m.id for m in catalogue if m.id and (
        not m.string or (isinstance(m.string, tuple) and not all(m.string)))]
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    broken = [(m.id, [str(e) for e in errors]) for m, errors in catalogue.check()]
    assert (untranslated, fuzzy, broken) == ([], [], [])


@pytest.mark.no_db
def test_placeholders_survive_translation():
    placeholder = re.compile(r"%\([a-zA-Z_0-9]+\)[sd]|\{[a-z]*\}")
    wrong = []
    for message in _hindi():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(placeholder.findall(ids[-1])) | set(placeholder.findall(ids[0]))
        for string in strings:
            if set(placeholder.findall(string)) - wanted or (
                    len(ids) == 1 and set(placeholder.findall(string)) != wanted):
                wrong.append((ids[0], string))
    assert wrong == []


@pytest.mark.no_db
def test_the_hindi_catalogue_compiles():
    buffer = io.BytesIO()
    write_mo(buffer, _hindi(), use_fuzzy=False)
    assert len(buffer.getvalue()) > 10_000


@pytest.mark.no_db
def test_no_function_hides_gettext_behind_a_local_underscore():
    """`x, _ = ...` in a function that also calls _() makes every _() there fail."""
    import ast

    hidden = []
    for path in sorted((ROOT / "sweetshop").rglob("*.py")):
        for fn in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            inner = {id(n) for c in ast.walk(fn)
                     if isinstance(c, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp))
                     for n in ast.walk(c)}  # comprehensions have their own scope
            stores = [n for n in ast.walk(fn) if isinstance(n, ast.Name) and n.id == "_"
                      and isinstance(n.ctx, ast.Store) and id(n) not in inner]
            calls = [n for n in ast.walk(fn) if isinstance(n, ast.Call)
                     and isinstance(n.func, ast.Name) and n.func.id == "_"]
            if stores and calls:
                hidden.append(f"{path.relative_to(ROOT)}:{fn.lineno} {fn.name}")
    assert hidden == []
