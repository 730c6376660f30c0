"""QR codes for the hall's screens, made on the server as inline SVG (segno, no network)."""
import functools


@functools.lru_cache(maxsize=64)
def qr_svg(url: str) -> str:
    """The link as an inline SVG QR code (the join screen's and the polls' projector)."""
    import segno

    return segno.make(url, error="m").svg_inline(dark="#10161f", light="#ffffff", border=2,
                                                  omitsize=True)
