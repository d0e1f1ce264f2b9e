"""Read what a QR code the app drew really encodes, as a phone's camera would.

The SVG is rasterised by resvg (resvg-py) and decoded by ZXing (zxing-cpp):
a real renderer and a real decoder, so a code that draws but does not scan, or
scans to the wrong link, fails the test.
"""
import io

import resvg_py
import zxingcpp
from PIL import Image


def decode_qr_svg(svg: bytes, *, width: int = 400) -> list[str]:
    """The texts of every QR code in the SVG image (empty when none scans)."""
    png = resvg_py.svg_to_bytes(svg_string=svg.decode("utf-8"), width=width, background="#ffffff")
    image = Image.open(io.BytesIO(bytes(png))).convert("L")
    return [code.text for code in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]
