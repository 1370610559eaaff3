"""Product photos: Cloudinary through its official SDK when CLOUDINARY_URL is set, else local disk.

Nothing else imports the cloudinary SDK. A photo is known by its key in Product.image_key:
"cld:<public_id>" for Cloudinary, "local:<random>.<ext>" for a file in UPLOAD_DIR served by
the app at /media/<name>. Keys say where they live, so an old local photo still shows (and
can be removed) after CLOUDINARY_URL is set, and the other way round.
"""
from __future__ import annotations

import io
import logging
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from flask import Flask, abort, current_app, send_from_directory, url_for
from markupsafe import Markup, escape

from ..images import CleanImage

log = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
# Widths offered in srcset: a 2-column phone grid needs ~240-360, a full-width photo 720-960.
WIDTHS = (240, 360, 480, 720, 960)
# Every photo is shown 4:3 (cropped by Cloudinary, by CSS object-fit locally), so the img
# carries width/height for that ratio and the page never jumps as photos arrive.
RATIO = (4, 3)
CLOUDINARY_FOLDER = "sweetshop/products"
MIME_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp",
              "avif": "image/avif"}
LOCAL_NAME = re.compile(r"^[A-Za-z0-9_-]{8,64}\.(jpg|png|webp|avif)$")
# A photo resized at upload (images.renditions): the key names its JPEG fallback at its
# widest, "rs-<22-char token>-<width>.jpg"; beside it "rs-<token>-<width>-w<w>.<ext>" for
# each width and format. Older photos (one file, a 22-char name) never match this.
RESPONSIVE_NAME = re.compile(r"^rs-([A-Za-z0-9_-]{22})-([0-9]{2,4})\.jpg$")


class ImageStoreError(Exception):
    """The photo could not be stored or removed (service down, refused, timed out)."""


def sniff_image_type(data: bytes) -> str | None:
    """'jpg', 'png' or 'webp' from the file's first bytes (never its name), else None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


@dataclass(frozen=True)
class Picture:
    """What an <img> needs: a src, and a srcset of widths when the store can resize;
    `sources` are (mime type, srcset) for a <picture> (AVIF, WebP before the JPEG)."""
    src: str
    srcset: str = ""
    sources: tuple[tuple[str, str], ...] = ()
    width: int = 960


class LocalImageStore:
    """Files in one folder, named at random, served by the app with long cache headers."""

    prefix = "local:"

    def __init__(self, folder: Path):
        self.folder = folder

    def store(self, data: bytes, ext: str) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{secrets.token_urlsafe(16)}.{ext}"
        tmp = self.folder / f".{name}.part"
        tmp.write_bytes(data)
        tmp.replace(self.folder / name)  # atomic: a reader never sees half a photo
        return self.prefix + name

    def store_renditions(self, renditions) -> str:
        """Write every rendition (images.Rendition), then the JPEG fallback the key names,
        last, so a key that exists always has its renditions beside it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        widest = max(r.width for r in renditions)
        stem = f"rs-{secrets.token_urlsafe(16)}-{widest}"
        for r in renditions:
            self._write(f"{stem}-w{r.width}.{r.ext}", r.data)
        master = next(r for r in renditions if r.width == widest and r.ext == "jpg")
        self._write(f"{stem}.jpg", master.data)
        return self.prefix + f"{stem}.jpg"

    def _write(self, name: str, data: bytes) -> None:
        tmp = self.folder / f".{name}.part"
        tmp.write_bytes(data)
        tmp.replace(self.folder / name)

    def delete(self, key: str) -> None:
        name = key[len(self.prefix):]
        path = self.path_for(name)
        if path is None:
            return
        if RESPONSIVE_NAME.match(name):
            for rendition in self.folder.glob(f"{name[:-4]}-w*"):
                rendition.unlink(missing_ok=True)
        path.unlink(missing_ok=True)

    def path_for(self, name: str) -> Path | None:
        """The file for a name from a URL or key, or None if the name is not one of ours."""
        if not LOCAL_NAME.match(name):
            return None
        return self.folder / name

    def picture(self, key: str) -> Picture:
        name = key[len(self.prefix):]
        match = RESPONSIVE_NAME.match(name)
        if not match:
            return Picture(src=url_for("media", name=name))
        from ..images import MODERN_FORMATS, RENDITION_WIDTHS

        widest = int(match.group(2))
        widths = [w for w in RENDITION_WIDTHS if w < widest] + [widest]
        stem = name[:-4]

        def srcset(ext: str) -> str:
            return ", ".join(f"{url_for('media', name=f'{stem}-w{w}.{ext}')} {w}w"
                             for w in widths)

        return Picture(src=url_for("media", name=name),
                       srcset=srcset("jpg"),
                       sources=tuple((MIME_TYPES[e], srcset(e)) for e in MODERN_FORMATS),
                       width=widest)


