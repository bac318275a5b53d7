"""The dashboard in a real browser: headless Chromium (Debian's chromium + chromedriver) driven by
Selenium against a running demo server. Logs in through the form as the demo accounts, checks the
rendered text (the top-ranked township, a red overdue row, a published bulletin), and saves
screenshots for a person to look at.

Usage: python3 tests/browser_check.py BASE_URL SCREENSHOT_DIR   (run by .ci/run)
"""
import json
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

PASSWORD = "pilotgov-demo"


def browser(downloads=None):
    opts = webdriver.ChromeOptions()
    if downloads:
        opts.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                               "download.prompt_for_download": False})
    opts.binary_location = "/usr/bin/chromium"
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1366,900", "--lang=zh-CN"]:
        opts.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


def login(d, base, user):
    d.delete_all_cookies()
    d.get(f"{base}/ui/login")
    d.find_element(By.NAME, "username").send_keys(user)
    d.find_element(By.NAME, "password").send_keys(PASSWORD)
    d.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    # The form posts, then redirects: wait for the dashboard rather than racing the navigation.
    WebDriverWait(d, 15).until(lambda drv: drv.current_url.rstrip("/").endswith("/ui"))


def text(d):
    """The page's text; read again when a navigation replaced the page under the read."""
    from selenium.common.exceptions import StaleElementReferenceException
    for i in range(10):
        try:
            return d.find_element(By.TAG_NAME, "body").text
        except StaleElementReferenceException:
            if i == 9:
                raise
            time.sleep(0.3)


def main(base, shots):
    out = Path(shots)
    out.mkdir(parents=True, exist_ok=True)
    downloads = (out / "downloads").resolve()
    downloads.mkdir(exist_ok=True)
    d = browser(downloads)
    try:
        # The provincial leader: Fujian only; the red rows of the overdue plan.
        login(d, base, "fj-leader")
        assert "福建省社会救助改革创新试点工作" in text(d), text(d)
        header = d.find_element(By.TAG_NAME, "header").text
        assert "省厅分管领导" in header and "fj-leader" not in header, f"the header names the account: {header}"
        assert "西秀区" not in text(d), "another province's programme is not shown"
        rollup = d.find_element(By.CSS_SELECTOR, "table.rollup").text
        assert "福州市" in rollup and "厦门市" in rollup and "%" in rollup, f"the per-city roll-up: {rollup}"
        d.save_screenshot(str(out / "1-home-fj-leader.png"))
        # Board controls: a past day, one city, then a status chosen in the form (no JavaScript).
        d.get(f"{base}/ui/p/fj-2022-reform-pilot?as_of=2022-09-30&region=350100")
        assert "截至2022年9月30日" in text(d), text(d)[:300]
        names = {r.find_elements(By.TAG_NAME, "td")[1].text for r in d.find_elements(By.CSS_SELECTOR, "tbody tr")}
        assert names and names <= {"台江区", "闽侯县", "平潭综合实验区"}, names
        Select(d.find_element(By.NAME, "status")).select_by_value("red")
        d.find_element(By.CSS_SELECTOR, "#filters button").click()
        WebDriverWait(d, 15).until(lambda drv: "status=red" in drv.current_url)
        assert "as_of=2022-09-30" in d.current_url and "region=350100" in d.current_url, d.current_url
        lights = {r.get_attribute("class") for r in d.find_elements(By.CSS_SELECTOR, "tbody tr")}
        assert lights == {"red"}, lights
        d.save_screenshot(str(out / "1b-board-filters.png"))
        d.get(f"{base}/ui/p/fj-2022-reform-pilot?status=red")
        red = d.find_elements(By.CSS_SELECTOR, "tr.red")
        assert red, "a red overdue row"
        assert "逾期" in red[0].text and "红" in red[0].text, red[0].text
        colour = red[0].find_element(By.CSS_SELECTOR, "td.light").value_of_css_property("background-color")
        assert colour in ("rgba(217, 48, 37, 1)", "rgb(217, 48, 37)"), colour
        d.save_screenshot(str(out / "2-board-red.png"))

        # The district: its ranking (travelled through published months) and its bulletins.
        login(d, base, "xixiu-reviewer")
        d.get(f"{base}/ui/p/xixiu-2019-comprehensive-reform/ranking")
        ranks = [r.text for r in d.find_elements(By.CSS_SELECTOR, "#ranking-table tbody tr")]
        assert any(r.startswith("1 旧州镇") for r in ranks), ranks
        assert len({r.split()[2] for r in ranks}) >= 3, f"the demo's units score differently: {ranks}"
        assert d.find_elements(By.CSS_SELECTOR, "svg"), "the trend chart"
        d.save_screenshot(str(out / "3-ranking.png"))
        d.get(f"{base}/ui/p/xixiu-2019-comprehensive-reform/bulletins")
        d.find_element(By.PARTIAL_LINK_TEXT, "2019年6月").click()
        WebDriverWait(d, 15).until(lambda drv: "/ui/bulletins/" in drv.current_url)
        assert "第3期" in text(d), text(d)[:500]
        # The bulletin page frames the bulletin as it prints.
        d.switch_to.frame(d.find_element(By.ID, "preview"))
        body = text(d)
        d.switch_to.default_content()
        assert "第3期" in body and "旧州镇" in body and "按时报送率" in body, body[:500]
        d.save_screenshot(str(out / "4-bulletin.png"))

        # A township lead sees only its own township.
        login(d, base, "jiuzhou-lead")
        d.get(f"{base}/ui/p/xixiu-2019-comprehensive-reform")
        units = {r.find_elements(By.TAG_NAME, "td")[1].text for r in d.find_elements(By.CSS_SELECTOR, "tbody tr")}
        assert units == {"旧州镇"}, units
        d.save_screenshot(str(out / "5-board-lead.png"))

        phone_round(d, base, out)
        phone_pages(d, base, out)
        admin_round(d, base, out)
        setup_round(d, base, out)
        # One month of Xixiu on a desktop, the next on a phone.
        monthly_round(d, base, out, downloads, (1366, 900), "2019-07", "desktop")
        monthly_round(d, base, out, downloads, (390, 844), "2019-08", "phone")
        supervision_round(d, base, out, downloads)
        notice_round(d, base, out)
    finally:
        d.quit()
    print(f"browser check: the pages and the filing round rendered as expected; screenshots in {out}")


