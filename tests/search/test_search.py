"""Search finds the demo sweets however customers spell them (PostgreSQL pg_trgm + FTS)."""
from __future__ import annotations

import pytest

from sweetshop.demo import seed_demo
from sweetshop.extensions import db
from sweetshop.search import service
from sweetshop.search.keys import sound_keys, to_latin
from tests.factories import make_order, make_product

# Spellings customers really type, for every demo sweet: Hinglish variants, missing or
# doubled vowels, typos, Devanagari, and words of the description or category.
SPELLINGS = {
    "Kaju Katli": ["kaju katli", "kaju kalti", "kaju katari", "kaaju katli", "kaju kathli",
                   "kaju barfi", "kaju burfi", "kajoo katli", "kaju", "katli", "काजू कतली",
                   "काजू", "kaju katlee", "cashew"],
    "Milk Cake": ["milk cake", "milkcake", "milk kek", "मिल्क केक", "milk cak"],
    "Kalakand": ["kalakand", "kalakhand", "kalakan", "kalaqand", "कलाकंद", "kalakaand"],
    "Dry Fruit Barfi": ["dry fruit barfi", "dryfruit burfi", "dry fruit", "sugar free",
                        "ड्राई फ्रूट", "mewa barfi", "meva barfi", "anjeer"],
    "Soan Papdi": ["soan papdi", "son papdi", "soan papri", "sohan papdi", "सोन पापड़ी",
                   "patisa", "son papri", "soanpapdi"],
    "Motichoor Laddoo": ["motichoor", "motichur", "moti choor", "motichoor ladoo",
                         "motichur laddu", "मोतीचूर", "boondi laddu", "bundi ladoo"],
    "Besan Laddoo": ["besan laddoo", "besan ladoo", "besan ke laddu", "besan laddu",
                     "बेसन लड्डू", "besan", "beson laddu"],
    "Gulab Jamun": ["gulab jamun", "gulaab jamun", "gulab jamoon", "gulab jaman",
                    "gulabjamun", "गुलाब जामुन", "jamun", "gulab jamon"],
    "Rasgulla": ["rasgulla", "rasgula", "rasagola", "rosogolla", "roshogolla", "rasgolla",
                 "रसगुल्ला", "rasagulla", "rossogolla"],
    "Jalebi": ["jalebi", "jilebi", "jalabi", "jalebee", "jelebi", "जलेबी", "jilapi"],
    "Moong Dal Halwa": ["moong dal halwa", "mung dal halwa", "moong halwa", "moong ka halwa",
                        "halva", "moongdal halva", "मूंग दाल हलवा", "हलवा", "halwa"],
}
LADDOOS = {"Motichoor Laddoo", "Besan Laddoo"}


@pytest.fixture
def demo(ctx):
    seed_demo()
    yield


def names(query: str) -> list[str]:
    return [p.name for p in service.search_products(query).products]


def test_every_demo_sweet_is_found_by_the_spellings_people_use(demo):
    # One catalogue for all spellings (seeding it per spelling would take a minute).
    missed = {q: names(q) for sweet, qs in SPELLINGS.items() for q in qs
              if sweet not in names(q)[:3]}
    assert missed == {}


def test_laddoo_in_any_spelling_finds_both_laddoos_first(demo):
    for query in ["लड्डू", "ladoo", "laddu", "laddoo", "ladu", "lado", "लड्डु"]:
        assert set(names(query)[:2]) == LADDOOS, query


def test_barfi_in_any_spelling_finds_the_barfis(demo):
    for query in ["barfi", "burfi", "बर्फ़ी", "बर्फी", "barfee"]:
        assert {"Kaju Katli", "Dry Fruit Barfi"} <= set(names(query)), query


def test_kaju_kalti_finds_kaju_katli_first(demo):
    assert names("kaju kalti")[0] == "Kaju Katli"


def test_a_search_that_finds_nothing_offers_close_matches(demo):
    result = service.search_products("rasmalai")
    assert result.products == []
    assert "Rasgulla" in [p.name for p in result.close_matches]


def test_unrelated_words_find_nothing(demo):
    assert names("pizza") == []
    assert names("") == []


def test_hidden_sweets_are_not_found(demo):
    from sweetshop.models import Product
    product = db.session.scalar(db.select(Product).where(Product.name == "Jalebi"))
    product.active = False
    db.session.commit()
    assert "Jalebi" not in names("jalebi")


def test_what_sells_breaks_a_tie_between_equal_matches(ctx):
    kesar, malai = make_product("Kesar Peda"), make_product("Malai Peda")
    for product in (kesar, malai):
        service.refresh_product(product)
    db.session.commit()
    assert names("peda") == ["Kesar Peda", "Malai Peda"]  # by position while nothing sold
    make_order((malai, "500 g", 2))
    assert names("peda") == ["Malai Peda", "Kesar Peda"]


def test_queries_are_transliterated_to_the_same_keys():
    assert to_latin("मलाई पेड़ा") == "malai peda"
    assert to_latin("लड्डू") == "laddu"
    assert sound_keys("ladoo") == sound_keys("laddu") == sound_keys("लड्डू")
    assert sound_keys("burfi") == sound_keys("barfi") == sound_keys("बर्फ़ी")


def test_search_uses_the_trigram_index(demo):
    from sqlalchemy import text
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(db.session.scalars(text(
        "EXPLAIN SELECT id FROM product WHERE 'ladoo' <% search_names "
        "OR 'ld' <% search_keys OR search_tsv @@ plainto_tsquery('simple', 'ladoo')")))
    assert "ix_product_search_names_trgm" in plan and "ix_product_search_keys_trgm" in plan
    assert "ix_product_search_tsv" in plan


def test_every_connection_has_the_match_threshold(ctx):
    from sqlalchemy import text
    shown = db.session.scalar(text("SHOW pg_trgm.word_similarity_threshold"))
    assert float(shown) == service.MATCH_THRESHOLD
