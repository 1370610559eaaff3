"""Pictures of the demo sweets, drawn by the project itself (nothing downloaded).

Each is drawn at twice the size and scaled down (cheap anti-aliasing), as a PNG that then
goes through the same upload path as an owner's photo (clean, crop, renditions). They are
illustrations, not photographs: a plate or tin of the sweet on a warm cloth.
"""
from __future__ import annotations

import io
import math
import random

from PIL import Image, ImageDraw, ImageFilter

W, H = 960, 720
S = 2  # supersampling

CLOTH = {"kaju": (138, 28, 43), "milk": (36, 84, 74), "kalakand": (201, 138, 20),
         "dry": (90, 50, 110), "soan": (30, 70, 120), "motichoor": (36, 84, 74),
         "besan": (138, 28, 43), "jamun": (201, 138, 20), "rasgulla": (30, 70, 120),
         "jalebi": (36, 84, 74), "halwa": (138, 28, 43)}


def _canvas(cloth):
    img = Image.new("RGB", (W * S, H * S), cloth)
    d = ImageDraw.Draw(img)
    # a woven pattern on the cloth
    light = tuple(min(255, c + 22) for c in cloth)
    for x in range(0, W * S, 48 * S):
        d.line([(x, 0), (x, H * S)], fill=light, width=3 * S)
    for y in range(0, H * S, 48 * S):
        d.line([(0, y), (W * S, y)], fill=light, width=3 * S)
    return img, d


