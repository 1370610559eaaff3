"""Uploaded photos, decoded and encoded again with Pillow before any store keeps them.

A photo from the owner's phone carries EXIF (the GPS position of the shop or the owner's
home, the phone's make, the time); a file can claim 65535 × 65535 pixels in 4 KB and take
gigabytes to decode, in our process or a customer's browser. So nothing is stored byte for
byte: the image is decoded (refused when it does not decode or is above MAX_PIXELS, judged
from its header before any pixel is decoded), turned upright by its EXIF orientation,
converted to sRGB when it carries a colour profile, and encoded afresh in the same format
with no metadata at all (no EXIF, XMP, ICC profile or text chunks).
"""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageOps

log = logging.getLogger(__name__)

MAX_PIXELS = 40_000_000  # ~40 megapixels: above any phone's camera (48 MP phones save 12 MP)
PILLOW_FORMATS = {"jpg": "JPEG", "png": "PNG", "webp": "WEBP"}
# Encoder settings: close to the eye to what the phone saved, a little smaller.
# (Not progressive JPEG: it doubles the encoding time of a 12 MP photo for ~5% in size.)
SAVE_OPTIONS = {"jpg": {"quality": 85, "optimize": True},
                "png": {"optimize": False},
                "webp": {"quality": 85, "method": 4}}
_SRGB = ImageCms.createProfile("sRGB")


class ImageRefused(ValueError):
    """The upload is not a photo we keep. `reason` is 'too_large' or 'unreadable'."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class CleanImage:
    """A photo decoded and re-encoded without metadata: the only thing a photo store keeps."""
    data: bytes
    ext: str  # 'jpg', 'png' or 'webp', the format of `data`
    width: int
    height: int


def clean_image(data: bytes, ext: str) -> CleanImage:
    """Decode `data` as the format `ext` (judged from its first bytes by the caller) and
    encode it again without metadata. Raises ImageRefused ('too_large' above MAX_PIXELS,
    'unreadable' when it does not decode completely as that format)."""
    try:
        image = Image.open(io.BytesIO(data), formats=[PILLOW_FORMATS[ext]])
        width, height = image.size  # from the header: nothing decoded yet
    except Image.DecompressionBombError as error:  # Pillow's own limit (~179 MP)
        raise ImageRefused("too_large", str(error)) from None
    except Exception as error:  # Pillow raises many kinds for a broken file
        raise ImageRefused("unreadable", f"{error.__class__.__name__}: {error}") from None
    if width * height > MAX_PIXELS:
        raise ImageRefused("too_large", f"{width}x{height}")
    try:
        image.load()  # every pixel, so a truncated or corrupt file is refused here
        image = _upright_srgb(image)
        if ext == "jpg" and image.mode not in ("L", "RGB"):
            image = image.convert("RGB")  # JPEG has no alpha or palette
        keep = _transparency(image, ext)
        # Pillow's encoders copy some of info unless told otherwise (PNG the ICC profile,
        # JPEG the XMP): empty it, so only pixels are written.
        image.info = {}
        out = io.BytesIO()
        image.save(out, PILLOW_FORMATS[ext], **SAVE_OPTIONS[ext], **keep)
    except Image.DecompressionBombError as error:
        raise ImageRefused("too_large", str(error)) from None
    except Exception as error:
        raise ImageRefused("unreadable", f"{error.__class__.__name__}: {error}") from None
    return CleanImage(data=out.getvalue(), ext=ext, width=image.width, height=image.height)


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info


def _upright_srgb(image: Image.Image) -> Image.Image:
    """Turned as the camera meant (EXIF orientation), in a mode browsers show as sRGB."""
    ImageOps.exif_transpose(image, in_place=True)  # no copy when already upright
    icc = image.info.get("icc_profile")
    target = "RGBA" if _has_alpha(image) else "RGB"
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            if image.mode not in ("RGB", "RGBA", "CMYK", "L"):
                image = image.convert(target)
            converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode=target)
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError) as error:
            # A broken or unusual profile: keep the pixels as they are, drop the profile.
            log.info("Photo colour profile not converted (%s); dropped", error)
    if image.mode in ("1", "L", "P", "RGB", "RGBA"):
        return image
    return image.convert(target)  # CMYK, LA, 16-bit and other modes


def _transparency(image: Image.Image, ext: str) -> dict:
    """The transparent colour of a palette or RGB PNG, the one piece of info we keep."""
    if ext == "png" and "transparency" in image.info and image.mode in ("P", "L", "RGB", "1"):
        return {"transparency": image.info["transparency"]}
    return {}