class CloudinaryImageStore:
    """Uploads through the SDK with explicit credentials and a timeout on every call."""

    prefix = "cld:"

    def __init__(self, options: dict, timeout: float):
        self.options = options
        self.timeout = timeout

    def store(self, data: bytes, ext: str) -> str:
        import cloudinary.exceptions
        import cloudinary.uploader

        try:
            result = cloudinary.uploader.upload(
                io.BytesIO(data), filename=f"photo.{ext}", folder=CLOUDINARY_FOLDER,
                resource_type="image", unique_filename=True, overwrite=False,
                timeout=self.timeout, **self.options)
        except (cloudinary.exceptions.Error, OSError) as error:
            raise ImageStoreError(f"Cloudinary upload failed: {error}") from error
        return self.prefix + result["public_id"]

    def delete(self, key: str) -> None:
        import cloudinary.exceptions
        import cloudinary.uploader

        try:
            cloudinary.uploader.destroy(key[len(self.prefix):], resource_type="image",
                                        invalidate=True, timeout=self.timeout, **self.options)
        except (cloudinary.exceptions.Error, OSError) as error:
            raise ImageStoreError(f"Cloudinary delete failed: {error}") from error

    def url(self, public_id: str, width: int) -> str:
        from cloudinary.utils import cloudinary_url

        height = width * RATIO[1] // RATIO[0]
        url, _ = cloudinary_url(public_id, secure=True, transformation=[{
            "crop": "fill", "gravity": "auto", "width": width, "height": height,
            "fetch_format": "auto", "quality": "auto"}], **self.options)
        return url

    def picture(self, key: str) -> Picture:
        public_id = key[len(self.prefix):]
        return Picture(src=self.url(public_id, 720),
                       srcset=", ".join(f"{self.url(public_id, w)} {w}w" for w in WIDTHS))


def parse_cloudinary_url(url: str) -> dict:
    """cloudinary://KEY:SECRET@CLOUD[?option=value] as SDK options (the SDK's own format)."""
    parsed = urlparse(url)
    if parsed.scheme != "cloudinary" or not parsed.hostname or not parsed.username \
            or not parsed.password:
        raise RuntimeError("CLOUDINARY_URL must look like cloudinary://API_KEY:API_SECRET@CLOUD_NAME")
    options = {"cloud_name": parsed.hostname, "api_key": unquote(parsed.username),
               "api_secret": unquote(parsed.password)}
    # Extra settings ride in the query string, e.g. ?upload_prefix=... (the tests' fake API).
    options.update({k: v[0] for k, v in parse_qs(parsed.query).items()})
    return options


def init_app(app: Flask) -> None:
    """Choose the photo store, serve local photos at /media/<name>, add the image_tag global."""
    folder = Path(app.config.get("UPLOAD_DIR") or Path(app.instance_path) / "uploads")
    stores = {"local": LocalImageStore(folder)}
    if app.config.get("CLOUDINARY_URL"):
        stores["cloudinary"] = CloudinaryImageStore(
            parse_cloudinary_url(app.config["CLOUDINARY_URL"]),
            timeout=float(app.config.get("CLOUDINARY_TIMEOUT", 20)))
    app.extensions["image_stores"] = stores
    app.add_url_rule("/media/<name>", "media", serve_media)
    app.add_template_global(image_tag, "image_tag")
    app.add_template_global(logo_url, "logo_url")
    app.add_template_global(absolute_photo_url, "absolute_photo_url")