def _plate(d, cx=W // 2, cy=H // 2 + 20, r=300, rim=(236, 226, 206), base=(250, 245, 235)):
    d.ellipse([(cx - r) * S, (cy - r * .78) * S, (cx + r) * S, (cy + r * .78) * S], fill=(60, 30, 20))
    d.ellipse([(cx - r) * S, (cy - r * .8 - 10) * S, (cx + r) * S, (cy + r * .8 - 10) * S], fill=rim)
    d.ellipse([(cx - r * .8) * S, (cy - r * .62 - 10) * S, (cx + r * .8) * S, (cy + r * .62 - 10) * S],
              fill=base)


def _shade(color, k):
    return tuple(max(0, min(255, int(c * k))) for c in color)


def _ball(d, cx, cy, r, color, shine=True, dots=None, rng=None):
    d.ellipse([(cx - r) * S, (cy - r * .9 + 8) * S, (cx + r) * S, (cy + r * .9 + 8) * S],
              fill=_shade(color, .55))
    d.ellipse([(cx - r) * S, (cy - r) * S, (cx + r) * S, (cy + r) * S], fill=color)
    if dots:
        for _ in range(int(r * r / 18)):
            a, rr = rng.uniform(0, 2 * math.pi), r * math.sqrt(rng.random()) * .92
            x, y = cx + rr * math.cos(a), cy + rr * math.sin(a)
            d.ellipse([(x - 3) * S, (y - 3) * S, (x + 3) * S, (y + 3) * S], fill=dots)
    if shine:
        d.ellipse([(cx - r * .55) * S, (cy - r * .6) * S, (cx - r * .1) * S, (cy - r * .25) * S],
                  fill=_shade(color, 1.35))


def _diamond(d, cx, cy, w, h, color, edge):
    pts = [(cx, cy - h), (cx + w, cy), (cx, cy + h), (cx - w, cy)]
    d.polygon([(x * S, (y + 10) * S) for x, y in pts], fill=edge)
    d.polygon([(x * S, y * S) for x, y in pts], fill=color)


def _block(d, x, y, w, h, top, side, speckle=None, rng=None):
    d.rectangle([x * S, (y + h) * S, (x + w) * S, (y + h + 16) * S], fill=side)
    d.rectangle([x * S, y * S, (x + w) * S, (y + h) * S], fill=top)
    if speckle:
        for _ in range(int(w * h / 120)):
            px, py = rng.uniform(x + 4, x + w - 4), rng.uniform(y + 4, y + h - 4)
            d.ellipse([(px - 4) * S, (py - 3) * S, (px + 4) * S, (py + 3) * S],
                      fill=rng.choice(speckle))


def _grid_positions(n_cols, n_rows, cx, cy, dx, dy):
    return [(cx + (i - (n_cols - 1) / 2) * dx, cy + (j - (n_rows - 1) / 2) * dy)
            for j in range(n_rows) for i in range(n_cols)]


def draw(kind: str) -> bytes:
    rng = random.Random(kind)
    img, d = _canvas(CLOTH.get(kind, (138, 28, 43)))
    if kind == "kaju":
        _plate(d)
        for x, y in _grid_positions(4, 3, W // 2, H // 2 + 10, 120, 95):
            _diamond(d, x, y, 60, 44, (238, 228, 214), (196, 180, 160))
            d.polygon([((x - 30) * S, (y - 6) * S), ((x) * S, (y - 28) * S), ((x + 30) * S, (y - 6) * S),
                       (x * S, (y + 16) * S)], fill=(246, 246, 250))
    elif kind in ("milk", "kalakand", "dry", "soan"):
        _plate(d)
        tops = {"milk": ((214, 160, 92), (150, 96, 44), [(170, 110, 50), (235, 190, 120)]),
                "kalakand": ((246, 236, 206), (214, 196, 160), [(120, 170, 80), (230, 220, 190)]),
                "dry": ((120, 70, 40), (80, 44, 24), [(200, 160, 100), (230, 210, 160), (60, 30, 20)]),
                "soan": ((238, 206, 140), (200, 160, 90), [(250, 230, 180), (210, 170, 100)])}[kind]
        for x, y in _grid_positions(3, 3, W // 2, H // 2, 150, 110):
            _block(d, x - 62, y - 44, 124, 80, tops[0], tops[1], speckle=tops[2], rng=rng)
    elif kind in ("motichoor", "besan"):
        _plate(d)
        color, dots = ((236, 128, 26), (250, 170, 60)) if kind == "motichoor" else \
            ((222, 168, 84), (196, 140, 60))
        for x, y in [(W / 2 - 150, H / 2 + 40), (W / 2, H / 2 + 60), (W / 2 + 150, H / 2 + 40),
                     (W / 2 - 75, H / 2 - 60), (W / 2 + 75, H / 2 - 60)]:
            _ball(d, x, y, 82, color, dots=dots, rng=rng)
            if kind == "besan":
                d.ellipse([(x - 8) * S, (y - 70) * S, (x + 8) * S, (y - 56) * S], fill=(120, 170, 80))
    elif kind in ("jamun", "rasgulla"):
        # a bowl of syrup
        cx, cy = W // 2, H // 2 + 30
        d.ellipse([(cx - 330) * S, (cy - 230) * S, (cx + 330) * S, (cy + 250) * S], fill=(50, 26, 18))
        d.ellipse([(cx - 320) * S, (cy - 240) * S, (cx + 320) * S, (cy + 230) * S], fill=(232, 222, 204))
        syrup = (196, 120, 40) if kind == "jamun" else (246, 232, 196)
        d.ellipse([(cx - 280) * S, (cy - 200) * S, (cx + 280) * S, (cy + 190) * S], fill=syrup)
        color = (110, 40, 22) if kind == "jamun" else (252, 250, 244)
        for x, y in [(cx - 130, cy + 40), (cx + 10, cy + 70), (cx + 150, cy + 30),
                     (cx - 60, cy - 80), (cx + 90, cy - 90)]:
            _ball(d, x, y, 78, color)
    elif kind == "jalebi":
        _plate(d)
        for x, y in [(W / 2 - 120, H / 2 - 30), (W / 2 + 120, H / 2 - 30), (W / 2, H / 2 + 70)]:
            points = [(x + (8 + 7.2 * t) * math.cos(t * 1.05) , y + (8 + 7.2 * t) * math.sin(t * 1.05) * .85)
                      for t in [i / 4 for i in range(0, 62)]]
            d.line([(px * S, (py + 6) * S) for px, py in points], fill=(170, 70, 10), width=30 * S,
                   joint="curve")
            d.line([(px * S, py * S) for px, py in points], fill=(244, 140, 24), width=24 * S,
                   joint="curve")
    else:  # halwa: a mound in a bowl, with nuts
        cx, cy = W // 2, H // 2 + 30
        d.ellipse([(cx - 320) * S, (cy - 200) * S, (cx + 320) * S, (cy + 240) * S], fill=(60, 30, 20))
        d.ellipse([(cx - 310) * S, (cy - 210) * S, (cx + 310) * S, (cy + 220) * S], fill=(232, 222, 204))
        d.ellipse([(cx - 250) * S, (cy - 170) * S, (cx + 250) * S, (cy + 160) * S], fill=(214, 130, 40))
        d.ellipse([(cx - 190) * S, (cy - 140) * S, (cx + 190) * S, (cy + 100) * S], fill=(230, 150, 56))
        for _ in range(26):
            x, y = cx + rng.uniform(-170, 170), cy + rng.uniform(-110, 80)
            d.ellipse([(x - 10) * S, (y - 5) * S, (x + 10) * S, (y + 5) * S],
                      fill=rng.choice([(120, 170, 80), (240, 226, 190)]))
    img = img.filter(ImageFilter.GaussianBlur(radius=1)).resize((W, H), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


# Demo sweet name -> drawing
PICTURES = {"Kaju Katli": "kaju", "Milk Cake": "milk", "Kalakand": "kalakand",
            "Dry Fruit Barfi": "dry", "Soan Papdi": "soan", "Motichoor Laddoo": "motichoor",
            "Besan Laddoo": "besan", "Gulab Jamun": "jamun", "Rasgulla": "rasgulla",
            "Jalebi": "jalebi", "Moong Dal Halwa": "halwa"}