def supervision_round(d, base, out, downloads):
    """A 督办单 the way the district and a township run it: the district opens an overdue red row
    of the board at a desktop's size, issues a blue order from the unit's page; the township's lead
    answers it on a phone (390 px, nothing sideways) and downloads the order as Word (opened with
    python-docx); the district closes it (销号)."""
    import docx
    d.set_window_size(1366, 900)
    login(d, base, "xixiu-reviewer")
    d.get(f"{base}/ui/p/xixiu-2019-comprehensive-reform?status=red")
    links = [a.get_attribute("href") for a in d.find_elements(By.CSS_SELECTOR, "tbody tr td:nth-child(2) a:first-child")]
    unit_url = next(h for h in links if not h.endswith("/520402109"))
    code = unit_url.rsplit("/", 1)[1]
    d.get(unit_url)
    d.find_element(By.CSS_SELECTOR, "#issue-box summary").click()
    item = Select(d.find_element(By.CSS_SELECTOR, "#issue-form select[name=item]")).first_selected_option.text
    d.find_element(By.ID, "issue-order").click()
    wait_for(d, "done=order_issued")
    card = d.find_element(By.CSS_SELECTOR, ".card.order").text
    assert "蓝色督办" in card and "待反馈" in card and item.split("（")[0] in card, card
    d.save_screenshot(str(out / "28-order-issued.png"))
    d.get(f"{base}/ui/p/xixiu-2019-comprehensive-reform?region={code}")
    assert "在办督办单" in text(d), text(d)[:400]

    d.set_window_size(390, 844)
    login(d, base, f"lead-{code}")
    d.get(unit_url)
    no_sideways(d)
    form = d.find_element(By.CSS_SELECTOR, "form[id^=answer-]")
    form.find_element(By.NAME, "text").send_keys("人员调整未及时报送，已安排专人本周内补报。")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(d, "done=order_answer")
    card = d.find_element(By.CSS_SELECTOR, ".card.order").text
    assert "已反馈" in card and "已安排专人" in card, card
    no_sideways(d)
    d.save_screenshot(str(out / "29-phone-order-answered.png"))
    before = set(downloads.iterdir())
    d.find_element(By.CSS_SELECTOR, "a[id^=order-docx-]").click()
    WebDriverWait(d, 30).until(lambda _: [p for p in set(downloads.iterdir()) - before if p.suffix == ".docx"])
    path = next(p for p in set(downloads.iterdir()) - before if p.suffix == ".docx")
    paras = [p.text for p in docx.Document(path).paragraphs]
    assert paras[0].endswith("督办单") and paras[1].startswith("蓝色督办"), paras[:3]

    d.set_window_size(1366, 900)
    login(d, base, "xixiu-reviewer")
    d.get(unit_url)
    d.find_element(By.CSS_SELECTOR, "form[id^=close-] button").click()
    wait_for(d, "done=order_close")
    assert "已销号" in d.find_element(By.CSS_SELECTOR, ".card.order").text
    d.save_screenshot(str(out / "30-order-closed.png"))