def _stores() -> dict:
    return current_app.extensions["image_stores"]


def local_store() -> LocalImageStore:
    return _stores()["local"]


def _store_for_key(key: str):
    for store in _stores().values():
        if key.startswith(store.prefix):
            return store
    return None


def store_image(photo: CleanImage) -> str:
    """Keep the photo in the configured store and return its key. Raises ImageStoreError.
    Only a CleanImage (decoded and re-encoded without metadata) is ever stored, on local
    disk or at Cloudinary: never the bytes as uploaded."""
    if not isinstance(photo, CleanImage):
        raise TypeError("store_image takes a CleanImage (sweetshop.images.clean_image)")
    stores = _stores()
    if "cloudinary" in stores:  # Cloudinary resizes on request (srcset from transformations)
        return stores["cloudinary"].store(photo.data, photo.ext)
    from ..images import renditions
    return stores["local"].store_renditions(renditions(photo))


def store_logo(photo: CleanImage) -> str:
    """Keep a small image (the shop's logo) as it is, in the configured store."""
    if not isinstance(photo, CleanImage):
        raise TypeError("store_logo takes a CleanImage")
    stores = _stores()
    return stores.get("cloudinary", stores["local"]).store(photo.data, photo.ext)


def logo_url(key: str | None) -> str | None:
    """The URL of the logo stored under `key` (as it was stored: no resizing), or None."""
    store = _store_for_key(key) if key else None
    if store is None:
        return None
    if isinstance(store, CloudinaryImageStore):
        from cloudinary.utils import cloudinary_url
        return cloudinary_url(key[len(store.prefix):], secure=True, **store.options)[0]
    return store.picture(key).src


def absolute_photo_url(product) -> str | None:
    """A 960 px JPEG (or Cloudinary's) of the product's photo, for link previews."""
    key = product.image_key
    store = _store_for_key(key) if key else None
    if store is None:
        return None
    if isinstance(store, CloudinaryImageStore):
        return store.url(key[len(store.prefix):], 960)
    return url_for("media", name=key[len(store.prefix):], _external=True)


def delete_image(key: str | None) -> None:
    """Remove a stored photo. Raises ImageStoreError when the store refuses or is unreachable."""
    if not key:
        return
    store = _store_for_key(key)
    if store is None:
        log.warning("Cannot delete photo %s: its store is not configured", key)
        return
    store.delete(key)


def image_tag(product, sizes: str = "100vw", eager: bool = False, alt: str | None = None) -> Markup:
    """A responsive, lazily loaded <img> for a product's photo (4:3, never shifts the layout)."""
    key = product.image_key
    store = _store_for_key(key) if key else None
    if store is None:
        return Markup('<span class="ph" aria-hidden="true"></span>')
    picture = store.picture(key)
    width, height = picture.width, picture.width * RATIO[1] // RATIO[0]
    attrs = [f'src="{escape(picture.src)}"']
    if picture.srcset:
        attrs += [f'srcset="{escape(picture.srcset)}"', f'sizes="{escape(sizes)}"']
    attrs += [f'width="{width}"', f'height="{height}"',
              f'alt="{escape(product.name if alt is None else alt)}"', 'decoding="async"']
    attrs.append('fetchpriority="high"' if eager else 'loading="lazy"')
    img = f"<img {' '.join(attrs)}>"
    if not picture.sources:
        return Markup(img)
    sources = "".join(f'<source type="{mime}" srcset="{escape(srcset)}" sizes="{escape(sizes)}">'
                      for mime, srcset in picture.sources)
    return Markup(f"<picture>{sources}{img}</picture>")


def serve_media(name: str):
    store = _stores()["local"]
    path = store.path_for(name)
    if path is None or not path.is_file():
        abort(404)
    # Names are random and never reused, so a photo can be cached for a year.
    response = send_from_directory(store.folder, name, mimetype=MIME_TYPES[name.rsplit(".", 1)[1]],
                                   max_age=365 * 24 * 3600)
    response.cache_control.immutable = True
    response.cache_control.public = True
    return response
