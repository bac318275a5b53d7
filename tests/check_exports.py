"""Opens the exports the integration tests wrote with real readers and compares them with the
API's figures written beside them (expected.json): openpyxl for the XLSX, icalendar for the feed.

Usage: python3 tests/check_exports.py DIR   (run by .ci/run after `cargo test`)
"""
import json
import sys
from decimal import Decimal
from pathlib import Path

import icalendar
import openpyxl


def sheet_rows(path):
    ws = openpyxl.load_workbook(path, read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    # Row 1 is the title, row 2 the headers.
    return rows[1], rows[2:]


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

    headers, rows = sheet_rows(d / "reward.xlsx")
    assert headers[:3] == ("单位代码", "单位名称", "金额（元）"), headers
    got = [[r[0], int((Decimal(str(r[2])) * 100).to_integral_value())] for r in rows]
    assert got == want["reward"], (got, want["reward"])

    cal = icalendar.Calendar.from_ical((d / "feed.ics").read_bytes())
    events = [c for c in cal.walk("VEVENT")]
    dates = sorted(e.decoded("DTSTART").strftime("%Y%m%d") for e in events)
    assert dates == sorted(want["feed_dates"]), (dates, want["feed_dates"])
    assert all(e.get("UID") for e in events)

    print(f"exports check: ranking {len(want['ranking'])} rows, compliance {len(want['compliance'])} rows, "
          f"reward {len(want['reward'])} shares, calendar {len(events)} events — all match the API")


if __name__ == "__main__":
    main(sys.argv[1])