def notice_round(d, base, out):
    """公文解析 as the province does it: on a phone, fj-admin uploads 福建's notice (the .txt), reads
    the notice with each item marked beside what was read, and follows a stage to its words; at a
    desk it pastes the notice instead, changes the draft's key, previews it (clean) and imports
    it, landing on the new programme's board."""
    notice = Path(__file__).parent.parent / "fixtures" / "notices" / "fujian-2022-reform-pilot.txt"
    d.set_window_size(390, 844)
    login(d, base, "fj-admin")
    d.find_element(By.ID, "setup-link").click()
    wait_for(d, "/ui/programmes/new")
    no_sideways(d)
    d.find_element(By.ID, "notice-file").send_keys(str(notice))
    d.find_element(By.ID, "read-notice").click()
    wait_for(d, "/ui/programmes/new/notice")
    summary = d.find_element(By.ID, "summary").text
    assert "阶段3项" in summary and "fujian-2022-reform-pilot.txt" in summary, summary
    no_sideways(d)
    d.save_screenshot(str(out / "31-phone-notice-read.png"))
    link = d.find_element(By.CSS_SELECTOR, "#sec-stage li a")
    assert "部署阶段：2022年8月下旬至2022年9月中旬" in link.text, link.text
    target = link.get_attribute("href").split("#")[1]
    link.click()
    WebDriverWait(d, 15).until(lambda drv: drv.current_url.endswith("#" + target))
    mark = d.find_element(By.ID, target)
    assert "部署阶段" in mark.text and mark.is_displayed(), mark.text
    assert mark.value_of_css_property("outline-style") == "solid", "the stage's words are outlined"
    d.save_screenshot(str(out / "32-phone-notice-stage-source.png"))

    d.set_window_size(1366, 900)
    d.get(f"{base}/ui/programmes/new")
    box = d.find_element(By.ID, "notice-text")
    d.execute_script("arguments[0].value = arguments[1];", box, notice.read_text(encoding="utf-8"))
    d.find_element(By.ID, "read-notice").click()
    wait_for(d, "/ui/programmes/new/notice")
    marks = d.find_elements(By.CSS_SELECTOR, "#source mark.k-deliverable")
    assert any("2022年9月20日前" in m.text for m in marks), [m.text for m in marks]
    d.save_screenshot(str(out / "33-notice-read-desktop.png"))
    draft = d.find_element(By.ID, "text")
    yaml = draft.get_attribute("value")
    assert "scope: '350000'" in yaml and "key: draft-" in yaml, yaml[:400]
    key_line = next(line for line in yaml.splitlines() if line.strip().startswith("key: draft-"))
    d.execute_script("arguments[0].value = arguments[1];", draft, yaml.replace(key_line, "  key: fj-from-notice", 1))
    d.find_element(By.ID, "draft-preview").click()
    WebDriverWait(d, 15).until(lambda drv: drv.find_elements(By.ID, "import") or drv.find_elements(By.ID, "problems"))
    assert not d.find_elements(By.ID, "problems"), d.find_element(By.ID, "problems").text
    body = text(d)
    assert "2022年9月20日前" in body and "部署阶段" in body, body[:800]
    d.save_screenshot(str(out / "34-notice-draft-preview.png"))
    d.find_element(By.ID, "import").click()
    wait_for(d, "/ui/p/fj-from-notice")
    title = next(line for line in yaml.splitlines() if line.strip().startswith("title:")).split(":", 1)[1]
    assert title.strip().strip("'\"") in text(d), (title, text(d)[:400])
    assert "本项目尚无试点单位" in d.find_element(By.ID, "no-units").text, "the empty board says what to do"
    d.save_screenshot(str(out / "35-notice-imported.png"))


def stable(read, tries=5):
    """`read()` again when the page was replaced under it (a redirect landing as it ran)."""
    from selenium.common.exceptions import StaleElementReferenceException
    for i in range(tries):
        try:
            return read()
        except StaleElementReferenceException:
            if i == tries - 1:
                raise
            time.sleep(0.3)


def login_as(d, base, user, password, lands):
    d.delete_all_cookies()
    d.get(f"{base}/ui/login")
    d.find_element(By.NAME, "username").send_keys(user)
    d.find_element(By.NAME, "password").send_keys(password)
    d.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(d, 15).until(lambda drv: drv.current_url.rstrip("/").endswith(lands))


