"""What every storefront page may show beside its own content: the sticky cart bar, the
shop's contact links, the theme stylesheet and link-preview helpers."""
from __future__ import annotations

from flask import Flask, g, request, url_for


def register_storefront_context(app: Flask) -> None:
    from ..services import shop_profile
    from ..web import CART_COOKIE, database_read

    @app.context_processor
    def storefront_context():
        def cart_summary():
            """(packs, subtotal paise) for the "View cart" bar, read once per request."""
            if "cart_summary" not in g:
                from ..services.cart import cart_summary as summary
                g.cart_summary = database_read(
                    lambda: summary(request.cookies.get(CART_COOKIE)), fallback=lambda: (0, 0))
            return g.cart_summary

        def whatsapp_link(number, text=""):
            return shop_profile.whatsapp_link(number, text)

        def theme_stylesheet(settings):
            colour = (settings.theme_color or "").lower()
            if not colour or colour == shop_profile.DEFAULT_THEME:
                return None  # the stylesheet's own colour: no extra request
            return url_for("about.theme_css", colour=colour.lstrip("#"))

        def policy_links():
            return [(slug, str(title)) for slug, (title, _text) in shop_profile.POLICIES.items()]

        from ..about.views import remembered_pincode

        return {"cart_summary": cart_summary, "remembered_pincode": remembered_pincode, "whatsapp_link": whatsapp_link,
                "map_link": shop_profile.map_link, "theme_stylesheet": theme_stylesheet,
                "policy_links": policy_links}
