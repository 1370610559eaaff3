"""The one gettext seam: Flask-Babel's functions, and how the shop picks a language.

Callers import `gettext` / `ngettext` / `lazy_gettext` from here (templates get `_()`,
`ngettext()` and `{% trans %}` through web.py), so nothing outside this module knows the
i18n library. Outside an app context the functions return the English text unchanged.
"""
from __future__ import annotations

import os
from contextlib import contextmanager

from flask import Flask, g, has_request_context, request
from flask_babel import Babel, force_locale
from flask_babel import gettext as _babel_gettext
from flask_babel import lazy_gettext as _babel_lazy_gettext
from flask_babel import ngettext as _babel_ngettext

# The shop's languages: code -> its own name, as the switch in the header shows it.
LANGUAGES = {"en": "English", "hi": "हिन्दी"}
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "lang"
# Babel's locale for formatting numbers, money and dates in each language.
FORMAT_LOCALES = {"en": "en_IN", "hi": "hi_IN"}

babel = Babel()


def gettext(string: str, **variables) -> str:
    return _babel_gettext(string, **variables)


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """`singular` for 1, else `plural` (by the language's plural rule), %-formatted with
    `num` and `variables`."""
    return _babel_ngettext(singular, plural, num, **variables)


def template_ngettext(singular: str, plural: str, num: int) -> str:
    """For Jinja's newstyle `ngettext()`: the translated form only; Jinja itself fills in
    `num` and the other variables (escaped), so they must not be filled in here."""
    from flask_babel import get_translations

    return get_translations().ungettext(singular, plural, num)


def lazy_gettext(string: str, **variables):
    """For words fixed at import time (form labels, menus): translated when shown."""
    return _babel_lazy_gettext(string, **variables)


def normalize_language(code: str | None) -> str | None:
    """'hi', 'hi-IN', 'HI_in' -> 'hi'; anything not spoken here -> None."""
    code = (code or "").strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else None


def select_language() -> str:
    """The page's language: the switch's cookie, else the browser's Accept-Language."""
    forced = g.get("language") if g else None
    if forced:
        return forced
    if not has_request_context():
        return DEFAULT_LANGUAGE
    chosen = normalize_language(request.cookies.get(LANGUAGE_COOKIE))
    if chosen:
        return chosen
    return normalize_language(request.accept_languages.best_match(
        ["en", "en-IN", "hi", "hi-IN"], default=DEFAULT_LANGUAGE)) or DEFAULT_LANGUAGE


def current_language() -> str:
    """The language of the page (or message) being written now: 'en' or 'hi'."""
    from flask_babel import get_locale

    locale = get_locale() if g else None
    return normalize_language(locale.language if locale else None) or DEFAULT_LANGUAGE


def localized(thing, field: str = "name") -> str:
    """A catalogue text in the page's language: `name_hi` in Hindi when the owner gave one,
    else the English `name` (and the other way round); the same for descriptions."""
    english = getattr(thing, field, "") or ""
    hindi = getattr(thing, f"{field}_hi", "") or ""
    if current_language() == "hi":
        return hindi or english
    return english or hindi


def format_locale(language: str | None = None) -> str:
    return FORMAT_LOCALES[normalize_language(language) or current_language()]


@contextmanager
def in_language(language: str | None):
    """Write in `language` (an order's, a page's) for the duration: messages, formats."""
    with force_locale(normalize_language(language) or DEFAULT_LANGUAGE):
        yield


def compile_catalogues(folder: str) -> list[str]:
    """Compile every translations/<lang>/LC_MESSAGES/messages.po whose .mo is missing or
    older, so a fresh clone, `flask run` or a host that only installs requirements speaks
    Hindi without a build step (`make setup` does the same, and fails on a broken one).
    Returns the catalogues compiled. Fuzzy entries are left out, as gettext would."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    compiled = []
    for language in LANGUAGES:
        po = os.path.join(folder, language, "LC_MESSAGES", "messages.po")
        mo = po[:-3] + ".mo"
        if not os.path.exists(po):
            continue
        if os.path.exists(mo) and os.path.getmtime(mo) >= os.path.getmtime(po):
            continue
        with open(po, "rb") as source:
            catalog = read_po(source, locale=language)
        temporary = f"{mo}.{os.getpid()}.tmp"
        with open(temporary, "wb") as target:
            write_mo(target, catalog, use_fuzzy=False)
        os.replace(temporary, mo)  # atomic: another worker never reads half a file
        compiled.append(language)
    return compiled


def init_app(app: Flask) -> None:
    folder = os.path.join(os.path.dirname(app.root_path), "translations")
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", folder)
    compile_catalogues(folder)
    babel.init_app(app, locale_selector=select_language)