def admin_round(d, base, out):
    """Accounts while the server runs: the province admin imports three accounts from an XLSX
    sheet (preview, then import), downloads the result with the one-time passwords (opened with
    openpyxl), and one of the new accounts signs in and is made to change its password first."""
    import tempfile
    import time

    import openpyxl

    tag = f"bc{int(time.time()) % 1000000}"
    people = [(f"{tag}-gulou", "鼓楼区民政局", "试点单位负责人", "350102"),
              (f"{tag}-cangshan", "仓山区民政局", "试点单位负责人", "350104"),
              (f"{tag}-eval", "省厅评估组（二）", "评估人员", "350000")]
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["用户名", "姓名", "角色", "行政区划代码", "手机"])
    for p in people:
        ws.append([*p, "13800000000"])
    sheet = Path(tempfile.mkdtemp()) / "accounts.xlsx"
    book.save(sheet)

    d.set_window_size(1366, 900)
    login(d, base, "fj-admin")
    d.find_element(By.ID, "accounts-link").click()
    wait_for(d, "/ui/accounts")
    d.find_element(By.ID, "bulk-import").click()
    wait_for(d, "/ui/accounts/import")
    d.find_element(By.ID, "file").send_keys(str(sheet))
    d.find_element(By.ID, "preview").click()
    wait_for(d, "/ui/accounts/import/preview")
    rows = [r.text for r in d.find_elements(By.CSS_SELECTOR, "#verdicts tbody tr")]
    assert len(rows) == 3 and all("可导入" in r for r in rows), rows
    assert "鼓楼区" in rows[0], rows[0]
    d.save_screenshot(str(out / "13-accounts-preview.png"))
    d.find_element(By.ID, "import").click()
    WebDriverWait(d, 15).until(lambda drv: "导入完成" in text(drv))
    shown = {r.find_elements(By.TAG_NAME, "td")[0].text: r.find_element(By.CSS_SELECTOR, "code.password").text
             for r in d.find_elements(By.CSS_SELECTOR, "#issued tbody tr")}
    assert set(shown) == {p[0] for p in people}, shown
    d.save_screenshot(str(out / "14-accounts-imported.png"))
    # The result sheet, posted back by the page's own form, holds the same passwords.
    form = {e.get_attribute("name"): e.get_attribute("value")
            for e in d.find_elements(By.CSS_SELECTOR, "form[action$='result.xlsx'] input[type=hidden]")}
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in d.get_cookies())
    req = urllib.request.Request(f"{base}/ui/accounts/import/result.xlsx", method="POST",
                                 data=urllib.parse.urlencode(form).encode(),
                                 headers={"cookie": cookie, "content-type": "application/x-www-form-urlencoded"})
    got = Path(tempfile.mkdtemp()) / "result.xlsx"
    got.write_bytes(urllib.request.urlopen(req).read())
    cells = list(openpyxl.load_workbook(got).active.iter_rows(values_only=True))
    header = cells.index(("用户名", "姓名", "角色", "行政区划代码", "初始密码"))
    assert {r[0]: r[4] for r in cells[header + 1:]} == shown, cells

    # The new lead signs in on a phone with the password it was given: the password page first.
    d.set_window_size(390, 844)
    user = people[0][0]
    login_as(d, base, user, shown[user], "/ui/password")
    assert "初始密码" in text(d), text(d)[:300]
    d.get(f"{base}/ui/p/{TODAY}")
    wait_for(d, "/ui/password")
    no_sideways(d)
    d.save_screenshot(str(out / "15-phone-forced-password.png"))
    d.find_element(By.ID, "current").send_keys(shown[user])
    d.find_element(By.ID, "new").send_keys("gulou-own-2026")
    d.find_element(By.ID, "repeat").send_keys("gulou-own-2026")
    d.find_element(By.ID, "change").click()
    WebDriverWait(d, 15).until(lambda drv: "/ui/password" not in drv.current_url)
    login_as(d, base, user, "gulou-own-2026", "/ui")
    d.set_window_size(1366, 900)


def setup_round(d, base, out):
    """A province outside the five notices (its first administrator made from the command line
    by .ci/run): the admin uploads its programme document, the preview points at two mistakes,
    the admin corrects them in the page and imports; the board shows the units, whose regions
    came from the national table."""
    bad = (Path(__file__).parent / "api" / "data" / "jiangxi-bad.yaml").read_text(encoding="utf-8")
    fixed = bad.replace("due: 2028年1月31日前", "due: 2027年12月20日前").replace(
        "- {region: '360112', directions: [1, 2]}\n", "")
    d.set_window_size(1366, 900)
    login(d, base, "jx-admin")
    d.find_element(By.ID, "setup-link").click()
    wait_for(d, "/ui/programmes/new")
    d.find_element(By.ID, "file").send_keys(str(Path(__file__).parent / "api" / "data" / "jiangxi-bad.yaml"))
    d.find_element(By.ID, "preview").click()
    wait_for(d, "/ui/programmes/new/preview")
    problems = d.find_element(By.ID, "problems").text
    assert "第2个报送材料" in problems and "第3个试点单位" in problems, problems
    d.save_screenshot(str(out / "16-programme-preview-problems.png"))
    box = d.find_element(By.ID, "text")
    box.clear()
    # Typing 1.5 KB is slow and mangles indentation in some drivers: set it as a person pastes.
    d.execute_script("arguments[0].value = arguments[1];", box, fixed)
    d.find_element(By.ID, "preview").click()
    WebDriverWait(d, 15).until(lambda drv: drv.find_elements(By.ID, "import"))
    body = text(d)
    assert "部署阶段" in body and "2027年1月15日" in body and "东湖区" in body, body[:800]
    d.save_screenshot(str(out / "17-programme-preview-ok.png"))
    d.find_element(By.ID, "import").click()
    wait_for(d, "/ui/p/jx-2027-assistance-pilot")
    units = {r.find_elements(By.TAG_NAME, "td")[1].text for r in d.find_elements(By.CSS_SELECTOR, "tbody tr")}
    assert {"东湖区", "青山湖区", "章贡区"} <= units, units
    d.save_screenshot(str(out / "18-programme-imported-board.png"))
    # More units from the sheet the province keeps: 九江市's two pass, and a third 南昌 unit is
    # refused (two per city) until the row is removed.
    import tempfile

    import openpyxl
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["区划代码", "单位名称", "试点方向", "负责人", "联系电话"])
    ws.append([360402, "濂溪区", "1", "张主任", "13907920001"])
    ws.append([360403, "浔阳区", "1、2", "李科长", "13907920002"])
    ws.append([360121, "南昌县", "2", "王股长", ""])
    sheet = Path(tempfile.mkdtemp()) / "units.xlsx"
    book.save(sheet)
    d.find_element(By.ID, "admit-link").click()
    wait_for(d, "/admit")
    d.find_element(By.ID, "file").send_keys(str(sheet))
    d.find_element(By.ID, "preview").click()
    wait_for(d, "/admit/preview")
    rows = {r.get_attribute("id"): r.text for r in d.find_elements(By.CSS_SELECTOR, "#verdicts tbody tr")}
    assert "可接纳" in rows["row-2"] and "可接纳" in rows["row-3"], rows
    assert "可接纳" not in rows["row-4"] and not d.find_elements(By.ID, "import"), rows
    d.save_screenshot(str(out / "19-units-preview-refused.png"))
    ws.delete_rows(4)
    book.save(sheet)
    d.get(f"{base}/ui/p/jx-2027-assistance-pilot/admit")
    d.find_element(By.ID, "file").send_keys(str(sheet))
    d.find_element(By.ID, "preview").click()
    WebDriverWait(d, 15).until(lambda drv: drv.find_elements(By.ID, "import"))
    d.find_element(By.ID, "import").click()
    WebDriverWait(d, 15).until(lambda drv: drv.current_url.endswith("/ui/p/jx-2027-assistance-pilot"))
    units = stable(lambda: {r.find_elements(By.TAG_NAME, "td")[1].text
                            for r in d.find_elements(By.CSS_SELECTOR, "tbody tr")})
    assert {"濂溪区", "浔阳区"} <= units, units
    running_round(d, base, out)


