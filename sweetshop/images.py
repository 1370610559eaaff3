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

from PIL import Image, ImageCms, ImageOps, features

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


# --- responsive renditions (issue 13) ------------------------------------------------------

# Widths a phone grid (2 columns: ~180 CSS px at DPR 1.3-2.6), a product page (360-412 CSS
# px) and a desktop need; never wider than the photo itself.
RENDITION_WIDTHS = (240, 480, 960)
RENDITION_RATIO = (4, 3)  # every photo is shown 4:3: cropped once here, not by each browser
# AVIF where this Pillow has the codec (Pillow 11.3+ with libavif): ~30% under WebP.
MODERN_FORMATS = tuple(f for f in ("avif", "webp") if features.check(f))
RENDITION_OPTIONS = {"avif": {"quality": 55, "speed": 8},
                     "webp": {"quality": 78, "method": 4},
                     "jpg": {"quality": 80, "optimize": True, "progressive": True}}
PILLOW_NAMES = {"avif": "AVIF", "webp": "WEBP", "jpg": "JPEG"}


@dataclass(frozen=True)
class Rendition:
    width: int
    height: int
    ext: str  # 'avif', 'webp' or 'jpg'
    data: bytes


def renditions(photo: CleanImage) -> list[Rendition]:
    """The photo cropped to 4:3 (centre) and encoded at RENDITION_WIDTHS (those not wider
    than the photo, plus the photo's own width when it is narrower than 960) in every
    MODERN_FORMAT and as a JPEG fallback, flattened on white, in sRGB, without metadata.

    `photo` is what clean_image returned: already upright, sRGB, within MAX_PIXELS."""
    with Image.open(io.BytesIO(photo.data)) as source:
        source.load()
        image = source
        if _has_alpha(image):
            background = Image.new("RGB", image.size, (255, 255, 255))
            background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
            image = background
        elif image.mode != "RGB":
            image = image.convert("RGB")
        rw, rh = RENDITION_RATIO
        crop_w = min(image.width, image.height * rw // rh)
        crop_w -= crop_w % rw
        crop_w = max(crop_w, rw)
        crop_h = crop_w * rh // rw
        image = ImageOps.fit(image, (crop_w, crop_h), method=Image.Resampling.LANCZOS)
        widths = [w for w in RENDITION_WIDTHS if w < crop_w] + [min(crop_w, RENDITION_WIDTHS[-1])]
        out: list[Rendition] = []
        for width in dict.fromkeys(widths):
            height = width * rh // rw
            scaled = image if width == image.width else image.resize(
                (width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
            scaled.info = {}
            for ext in (*MODERN_FORMATS, "jpg"):
                buffer = io.BytesIO()
                scaled.save(buffer, PILLOW_NAMES[ext], **RENDITION_OPTIONS[ext])
                out.append(Rendition(width, height, ext, buffer.getvalue()))
    return out


def small_logo(photo: CleanImage, height: int = 96) -> CleanImage:
    """The shop's logo at most `height` px high (shown at 32-40 CSS px), same format, alpha
    kept, without metadata."""
    with Image.open(io.BytesIO(photo.data)) as image:
        image.load()
        if image.height > height:
            image = image.resize((max(1, image.width * height // image.height), height),
                                 Image.Resampling.LANCZOS)
        ext = photo.ext
        if ext == "jpg" and image.mode not in ("L", "RGB"):
            image = image.convert("RGB")
        image.info = {}
        out = io.BytesIO()
        image.save(out, PILLOW_FORMATS[ext], **SAVE_OPTIONS[ext])
        return CleanImage(data=out.getvalue(), ext=ext, width=image.width, height=image.height)
