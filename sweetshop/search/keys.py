"""How a sweet's names become search keys, and a customer's query the same keys.

Everything is compared in Latin letters: Devanagari is transliterated (Sanscript, with
Hindi's silent vowels dropped: मलाई पेड़ा -> "malai peda", काजू कतली -> "kaju katli"), then
accents go and the text is lowercased. On top of that, a *sound key* forgives the ways
Hinglish spellings of one word differ: vowels (barfi/burfi, laddoo/laddu, jalebi/jilebi),
doubled letters (ladoo/laddoo, rasgula/rasgulla), aspiration (kheer/keer, pedha/peda) and
letters said alike (w/v, z/j, q/k, ph/f). Pure functions: no app, no database.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from indic_transliteration import sanscript

_DEVANAGARI = re.compile(r"[\u0900-\u097F]")
_DEVANAGARI_WORD = re.compile(r"[\u0900-\u097F]+")
_CONSONANT = re.compile(r"[\u0915-\u0939\u0958-\u095F]")
_VIRAMA, _NUKTA = "\u094d", "\u093c"
_MATRA = re.compile(r"[\u093e-\u094c\u0962\u0963]")
_INDEPENDENT_VOWEL = re.compile(r"[\u0904-\u0914\u0960\u0961]")
# Nasal marks before a consonant read as n (m before b, p, m): कलाकंद -> kalakand.
_LABIALS = set("पफबभम")
# ड़ and ढ़ are "r"-like flaps, but shops and customers write them d: पेड़ा -> peda.
# (NFC keeps them as letter + nukta: U+095C/D are composition exclusions.)
_FLAPS = re.compile("([\u0921\u0922])\u093c|([\u095c\u095d])")


def _aksharas(word: str) -> list[list[str]]:
    """A Devanagari word as aksharas: [consonant(+nukta), vowel sign or virama or '', extras]."""
    out: list[list[str]] = []
    for ch in word:
        if _CONSONANT.match(ch) or _INDEPENDENT_VOWEL.match(ch):
            out.append([ch, "", ""])
        elif not out:
            out.append(["", "", ch])
        elif ch == _NUKTA:
            out[-1][0] += ch
        elif ch == _VIRAMA or _MATRA.match(ch):
            out[-1][1] = ch
        else:  # anusvara, chandrabindu, visarga
            out[-1][2] += ch
    return out


def _drop_silent_vowels(word: str) -> str:
    """Hindi schwa deletion: a consonant's inherent "a" is silent at the end of a word and,
    scanning from the right, between a vowel and a consonant that has a vowel (VC_CV):
    कतली -> कत्ली (katli), इमरती -> इमर्ती (imarti), बेसन -> बेसन् (besan)."""
    aks = _aksharas(word)

    def has_schwa(a):
        return bool(_CONSONANT.match(a[0])) and a[1] == ""

    def voiced(a):  # the akshara ends in a vowel
        return a[1] != _VIRAMA

    if len(aks) > 1 and has_schwa(aks[-1]) and not aks[-1][2]:
        aks[-1][1] = _VIRAMA
    for i in range(len(aks) - 2, 0, -1):
        a, before, after = aks[i], aks[i - 1], aks[i + 1]
        if (has_schwa(a) and not a[2] and voiced(before) and voiced(after)
                and _CONSONANT.match(after[0])):
            a[1] = _VIRAMA
    text = ""
    for i, (base, sign, extra) in enumerate(aks):
        following = aks[i + 1][0] if i + 1 < len(aks) else ""
        nasal = ""
        for mark in extra:
            if mark in "\u0902\u0901":  # anusvara, chandrabindu
                nasal += "म्" if following[:1] in _LABIALS else "न्"
            # visarga and others: not said in Hindi words for sweets; dropped
        text += base + sign + nasal
    return text


def _romanize(word: str) -> str:
    """One Devanagari word in IAST, then as Hinglish writes च and छ: ch, chh."""
    iast = sanscript.transliterate(_drop_silent_vowels(word), sanscript.DEVANAGARI,
                                   sanscript.IAST)
    return iast.replace("ch", "\x01").replace("c", "ch").replace("\x01", "chh")


@lru_cache(maxsize=4096)
def to_latin(text: str) -> str:
    """Any name or query as plain lowercase Latin words: 'मलाई पेड़ा' -> 'malai peda',
    'Kaju Katlī' -> 'kaju katli', 'Barfi & Katli' -> 'barfi katli'."""
    text = _FLAPS.sub(lambda m: m.group(1) or chr(ord(m.group(2)) - 0x95C + 0x921),
                      unicodedata.normalize("NFC", text or ""))
    if _DEVANAGARI.search(text):
        text = _DEVANAGARI_WORD.sub(lambda m: " " + _romanize(m.group(0)) + " ", text)
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


_SOUNDS = [  # longest first: "chh" before "ch"; "ch" is च (kept apart as "C"), other c is k
    ("chh", "C"), ("ksh", "ks"), ("ph", "f"), ("sh", "s"), ("ch", "C"), ("c", "k"), ("kh", "k"),
    ("gh", "g"), ("th", "t"), ("dh", "d"), ("bh", "b"), ("jh", "j"), ("rh", "r"),
    ("ck", "k"), ("w", "v"), ("z", "j"), ("q", "k"), ("x", "ks"), ("y", "i"),
]
_VOWELS = set("aeiou")


def sound_key(word: str) -> str:
    """A Latin word's sound key: the first sound (any vowel as 'a') and then its consonants,
    doubled letters once. barfi, burfi -> 'brf'; ladoo, laddu, laddoo -> 'ld'."""
    word = word.lower()
    for written, said in _SOUNDS:
        word = word.replace(written, said)
    if len(word) > 1:
        word = word[0] + word[1:].replace("h", "")
    if not word:
        return ""
    head = "a" if word[0] in _VOWELS else word[0]
    key = head + "".join(ch for ch in word[1:] if ch not in _VOWELS)
    return re.sub(r"(.)\1+", r"\1", key).replace("C", "c")


def sound_keys(text: str) -> str:
    """Every word of `text` (any script) as its sound key, space-separated."""
    return " ".join(k for k in (sound_key(w) for w in to_latin(text).split() if not w.isdigit())
                    if k)


def slug_words(text: str) -> str:
    """A URL slug from a name in any script: 'मलाई पेड़ा' -> 'malai-peda'."""
    return "-".join(to_latin(text).split())


def split_aliases(aliases: str) -> list[str]:
    """'kaju barfi, काजू कतली' -> ['kaju barfi', 'काजू कतली'] (commas, semicolons or lines)."""
    return [a.strip() for a in re.split(r"[,;\n،]+", aliases or "") if a.strip()]


def search_columns(*, name: str, name_hi: str = "", aliases: str = "", description: str = "",
                   description_hi: str = "", category: str = "", category_hi: str = "") -> dict:
    """A product's search columns: `names` (its names and aliases in Latin letters, one per
    line), `keys` (their sound keys), `text` (every word said about it, for full text)."""
    names = [name, name_hi, *split_aliases(aliases)]
    latin = [to_latin(n) for n in names if n and to_latin(n)]
    keys = [sound_keys(n) for n in names if n and sound_keys(n)]
    words = " ".join([*latin, to_latin(category), to_latin(category_hi), to_latin(description),
                      to_latin(description_hi)])
    return {"names": " | ".join(dict.fromkeys(latin)), "keys": " | ".join(dict.fromkeys(keys)),
            "text": " ".join(words.split())}