def running_round(d, base, out):
    """The programme as it runs: the admin renames a stage under 项目设置 and is refused a rule
    that 南昌's two units would break; on a phone it withdraws 浔阳区 (its records stay) and finds
    a region by name, the header's tools on their own row."""
    key = "jx-2027-assistance-pilot"
    stable(lambda: d.find_element(By.ID, "settings-link").click())
    wait_for(d, f"/ui/p/{key}/settings")

    def limit_to_one():
        box = d.find_element(By.ID, "units_per_group_max")
        box.clear()
        box.send_keys("1")
    stable(limit_to_one)
    d.find_element(By.ID, "save-head").click()
    # The form posts and the refusal page replaces this one: wait for it, not the old page.
    WebDriverWait(d, 15).until(lambda drv: "超过了同一地区的试点单位名额" in text(drv))
    d.save_screenshot(str(out / "20-settings-refused.png"))
    d.get(f"{base}/ui/p/{key}/settings")
    stage = d.find_element(By.CSS_SELECTOR, "details.stage")
    stage.find_element(By.TAG_NAME, "summary").click()
    name = stage.find_element(By.NAME, "name")
    name.clear()
    name.send_keys("动员部署阶段")
    stage.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(d, 15).until(lambda drv: "done=stage" in drv.current_url)
    assert "阶段已保存" in text(d) and "动员部署阶段" in text(d), text(d)[:600]
    d.set_window_size(390, 844)
    d.get(f"{base}/ui/p/{key}/units/360403")
    no_sideways(d)
    d.find_element(By.CSS_SELECTOR, "#withdraw-box summary").click()
    d.find_element(By.ID, "reason").send_keys("区划调整，退出试点")
    d.find_element(By.ID, "withdraw").click()
    WebDriverWait(d, 15).until(lambda drv: "done=withdrawn" in drv.current_url)
    assert "退出试点：区划调整，退出试点（江西省民政厅社会救助处办理）" in text(d), text(d)[:600]
    assert d.find_elements(By.ID, "reinstate") and "jx-admin" not in d.find_element(By.ID, "withdrawn").text
    no_sideways(d)
    d.save_screenshot(str(out / "21-phone-unit-withdrawn.png"))
    d.find_element(By.ID, "regions-link").click()
    wait_for(d, "/ui/regions")
    d.find_element(By.NAME, "q").send_keys("东湖")
    d.find_element(By.CSS_SELECTOR, "#region-search button").click()
    WebDriverWait(d, 15).until(lambda drv: "q=" in drv.current_url)
    assert "江西省 南昌市 东湖区" in text(d), text(d)[:600]
    no_sideways(d)
    d.save_screenshot(str(out / "22-phone-regions.png"))
    d.set_window_size(1366, 900)


XIXIU = "xixiu-2019-comprehensive-reform"


def api_token(base, user):
    req = urllib.request.Request(
        f"{base}/api/v1/auth/login", method="POST", headers={"content-type": "application/json"},
        data=json.dumps({"username": user, "password": PASSWORD}).encode())
    return json.load(urllib.request.urlopen(req))["token"]


def api_get(base, token, path):
    req = urllib.request.Request(f"{base}/api/v1{path}", headers={"authorization": f"Bearer {token}"})
    return json.load(urllib.request.urlopen(req))


def score_total(d):
    return float(d.find_element(By.ID, "score-total").text)


def chart_text_px(d):
    """The smallest text in the page's charts as drawn on screen: its font size in the SVG's
    units times the scale the SVG is shown at."""
    return d.execute_script("""
        let least = 1e9;
        for (const svg of document.querySelectorAll('.card svg')) {
          const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
          for (const t of svg.querySelectorAll('text')) {
            least = Math.min(least, parseFloat(t.getAttribute('font-size')) * scale);
          }
        }
        return least;""")


def monthly_round(d, base, out, downloads, size, month, tag):
    """One month of Xixiu (西秀区) through the pages at one viewport: the evaluator deducts from
    旧州镇 with a filing as evidence; 旧州镇's lead appeals; the district (西秀区民政局) overturns it
    and the score is whole again; the district publishes the month, downloads the ranking XLSX
    (openpyxl reads the API's scores in it), drafts the month's bulletin, adds its remarks,
    previews it and publishes it one number after the last."""
    d.set_window_size(*size)
    unit = f"{base}/ui/p/{XIXIU}/units/520402109?period={month}"
    label = f"{int(month[:4])}年{int(month[5:])}月"

    login(d, base, "xixiu-evaluator")
    d.get(unit)
    before = score_total(d)
    d.find_element(By.CSS_SELECTOR, "#adjust-box summary").click()
    form = d.find_element(By.CSS_SELECTOR, "#adjust-box form")
    Select(form.find_element(By.NAME, "kind")).select_by_value("deduction")
    form.find_element(By.NAME, "points").send_keys("2")
    form.find_element(By.NAME, "reason").send_keys("入户核查发现低保对象台账不完整")
    Select(form.find_element(By.NAME, "evidence_kind")).select_by_value("filing")
    Select(form.find_element(By.NAME, "evidence_filing")).select_by_index(1)
    form.find_element(By.ID, "adjust").click()
    wait_for(d, "done=adjusted")
    assert score_total(d) == before - 2, (before, score_total(d))
    assert "入户核查发现低保对象台账不完整" in text(d)
    no_sideways(d)
    d.save_screenshot(str(out / f"23-{tag}-deduction.png"))

    login(d, base, "jiuzhou-lead")
    d.get(unit)
    # The appeal box of that line (a missed deadline's automatic deduction has its own).
    box = d.find_element(By.XPATH, "//li[contains(., '入户核查发现低保对象台账不完整')]//details[@class='appeal-box']")
    box.find_element(By.TAG_NAME, "summary").click()
    assert "天内提出" in box.text, box.text
    box.find_element(By.NAME, "reason").send_keys("台账已于当月补齐，补录记录见本月经审核纸质资料")
    box.find_element(By.CSS_SELECTOR, ".appeal-submit").click()
    wait_for(d, "done=appealed")
    assert "待复核" in text(d) and "旧州镇社会救助经办提出" in text(d) and "jiuzhou-lead" not in text(d), text(d)
    assert not d.find_elements(By.XPATH, "//li[contains(., '入户核查发现低保对象台账不完整')]//details"), "appealed once"
    no_sideways(d)
    d.save_screenshot(str(out / f"24-{tag}-appealed.png"))

    login(d, base, "xixiu-reviewer")
    d.get(unit)
    appeal = d.find_element(By.CSS_SELECTOR, ".card.appeal form")
    appeal.find_element(By.NAME, "reason").send_keys("经核实，台账已补齐，撤销该扣分")
    appeal.find_element(By.CSS_SELECTOR, "button.overturn").click()
    wait_for(d, "done=decided")
    assert score_total(d) == before, "the overturned deduction no longer counts"
    assert "撤销该扣分（最终结论）" in text(d), text(d)

    d.get(f"{base}/ui/p/{XIXIU}/ranking?period={month}")
    assert "未发布，实时计算" in text(d)
    d.find_element(By.ID, "confirm").click()
    d.find_element(By.ID, "publish").click()
    wait_for(d, "published=1")
    assert "已发布，排名已冻结" in text(d)
    assert chart_text_px(d) >= 12, f"chart text at {chart_text_px(d):.1f} px"
    no_sideways(d)
    d.save_screenshot(str(out / f"25-{tag}-published.png"))
    seen = set(downloads.glob("*.xlsx"))
    d.find_element(By.ID, "ranking-xlsx").click()
    deadline = time.time() + 20
    while time.time() < deadline:
        new = [p for p in downloads.glob("*.xlsx") if p not in seen]
        if new and not list(downloads.glob("*.crdownload")):
            break
        time.sleep(0.3)
    assert new, f"no XLSX downloaded into {downloads}"
    check_ranking_xlsx(base, new[0], month)

    d.get(f"{base}/ui/p/{XIXIU}/bulletins")
    archive = d.find_element(By.ID, "archive").text
    numbers = [int(n) for n in __import__("re").findall(r"第(\d+)期", archive)]
    last = max(numbers, default=0)
    d.find_element(By.CSS_SELECTOR, "#draft-box summary").click()
    Select(d.find_element(By.ID, "draft-month")).select_by_value(month)
    d.find_element(By.ID, "draft-submit").click()
    wait_for(d, "done=drafted")
    assert f"印发第{last + 1}期" in text(d), text(d)[:400]
    remarks = f"各镇（街道）对照{label}排名查找差距，下月10日前报送整改情况。"
    d.find_element(By.ID, "edit-remarks").send_keys(remarks)
    d.find_element(By.ID, "edit-save").click()
    wait_for(d, "done=edited")
    d.switch_to.frame(d.find_element(By.ID, "preview"))
    printed = text(d)
    d.switch_to.default_content()
    assert remarks in printed and "旧州镇" in printed and "草稿" in printed, printed[:600]
    no_sideways(d)
    d.save_screenshot(str(out / f"26-{tag}-bulletin-draft.png"))
    d.find_element(By.ID, "publish-confirm").click()
    d.find_element(By.ID, "publish-bulletin").click()
    wait_for(d, "done=published")
    assert f"已印发，编为第{last + 1}期" in text(d), text(d)[:400]
    d.get(f"{base}/ui/p/{XIXIU}/bulletins")
    assert f"第{last + 1}期" in d.find_element(By.ID, "archive").text
    d.save_screenshot(str(out / f"27-{tag}-bulletin-archive.png"))
    d.set_window_size(1366, 900)


def check_ranking_xlsx(base, path, month):
    """The downloaded ranking, opened with openpyxl, holds the API's published scores."""
    from openpyxl import load_workbook
    rows = list(load_workbook(path, read_only=True).active.iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if r and "名次" in r)
    col = {name: rows[head].index(name) for name in ("单位代码", "得分")}
    sheet = {str(r[col["单位代码"]]): float(r[col["得分"]]) for r in rows[head + 1:] if r and r[col["单位代码"]]}
    api = api_get(base, api_token(base, "xixiu-reviewer"), f"/programmes/{XIXIU}/rankings/{month}")
    assert api["version"] == 1, api.get("version")
    want = {e["unit"]: float(e["score"]) for e in api["entries"]}
    assert sheet == want, f"XLSX and API differ: {set(sheet.items()) ^ set(want.items())}"


def phone_pages(d, base, out):
    """The pages a department opens on a phone besides the round: the ranking with its chart, a
    bulletin, a unit's score — none scrolls sideways at 390 px."""
    d.set_window_size(390, 844)
    login(d, base, "xixiu-reviewer")
    d.get(f"{base}/ui/p/xixiu-2019-comprehensive-reform/ranking")
    no_sideways(d)
    assert "2019年6月" in text(d), text(d)[:300]
    d.save_screenshot(str(out / "10-phone-ranking.png"))
    d.get(f"{base}/ui/p/xixiu-2019-comprehensive-reform/units/520402109")
    no_sideways(d)
    d.save_screenshot(str(out / "11-phone-unit-score.png"))
    d.get(f"{base}/ui/p/xixiu-2019-comprehensive-reform/bulletins")
    no_sideways(d)
    as_cards(d, "archive")
    d.save_screenshot(str(out / "11b-phone-bulletin-archive.png"))
    d.find_element(By.PARTIAL_LINK_TEXT, "2019年6月").click()
    WebDriverWait(d, 15).until(lambda drv: "/ui/bulletins/" in drv.current_url)
    no_sideways(d)
    d.save_screenshot(str(out / "12-phone-bulletin.png"))
    d.set_window_size(1366, 900)


def no_sideways(d):
    """The page fits the viewport's width: nothing to scroll sideways."""
    wide = d.execute_script("return document.documentElement.scrollWidth")
    inner = d.execute_script("return window.innerWidth")
    assert wide <= inner, f"{d.current_url} scrolls sideways at {inner} px: {wide} px wide"


def as_cards(d, table_id):
    """At a phone's width the table reads as cards: its head hidden, each row a block that fits
    its box (nothing to scroll sideways inside it), each cell under its column's name."""
    t = d.find_element(By.ID, table_id)
    assert not t.find_element(By.TAG_NAME, "thead").is_displayed(), f"#{table_id}'s head shows on a phone"
    wide, box = d.execute_script("const b = arguments[0].parentElement; return [b.scrollWidth, b.clientWidth]", t)
    assert wide <= box, f"#{table_id} scrolls sideways inside its box: {wide} > {box} px"
    cells = d.execute_script(
        "return [...arguments[0].querySelectorAll('td[data-label]')]"
        ".map(td => [getComputedStyle(td).display, getComputedStyle(td, '::before').content])", t)
    assert cells, f"#{table_id} has no labelled cells"
    for display, label in cells:
        assert display == "block" and label not in ("none", "normal", ""), (display, label)


def wait_for(d, part):
    WebDriverWait(d, 15).until(lambda drv: part in drv.current_url)


def phone_round(d, base, out):
    """The daily round at a phone's size (390×844), on the demo programme dated around today:
    闽侯县's lead finds its progress report (due in three days) on its home page, files it with an
    attachment and submits it; 福州 returns it with a reason; the lead edits and resubmits; 福州
    approves (审定); the province files it (备案). The board, the compliance matrix and the API
    then show it filed on time."""
    d.set_window_size(390, 844)
    d.delete_all_cookies()
    d.get(f"{base}/ui/login")
    demo = d.find_element(By.ID, "demo-accounts").text
    assert "minhou-lead" in demo and "fz-reviewer" in demo and PASSWORD in demo, demo
    no_sideways(d)
    d.save_screenshot(str(out / "0-phone-login.png"))
    login(d, base, "minhou-lead")
    no_sideways(d)
    header = d.find_element(By.TAG_NAME, "header").text
    assert "闽侯县民政局" in header and "minhou-lead" not in header, header
    mine = d.find_element(By.ID, "mine")
    first = mine.find_element(By.TAG_NAME, "p").text
    assert "试点阶段性工作情况" in first and "剩3天" in first, f"the nearest deadline comes first: {mine.text}"
    d.save_screenshot(str(out / "6-phone-lead-home.png"))
    mine.find_element(By.PARTIAL_LINK_TEXT, "试点阶段性工作情况").click()
    wait_for(d, "/units/350121")
    no_sideways(d)
    assert "350121" not in d.find_element(By.TAG_NAME, "h2").text, "the unit by name, not code"
    d.save_screenshot(str(out / "6b-phone-unit.png"))
    d.find_element(By.CSS_SELECTOR, "tr#d-progress-once button").click()
    wait_for(d, "done=created")
    filing = d.current_url.split("?")[0]
    filing_id = filing.rsplit("/", 1)[1]
    body = d.find_element(By.ID, "body")
    body.clear()
    body.send_keys("一、工作进展\n二、存在问题")
    d.find_element(By.ID, "save").click()
    wait_for(d, "done=saved")
    attachment = out / "report.pdf"
    attachment.write_bytes(b"%PDF-1.4\n% pilotgov browser check\n")
    d.find_element(By.ID, "file").send_keys(str(attachment.resolve()))
    d.find_element(By.ID, "upload").click()
    wait_for(d, "done=attached")
    assert "report.pdf" in text(d), text(d)
    no_sideways(d)
    d.save_screenshot(str(out / "7-phone-filing-form.png"))
    d.find_element(By.ID, "submit").click()
    wait_for(d, "done=submitted")
    assert "审核中" in text(d), text(d)

    login(d, base, "fz-reviewer")
    link = d.find_element(By.ID, "queue-link")
    assert "待审定" in link.find_element(By.XPATH, "..").text, link.find_element(By.XPATH, "..").text
    link.click()
    wait_for(d, "/ui/queue")
    no_sideways(d)
    as_cards(d, "queue")
    d.save_screenshot(str(out / "8-phone-review-queue.png"))
    d.find_element(By.CSS_SELECTOR, f"a[href='/ui/filings/{filing_id}']").click()
    wait_for(d, "/ui/filings/")
    d.find_element(By.ID, "return").click()
    d.find_element(By.ID, "reason").send_keys("请补充资金使用情况")
    d.find_element(By.ID, "decide").click()
    wait_for(d, "done=returned")

    login(d, base, "minhou-lead")
    returned = d.find_element(By.ID, "mine").text
    assert "请补充资金使用情况" in returned, f"the reason is on the lead's home: {returned}"
    d.get(filing)
    assert "已退回修改" in text(d) and "请补充资金使用情况" in text(d), text(d)
    body = d.find_element(By.ID, "body")
    body.send_keys("\n三、资金使用情况")
    d.find_element(By.ID, "save").click()
    wait_for(d, "done=saved")
    d.find_element(By.ID, "submit").click()
    wait_for(d, "done=submitted")

    login(d, base, "fz-reviewer")
    d.get(filing)
    d.find_element(By.ID, "decide").click()
    wait_for(d, "done=approved")
    login(d, base, "fj-admin")
    d.get(filing)
    d.find_element(By.ID, "decide").click()
    wait_for(d, "done=filed")

    login(d, base, "minhou-lead")
    d.get(filing)
    page = text(d)
    assert "已备案" in page and "省级 福建省民政厅社会救助处：备案" in page and "fj-admin" not in page, page
    no_sideways(d)
    d.save_screenshot(str(out / "9-phone-filed.png"))
    # The board (the unit's row, 已完成 once filed) and the compliance matrix over the API agree.
    d.get(f"{base}/ui/p/{TODAY}?region=350121&deliverable=progress")
    rows = [r.text for r in d.find_elements(By.CSS_SELECTOR, "tbody tr")]
    assert len(rows) == 1 and "已完成" in rows[0], rows
    no_sideways(d)
    cell = compliance_cell(base, "350121", "progress")
    assert cell["status"] == "on_time" and cell.get("filing") == filing_id, cell
    d.set_window_size(1366, 900)


TODAY = "demo-today"


def compliance_cell(base, unit, deliverable):
    """One cell of the demo programme's compliance matrix, read over the API as the province."""
    login = urllib.request.Request(
        f"{base}/api/v1/auth/login", method="POST", headers={"content-type": "application/json"},
        data=json.dumps({"username": "fj-admin", "password": PASSWORD}).encode())
    token = json.load(urllib.request.urlopen(login))["token"]
    req = urllib.request.Request(f"{base}/api/v1/programmes/{TODAY}/compliance",
                                 headers={"authorization": f"Bearer {token}"})
    m = json.load(urllib.request.urlopen(req))
    col = next(i for i, c in enumerate(m["columns"]) if c["deliverable"] == deliverable)
    row = next(r for r in m["rows"] if r["unit"] == unit)
    return row["cells"][col]

if __name__ == "__main__":
    main(sys.argv[1].rstrip("/"), sys.argv[2])
