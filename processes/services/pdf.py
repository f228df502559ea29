"""Printable forms as PDF: our HTML templates rendered by WeasyPrint with a bundled Vietnamese-capable serif
(DejaVu Serif, processes/pdf_fonts/), so that a PDF looks the same on every machine whatever fonts it has. QR codes
come from segno as inline SVG."""
import atexit
import io
from functools import lru_cache
from pathlib import Path

import segno

FONT_DIR = Path(__file__).resolve().parent.parent / "pdf_fonts"
FONT_FAMILY = "MotCua Serif"


@lru_cache(maxsize=1)
def _font_stylesheet():
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    faces = []
    for weight, style, name in (("normal", "normal", "DejaVuSerif.ttf"), ("bold", "normal", "DejaVuSerif-Bold.ttf"),
                                ("normal", "italic", "DejaVuSerif-Italic.ttf"),
                                ("bold", "italic", "DejaVuSerif-BoldItalic.ttf")):
        faces.append(f'@font-face {{ font-family: "{FONT_FAMILY}"; font-weight: {weight}; font-style: {style}; '
                     f'src: url("{(FONT_DIR / name).as_uri()}"); }}')
    # The forms ask for Times New Roman (the administrative standard); the bundled face stands in for it everywhere.
    faces.append(f'html, body {{ font-family: "{FONT_FAMILY}", serif !important; }}')
    fonts = FontConfiguration()
    return CSS(string="\n".join(faces), font_config=fonts), fonts


# WeasyPrint's FontConfiguration cleans up in __del__, which fails at interpreter shutdown: drop it before then.
atexit.register(_font_stylesheet.cache_clear)


def render_pdf(html):
    """PDF bytes of one HTML document (its own @page rule sets the paper: A5 for forms, A4 for registers)."""
    from weasyprint import HTML

    stylesheet, fonts = _font_stylesheet()
    return HTML(string=html, base_url=str(FONT_DIR)).write_pdf(stylesheets=[stylesheet], font_config=fonts)


def pdf_text(pdf_bytes):
    """The text of a PDF, page by page joined with form feeds (tests and the register check what was printed)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf_bytes))
    return "\f".join(page.extract_text() or "" for page in reader.pages)


def qr_svg(data, *, scale=3):
    """An inline <svg> of a QR code (error correction M), to put in a form's HTML."""
    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="svg", scale=scale, xmldecl=False, svgns=True, nl=False)
    return buffer.getvalue().decode()
