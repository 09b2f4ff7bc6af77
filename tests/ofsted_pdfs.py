"""Small PDFs laid out as Ofsted prints its reports, made with fpdf2, one per format: what real
reports do to a reader (ruled judgement tables with wrapped cells, running footers, footnote
markers, symbol-font bullets, headings that carry a grade, a contents page, the back page)."""

from __future__ import annotations

from pathlib import Path

LOREM = ("Inspectors looked at the records of many children and spoke with their social workers, managers and "
         "carers, and with partners in health, education and the police, about the help each child received. ")


class _Report:
    def __init__(self, footer: list[str]):
        from fpdf import FPDF

        footer_lines = footer

        class Pdf(FPDF):
            def footer(self):
                self.set_y(-22)
                self.set_font("Helvetica", size=8)
                for text in [*footer_lines, str(self.page_no())]:
                    self.cell(0, 4, text, align="R", new_x="LMARGIN", new_y="NEXT")

        self.pdf = Pdf()
        self.pdf.set_auto_page_break(False)
        self.pdf.set_margins(25, 20)
        self.pdf.add_page()

    def text(self, text: str, size: float = 11, style: str = "", gap: float = 3, x: float | None = None) -> None:
        pdf = self.pdf
        pdf.set_font("Helvetica", style, size)
        for line in pdf.multi_cell(0, 0.5 * size, text, dry_run=True, output="LINES"):
            if pdf.get_y() > 250:
                pdf.add_page()
            pdf.cell(0, 0.5 * size, line, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    def lines(self, lines: list[str], size: float = 11, style: str = "", gap: float = 3) -> None:
        pdf = self.pdf
        pdf.set_font("Helvetica", style, size)
        for line in lines:
            pdf.cell(0, 0.5 * size, line, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    def bullet(self, text: str) -> None:
        pdf = self.pdf
        pdf.set_font("ZapfDingbats", size=8)
        pdf.cell(6, 5.5, "n")  # a filled square, as Wingdings' bullet is
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)

    def table(self, rows: list[tuple[str, ...]], widths: tuple[int, ...]) -> None:
        pdf = self.pdf
        pdf.set_font("Helvetica", size=11)
        with pdf.table(col_widths=widths, first_row_as_headings=False, line_height=5.5) as table:
            for row in rows:
                cells = table.row()
                for cell in row:
                    cells.cell(cell)
        pdf.ln(4)

    def back_page(self) -> None:
        self.pdf.add_page()
        for text in (
            "Any complaints about the inspection or the report should be made following the procedures set out in "
            "the guidance, which is available from Ofsted's website.",
            "You may copy all or parts of this document for non-commercial educational purposes, as long as you "
            "give details of the source and date of publication and do not alter the information in any way.",
            "To receive regular email alerts about new publications, including survey reports and school inspection "
            "reports, please visit our website and go to 'Subscribe'.",
            "\u00a9 Crown copyright 2025",
        ):
            self.text(text)

    def save(self, path: Path) -> Path:
        self.pdf.output(str(path))
        return path


def write_ilacs_pdf(path: Path) -> Path:
    """The 2018-2026 format: title, dates and lead inspector on the cover, a ruled judgement table,
    'What needs to improve?' with bullets, headings that end with their grade, paragraphs 1 to 6."""
    report = _Report(["Inspection of Testshire local authority children's services", "3 to 14 March 2025"])
    report.lines(["Inspection of Testshire local authority", "children's services"], size=18, style="B", gap=6)
    report.lines(["Inspection dates: 3 to 14 March 2025"], gap=2)
    report.lines(["Lead inspector: Jane Example, His Majesty's Inspector"], gap=6)
    report.table([("Judgement", "Grade"),
                  ("The impact of leaders on social work practice with children and families", "Good"),
                  ("The experiences and progress of children who need help and protection", "Good"),
                  ("The experiences and progress of care leavers", "Requires improvement to be good"),
                  ("Overall effectiveness", "Good")], widths=(95, 65))
    pdf = report.pdf
    pdf.set_font("Helvetica", size=11)
    pdf.write(5.5, "Since the last inspection, services for children have improved and most care leavers")
    pdf.char_vpos = "SUP"
    pdf.write(5.5, "1")
    pdf.char_vpos = "LINE"
    pdf.write(5.5, " now live in homes that suit them.")
    pdf.ln(9)
    pdf.set_y(238)
    pdf.set_font("Helvetica", size=8)
    pdf.multi_cell(0, 4, "1 Care leavers are young people aged 18 to 25 who were in the care of the local authority.")
    pdf.add_page()
    report.lines(["What needs to improve?"], style="B")
    report.bullet("The availability and choice of homes for care leavers.")
    report.bullet("The quality of written plans for the minority of children where these are weak.")
    report.lines(["The experiences and progress of children who need help and", "protection: good"], style="B")
    report.text("1. Children who need help receive it quickly. " + LOREM)
    report.text("2. Strategy meetings are timely and well attended. " + LOREM * 2)
    report.text("3. Families are offered family group conferences at the earliest opportunity. " + LOREM * 3
                + "Workers help families to keep children safely at home.", gap=0)
    pdf.set_y(258)  # the paragraph's last sentence is printed on the next page, after the footer
    pdf.add_page()
    report.text("Family group conferencing is a strength and makes a positive difference to children's lives.")
    report.lines(["The experiences and progress of care leavers: requires improvement to be good"], style="B")
    report.lines(["4. Care leavers benefit from enduring relationships with personal advisers and from a strong multi-",
                  "agency response when they are at risk of exploitation."])
    report.text("5. Some care leavers live in unsuitable temporary housing because there is not enough accommodation.")
    report.text("6. Leaders know their services well and have plans to improve the offer to care leavers.")
    report.back_page()
    return report.save(path)


def write_sif_pdf(path: Path) -> Path:
    """The 2013-2017 single inspection framework: the council's name above the title, the overall
    judgement as a sentence in the ruled table, a contents page, grades printed in a column beside
    each judgement heading, the lead inspector in the inspection team's list at the end."""
    report = _Report(["Testshire inspection report 2016"])
    report.lines(["Testshire"], size=26, gap=4)
    report.lines(["Inspection of services for children in need of help and protection,",
                  "children looked after and care leavers"], size=14, style="B", gap=4)
    report.lines(["Inspection date: 12 September to 6 October 2016"], size=14, gap=2)
    report.lines(["Report published: 25 November 2016"], size=14, gap=6)
    report.table([("Children's services in Testshire are inadequate", "", ""),
                  ("1. Children who need help and protection", "", "Inadequate"),
                  ("", "2.1 Adoption performance", "Requires improvement"),
                  ("3. Leadership, management and governance", "", "Inadequate")], widths=(70, 60, 40))
    report.pdf.add_page()
    report.lines(["Contents"], size=14, style="B")
    report.lines(["Executive summary 3", "The local authority 3", "Information about this local authority area 3",
                  "The experiences and progress of children who need help and protection 3",
                  "Information about this inspection 4"], gap=2)
    report.pdf.add_page()
    pdf = report.pdf
    pdf.set_font("Helvetica", "B", 14)
    for line, grade in (("The experiences and progress of", ""), ("children who need help and", "Inadequate"),
                        ("protection", "")):
        pdf.cell(120, 7, line)
        pdf.cell(0, 7, grade, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    report.text("There are serious and widespread failures in the help and protection of children. " + LOREM)
    report.lines(["Inspection findings"], style="B")
    report.text("1. Children are not supported effectively by early help services. " + LOREM)
    report.text("2. The multi-agency safeguarding hub does not respond quickly enough. " + LOREM)
    pdf.add_page()
    report.lines(["Information about this inspection"], size=14, style="B")
    report.text("3. The inspection team looked at the experiences of children and young people.")
    report.lines(["The inspection team"], style="B")
    report.lines(["Lead inspector: John Example", "Deputy lead inspector: Ann Other"])
    report.back_page()
    return report.save(path)
