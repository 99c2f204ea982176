"""Printable documents (prescriptions, lab and imaging reports) with fpdf2.

DejaVu Sans ships with OpenWard so that every patient's name prints, whatever its script
(the PDF core fonts know only Latin-1)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace
from starlette.responses import Response

FONTS = Path(__file__).parent / "fonts"
FAMILY = "DejaVu"


class Document(FPDF):
    """An A4 page with the hospital's name at the top and page numbers at the bottom."""

    def __init__(self, hospital_name: str, title: str, printed_at: datetime) -> None:
        super().__init__(format="A4")
        self.hospital_name = hospital_name
        self.doc_title = title
        self.printed_at = printed_at
        self.add_font(FAMILY, "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font(FAMILY, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_title(title)
        self.set_creator("OpenWard")
        self.set_auto_page_break(auto=True, margin=18)
        self.add_page()

    def header(self) -> None:
        self.set_font(FAMILY, "B", 14)
        self.cell(0, 8, self.hospital_name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FAMILY, "", 11)
        self.cell(0, 6, self.doc_title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(120, 120, 120)
        self.line(self.l_margin, self.get_y() + 1, self.w - self.r_margin, self.get_y() + 1)
        self.ln(4)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FAMILY, "", 8)
        stamp = self.printed_at.strftime("%d %b %Y %H:%M")
        self.cell(0, 6, f"Printed {stamp} · page {self.page_no()}/{{nb}}", align="C")

    def heading(self, text: str) -> None:
        self.ln(2)
        self.set_font(FAMILY, "B", 11)
        self.cell(0, 7, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FAMILY, "", 10)

    def fields(self, pairs: Sequence[tuple[str, str]], label_width: float = 42) -> None:
        """Label: value lines (patient, MRN, date of birth...)."""
        for label, value in pairs:
            self.set_font(FAMILY, "B", 10)
            self.cell(label_width, 6, label)
            self.set_font(FAMILY, "", 10)
            self.multi_cell(0, 6, value or "—", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def paragraph(self, text: str) -> None:
        self.set_font(FAMILY, "", 10)
        self.multi_cell(0, 5.5, text or "—", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def grid(
        self,
        headers: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float] | None = None,
    ) -> None:
        """A bordered table; long cells wrap."""
        self.set_font(FAMILY, "", 9)
        col_widths = tuple(widths) if widths else None
        with self.table(
            col_widths=col_widths,
            text_align="LEFT",
            line_height=5.5,
            headings_style=FontFace(emphasis="BOLD", fill_color=(235, 238, 242)),
        ) as table:
            head = table.row()
            for text in headers:
                head.cell(text)
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(str(value) if value is not None else "")

    def signature_line(self, label: str) -> None:
        self.ln(12)
        y = self.get_y()
        self.line(self.l_margin, y, self.l_margin + 70, y)
        self.set_font(FAMILY, "", 9)
        self.cell(0, 6, label, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def to_bytes(self) -> bytes:
        return bytes(self.output())


def pdf_filename(stem: str) -> str:
    """A safe attachment name: letters, digits and dashes."""
    cleaned = "".join(ch if ch.isalnum() else "-" for ch in stem).strip("-")
    return f"{cleaned or 'document'}.pdf"


def pdf_response(content: bytes, filename: str) -> Response:
    """A printed document, opened in the browser's viewer rather than downloaded."""
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )
