"""Opens the exports the integration tests wrote with real readers and compares them with the
API's figures written beside them (expected.json): openpyxl for the XLSX, icalendar for the feed.

Usage: python3 tests/check_exports.py DIR   (run by .ci/run after `cargo test`)
"""
import json
import re
import subprocess
import sys
import unicodedata
from decimal import Decimal
from pathlib import Path

import icalendar
import openpyxl
import pypdf


def sheet_rows(path):
    ws = openpyxl.load_workbook(path, read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    # Row 1 is the title, row 2 the headers, then a row of notes under long headers (its first
    # cell empty), the records, and after a blank row the totals.
    body = rows[2:]
    while body and body[0][0] is None:
        body = body[1:]
    end = next((i for i, r in enumerate(body) if all(v is None for v in r)), len(body))
    return rows[1], body[:end]


def main(folder):
    d = Path(folder)
    want = json.loads((d / "expected.json").read_text(encoding="utf-8"))

    headers, rows = sheet_rows(d / "ranking.xlsx")
    assert headers[:4] == ("名次", "单位代码", "单位名称", "得分"), headers
    got = [[str(int(r[0])), r[1], r[2], f"{r[3]:.2f}"] for r in rows]
    assert got == want["ranking"], (got, want["ranking"])

    headers, rows = sheet_rows(d / "compliance.xlsx")
    assert headers[-5:] == ("应报送", "按时报送", "逾期报送", "未报送", "按时报送率"), headers
    got = [[r[0], int(r[-5]), int(r[-4]), int(r[-3]), int(r[-2])] for r in rows]
    assert got == want["compliance"], (got, want["compliance"])
    # As people sort and print it: code and name frozen under the headers and their notes, an
    # autofilter over the records, rates as percentages, statuses coloured, totals below,
    # landscape fitted to the page's width.
    ws = openpyxl.load_workbook(d / "compliance.xlsx").active
    assert ws.freeze_panes == "C4", ws.freeze_panes
    assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A2:"), ws.auto_filter.ref
    assert ws["C3"].value and "年" in ws["C3"].value, "the due wording under the short header"
    rate_col = len(headers)
    first = ws.cell(row=4, column=rate_col)
    assert first.number_format == "0.0%" and isinstance(first.value, (int, float)), (first.number_format, first.value)
    fills = {ws.cell(row=r, column=c).fill.fgColor.rgb for r in range(4, 4 + len(rows)) for c in range(3, rate_col - 4)}
    assert len(fills) >= 2, f"statuses coloured: {fills}"
    names = [ws.cell(row=r, column=2).value for r in range(1, ws.max_row + 1)]
    assert "合计" in names, names[-3:]
    assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage, "printing"
    ranking = openpyxl.load_workbook(d / "ranking.xlsx").active
    assert ranking.auto_filter.ref and ranking.freeze_panes == "D3", (ranking.auto_filter.ref, ranking.freeze_panes)
    changes = [c for (c,) in ranking.iter_rows(min_row=3, min_col=5, max_col=5) if isinstance(c.value, (int, float))]
    assert changes and all(c.number_format == "+0;-0;0" for c in changes), "a change shows its sign"

    headers, rows = sheet_rows(d / "reward.xlsx")
    assert headers[:3] == ("单位代码", "单位名称", "金额（元）"), headers
    got = [[r[0], int((Decimal(str(r[2])) * 100).to_integral_value())] for r in rows]
    assert got == want["reward"], (got, want["reward"])

    cal = icalendar.Calendar.from_ical((d / "feed.ics").read_bytes())
    events = [c for c in cal.walk("VEVENT")]
    dates = sorted(e.decoded("DTSTART").strftime("%Y%m%d") for e in events)
    assert dates == sorted(want["feed_dates"]), (dates, want["feed_dates"])
    assert all(e.get("UID") for e in events)
    # All-day events end the next day; open deadlines ring on the reminder days, filed ones say so.
    import datetime
    for e in events:
        start, end = e.decoded("DTSTART"), e.decoded("DTEND")
        assert end == start + datetime.timedelta(days=1), (e.get("SUMMARY"), start, end)
        alarms = [a for a in e.walk("VALARM")]
        filed = str(e.get("SUMMARY")).startswith("【已报送】")
        assert filed == (not alarms), (e.get("SUMMARY"), len(alarms))
        for a in alarms:
            assert a.get("ACTION") == "DISPLAY" and a.decoded("TRIGGER") is not None, a
    assert any(str(e.get("SUMMARY")).startswith("【已报送】") for e in events), "旧州镇 has filed some"
    assert any(e.walk("VALARM") for e in events), "and has open ones"

    pages = check_print(d)
    check_docx(d)
    check_order(d)

    print(f"bulletin printed to PDF: {pages} pages, each numbered, the 版记 on the last")
    print(f"exports check: ranking {len(want['ranking'])} rows, compliance {len(want['compliance'])} rows, "
          f"reward {len(want['reward'])} shares, calendar {len(events)} events — all match the API")


def check_docx(d):
    """Opens the Word bulletin a test wrote with python-docx, as WPS or Word would, and checks the
    GB/T 9704 layout: A4, 天头 37 mm, 订口 28 mm, a 156 × 225 mm type area; the red masthead; the
    发文字号 over the red rule; 主送; 署名 and 成文日期; the 版记 framed at the foot of the last
    page; odd and even footers carrying a PAGE field."""
    import docx
    from docx.oxml.ns import qn

    want = json.loads((d / "bulletin.json").read_text(encoding="utf-8"))
    doc = docx.Document(d / "bulletin.docx")
    sec = doc.sections[0]
    close = lambda a, b: abs(a - b) < 0.5
    assert close(sec.page_width.mm, 210) and close(sec.page_height.mm, 297), (sec.page_width.mm, sec.page_height.mm)
    assert close(sec.top_margin.mm, 37) and close(sec.left_margin.mm, 28), (sec.top_margin.mm, sec.left_margin.mm)
    assert close(sec.page_width.mm - sec.left_margin.mm - sec.right_margin.mm, 156), "type area width"
    assert close(sec.page_height.mm - sec.top_margin.mm - sec.bottom_margin.mm, 225), "type area height"
    paras = doc.paragraphs
    masthead = paras[0]
    assert masthead.text == f"{want['issuer']}工作通报", masthead.text
    run = masthead.runs[0]
    assert str(run.font.color.rgb) == "FF0000", run.font.color.rgb
    assert run._r.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    number = paras[1]
    assert number.text == want["doc_number"], (number.text, want)
    rule = number._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert rule.get(qn("w:color")) == "FF0000", "the red rule under the 发文字号"
    texts = [p.text for p in paras]
    title = texts.index(want["title"])
    assert texts[title + 1] == f"{want['addressee']}：", texts[title + 1]
    assert paras[title].runs[0].font.size.pt == 22, "title in 2号"
    body = [p for p in paras if p.text.startswith("一、")]
    assert body and body[0].runs[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == "黑体", "一、 in 黑体"
    sign = texts.index(want["issuer"], title)
    assert texts[sign + 1] == want["date"], (texts[sign:sign + 2], want["date"])
    framed = [p for p in paras if p._p.pPr is not None and p._p.pPr.find(qn("w:framePr")) is not None]
    assert framed and framed[-1] is paras[-1], "the 版记 closes the document"
    assert all(p._p.pPr.find(qn("w:framePr")).get(qn("w:yAlign")) == "bottom" for p in framed), "at the page foot"
    colophon = "".join(p.text for p in framed)
    assert f"抄送：{want['copy_to']}。" in colophon and f"{want['date']}印发" in colophon, colophon
    assert doc.settings.odd_and_even_pages_header_footer, "odd and even pages number on their own side"
    for footer, align in ((sec.footer, "right"), (sec.even_page_footer, "left")):
        xml = footer._element.xml
        assert "<w:instrText" in xml and "PAGE" in xml, xml[:300]
        assert footer.paragraphs[0].alignment is not None and align in str(footer.paragraphs[0].alignment).lower()
        assert "— " in footer.paragraphs[0].text
    print(f"bulletin as Word: {want['doc_number']}, {len(paras)} paragraphs, footers with PAGE fields, 版记 framed")


def check_order(d):
    """The supervision order (督办单) a test wrote, opened with python-docx: the red masthead in
    the name of the department it stands with, its colour and number, the unit addressed, the
    item and the unit's answer in the table, page numbers in the footers."""
    import docx
    from docx.oxml.ns import qn

    want = json.loads((d / "order.json").read_text(encoding="utf-8"))
    doc = docx.Document(d / "order.docx")
    sec = doc.sections[0]
    assert abs(sec.top_margin.mm - 37) < 0.5 and abs(sec.page_width.mm - 210) < 0.5
    paras = doc.paragraphs
    assert paras[0].text == f"{want['issuer']}督办单", paras[0].text
    assert str(paras[0].runs[0].font.color.rgb) == "FF0000"
    assert paras[1].text == want["number"], paras[1].text
    texts = [p.text for p in paras]
    assert f"{want['unit']}：" in texts, texts[:6]
    cells = {row.cells[0].text: row.cells[1].text for row in doc.tables[0].rows}
    assert cells["责任单位"] == want["unit"] and want["answer"] in cells["办理情况"], cells
    assert cells["办理状态"] == want["state"] and cells["督办等级"].startswith("红色"), cells
    assert "PAGE" in sec.footer._element.xml
    assert any(p._p.pPr is not None and p._p.pPr.find(qn("w:framePr")) is not None and "印发" in p.text for p in paras)
    print(f"supervision order as Word: {want['number']} from {want['issuer']} to {want['unit']}, {cells['办理状态']}")


def check_print(d):
    """Prints the HTML bulletin a test wrote with headless Chromium, as a department prints it,
    and reads the PDF back: every page carries its number (— N —) and the last the 版记."""
    html, pdf = (d / "bulletin.html").resolve(), (d / "bulletin.pdf").resolve()
    subprocess.run(["/usr/bin/chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    f"--print-to-pdf={pdf}", html.as_uri()], check=True, capture_output=True, timeout=180)
    # NFKC: the PDF's CJK fonts map some glyphs to Kangxi radicals (⼯ for 工).
    pages = [unicodedata.normalize("NFKC", p.extract_text() or "") for p in pypdf.PdfReader(pdf).pages]
    assert len(pages) >= 2, f"{len(pages)} page(s)"
    for i, text in enumerate(pages, 1):
        assert re.search(rf"—\s*{i}\s*—", text), f"page {i} has no number: {text[-200:]!r}"
    assert "印发" in pages[-1] and "印发" not in "".join(pages[:-1]), "the 版记 is on the last page only"
    assert "工作通报" in pages[0]
    return len(pages)


if __name__ == "__main__":
    main(sys.argv[1])
