"""End-to-end tests in the real Keel window: Xvfb, tauri-driver, WebKitWebDriver.

Starts its own display and driver, stops both by pid, and prints a closing line
'N passed, N failed'. Screenshots go to docs/screenshots/. The partner portal and
the dashboard's tests are in partner_portal.py.
"""

import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

import forecast
import partner_portal
import team
from helpers import (NOW, PORT, RUN, SHOTS, an_account_executive, attr, board_figures, keel, keel_json,
                     set_input, shot, start, start_as, stop)


def test_first_start_asks_who_i_am_then_opens_my_day(session, db):
    session.find("[data-testid=who-am-i]")
    shot(session, "who-am-i")
    me = an_account_executive(db)
    start_as(session, db, me)
    home = session.find("[data-testid=my-pipeline]")
    mine = keel_json(db, "board", "--owner", me)
    shown = int(session.attribute(home, "data-open-count"))
    assert shown == mine["open_count"], f"home shows {shown} open deals, keel board --owner says {mine['open_count']}"
    shot(session, "home")


def test_board_column_totals_equal_keel_metrics(session, db):
    start_as(session, db, an_account_executive(db))
    session.click("[data-testid=nav-pipeline]")
    session.find("[data-testid=card]")
    shown = board_figures(session)
    metrics = keel_json(db, "metrics")
    assert shown["open"] == metrics["open_count"], (shown["open"], metrics["open_count"])
    assert shown["value"] == metrics["pipeline_value_minor"], (shown["value"], metrics["pipeline_value_minor"])
    assert shown["weighted"] == metrics["weighted_pipeline_value_minor"]
    assert shown["currency"] == metrics["currency"]
    assert sum(c["count"] for c in shown["columns"]) == metrics["open_count"]
    assert sum(c["value"] for c in shown["columns"]) == metrics["pipeline_value_minor"]
    board = keel_json(db, "board")
    expected = [{"stage": c["stage"], "count": c["count"], "value": c["value_minor"], "weighted": c["weighted_minor"]}
                for c in board["columns"]]
    assert shown["columns"] == expected, (shown["columns"], expected)
    shot(session, "board")

    # A filter changes the columns to the filtered figures, still equal to keel metrics.
    owner = an_account_executive(db)
    owner_id = next(m["id"] for m in keel_json(db, "team", "list") if m["name"] == owner)
    session.select("[data-testid=filter-owner]", str(owner_id))
    owned = keel_json(db, "metrics", "--owner", owner)
    session.wait_for(lambda: board_figures(session)["open"] == owned["open_count"], "the owner filter")
    shown = board_figures(session)
    assert shown["value"] == owned["pipeline_value_minor"]
    assert shown["weighted"] == owned["weighted_pipeline_value_minor"]
    session.select("[data-testid=filter-owner]", "")
    session.wait_for(lambda: board_figures(session)["open"] == metrics["open_count"], "the filter cleared")

    session.click("[data-testid=table-view]")
    total = session.wait_for(lambda: attr(session, "[data-testid=deal-total]", "data-total"), "the table total")
    assert int(total) == metrics["open_count"], total
    session.find("[data-testid=deal-row]")
    session.click("[data-testid=sort-amount]")
    session.wait_for(lambda: session.find_all("[data-testid=deal-row]"), "sorted rows")
    amounts = session.js(
        "return [...document.querySelectorAll('[data-testid=deal-row]')].slice(0, 5)"
        ".map(r => +r.dataset.dealId)"
    )
    top = keel_json(db, "deal", "list", "--status", "open", "--sort", "amount", "--desc", "--limit", "5")
    assert amounts == [d["id"] for d in top], (amounts, [d["id"] for d in top])
    shot(session, "deals")


CLOSE = "2031-06-13"


def card_stage(db, deal_id):
    return keel_json(db, "deal", "show", str(deal_id))["deal"]["stage_name"]


def test_create_a_deal_and_move_it_across_the_board(session, db):
    me = an_account_executive(db)
    start_as(session, db, me)
    session.click("[data-testid=nav-accounts]")
    session.click("[data-testid=new-account]")
    session.type("[data-testid=account-name]", "Halyard Robotics")
    session.type("[data-testid=account-domain]", "halyard-robotics.example")
    session.click("[data-testid=create-account]")
    account_page = session.find("[data-testid=account-page]")
    account_id = int(session.attribute(account_page, "data-account-id"))
    shot(session, "account")
    session.click("[data-testid=account-new-deal]")
    session.type("[data-testid=deal-name]", "Halyard fleet rollout")
    session.type("[data-testid=deal-amount]", "84,250.50")
    set_input(session, "[data-testid=deal-close]", CLOSE)
    session.click("[data-testid=create-deal]")
    page = session.find("[data-testid=deal-page]")
    deal_id = int(session.attribute(page, "data-deal-id"))
    shown = keel_json(db, "deal", "show", str(deal_id))["deal"]
    assert shown["account_id"] == account_id and shown["amount"]["amount_minor"] == 8425050, shown
    assert shown["stage_name"] == "Lead"

    session.click("[data-testid=nav-pipeline]")
    set_input(session, "[data-testid=filter-close-from]", CLOSE)
    set_input(session, "[data-testid=filter-close-to]", CLOSE)
    card = f"[data-testid=card][data-deal-id='{deal_id}']"
    session.find(card)
    session.drag(card, "[data-testid=column][data-stage='Qualification']")
    session.wait_for(lambda: card_stage(db, deal_id) == "Qualification", "the move to Qualification")
    session.find(f"[data-stage='Qualification'] {card}")

    # Leaving Qualification needs BANT confirmed: refused, in place, with what is missing.
    session.drag(card, "[data-testid=column][data-stage='Discovery & Demo']")
    refusal = session.find("[data-stage='Discovery & Demo'] [data-testid=refusal]")
    text = session.text(refusal)
    for item in ("budget", "authority", "need", "timeline"):
        assert item in text.lower(), text
    shot(session, "board-refused-move")
    assert card_stage(db, deal_id) == "Qualification"
    session.click("[data-testid=refusal] button:not(.primary)")

    # Set BANT on the deal page, then the same move goes through.
    session.click(card)
    session.find("[data-testid=bant]")
    for item in ("budget", "authority", "need", "timeline"):
        session.select(f"[data-testid=bant-{item}]", "confirmed")
        session.wait_for(
            lambda item=item: keel_json(db, "deal", "show", str(deal_id))["bant"][
                ["budget", "authority", "need", "timeline"].index(item)]["status"] == "confirmed",
            f"BANT {item} confirmed",
        )
    # A proof of concept shorter than the playbook allows is refused in its panel; nothing is kept.
    session.click("[data-testid=poc-edit]")
    session.type("[data-testid=poc-scope]", "Fleet telemetry on 40 robots")
    session.type("[data-testid=poc-criteria]", "Uptime above 99.5%")
    session.type("[data-testid=poc-start]", "2026-12-01")
    session.type("[data-testid=poc-end]", "2026-12-05")
    session.click("[data-testid=poc-save]")
    note = session.text(session.find("[data-testid=poc] [data-testid=error]"))
    assert "days" in note and ("end_date" in note or "evaluation" in note), note
    assert keel_json(db, "deal", "show", str(deal_id))["proof_of_concept"] is None, "a refused PoC writes nothing"
    shot(session, "deal")
    session.click("[data-testid=poc] button[type=button]")
    session.click("[data-testid=nav-pipeline]")
    session.find(card)
    session.drag(card, "[data-testid=column][data-stage='Discovery & Demo']")
    session.wait_for(lambda: card_stage(db, deal_id) == "Discovery & Demo", "the move after BANT")

    # Entering Proof of Concept needs one defined: refused, then overridden with a reason.
    session.find(f"[data-stage='Discovery & Demo'] {card}")
    session.drag(card, "[data-testid=column][data-stage='Proof of Concept']")
    session.find("[data-stage='Proof of Concept'] [data-testid=refusal]")
    session.type("[data-testid=override-reason]", "Customer ran the evaluation on their own sandbox")
    session.click("[data-testid=override-move]")
    session.wait_for(lambda: card_stage(db, deal_id) == "Proof of Concept", "the override")
    history = keel_json(db, "deal", "show", str(deal_id))["history"]
    assert history[-1]["override_reason"] == "Customer ran the evaluation on their own sandbox", history[-1]
    assert [h["to_stage"] for h in history] == ["Lead", "Qualification", "Discovery & Demo", "Proof of Concept"]


SALESFORCE_CSV = """Opportunity Name,Account Name,Amount,Currency,Stage,Close Date,Opportunity Owner,Lead Source
Keelhaul pilot,Keelhaul Systems,"12,000.00",USD,Prospecting,03/15/2031,{owner},Web
Keelhaul expansion,Keelhaul Systems,"30,500.00",USD,Needs Analysis,04/30/2031,{owner},Partner Referral
Broken row,Keelhaul Systems,not-money,USD,Prospecting,03/15/2031,{owner},Web
Keelhaul renewal,Keelhaul Systems,,USD,Prospecting,03/15/2031,{owner},Web
"""


def test_import_a_salesforce_csv_through_the_wizard_and_revert_it(session, db):
    me = an_account_executive(db)
    start_as(session, db, me)
    path = Path(db).parent / "salesforce-opportunities.csv"
    path.write_text(SALESFORCE_CSV.format(owner=me))
    before = len(keel_json(db, "deal", "list", "--search", "Keelhaul", "--limit", "50"))
    session.click("[data-testid=nav-import]")
    set_input(session, "[data-testid=import-path]", str(path))
    session.click("[data-testid=import-preview]")
    preview = session.find("[data-testid=import-preview-result]")
    assert session.attribute(preview, "data-rows") == "4"
    assert session.attribute(preview, "data-created") == "3"
    assert session.attribute(preview, "data-rejected") == "1"
    rejects = session.text(session.find("[data-testid=import-rejects]"))
    assert "4" in rejects and "amount" in rejects.lower(), rejects
    flagged = session.text(session.find("[data-testid=import-flagged]"))
    assert "5" in flagged and "amount not known" in flagged, "a deal without an amount is kept and flagged: " + flagged
    notes = session.text(session.find("[data-testid=import-notes]"))
    assert "month first" in notes, "the date order read from the file is shown: " + notes
    assert len(keel_json(db, "deal", "list", "--search", "Keelhaul", "--limit", "50")) == before, "a preview keeps nothing"
    shot(session, "import-preview")
    session.click("[data-testid=import-run]")
    result = session.find("[data-testid=import-result]")
    progress = session.find("[data-testid=import-progress]")
    assert session.attribute(progress, "data-done") == session.attribute(progress, "data-total") == "4"
    assert session.attribute(result, "data-created") == "3"
    imported = keel_json(db, "deal", "list", "--search", "Keelhaul", "--limit", "50")
    assert len(imported) == before + 3, imported
    shot(session, "import")
    session.click("[data-testid=import-revert]")
    session.find("[data-testid=import-notice]")
    assert len(keel_json(db, "deal", "list", "--search", "Keelhaul", "--limit", "50")) == before


def test_command_palette_finds_an_account_and_the_theme_switches(session, db):
    start_as(session, db, an_account_executive(db))
    account = keel_json(db, "deal", "list", "--limit", "1")[0]["account_name"]
    session.find("[data-testid=me]")
    session.keys("\ue009k")
    session.find("[data-testid=palette]")
    session.type("[data-testid=palette-input]", account, clear=False)
    session.wait_for(lambda: account in session.text(session.find("[data-testid=palette]")), "the search hit")
    shot(session, "palette")
    session.js(
        "const b = [...document.querySelectorAll('[data-testid=palette] button')]"
        ".find(b => b.textContent.includes(arguments[0]) && b.textContent.includes('Account')); b.click();",
        account,
    )
    page = session.find("[data-testid=account-page]")
    assert account in session.text(page)
    session.click("[data-testid=theme-toggle]")
    theme = session.js("return document.documentElement.dataset.theme")
    assert theme in ("dark", "light")
    session.click("[data-testid=nav-pipeline]")
    session.find("[data-testid=card]")
    if theme == "dark":
        shot(session, "board-dark")
    session.click("[data-testid=theme-toggle]")


NO_COMPANY_CSV = """Record ID,Deal Name,Deal Stage,Close Date,Deal owner,Amount,Create Date
90001,Orphan rollout,Appointment scheduled,2031-06-30 10:00,{owner},,2026-11-02 09:00
"""


def test_an_imported_deal_without_a_company_gets_its_account(session, db):
    me = an_account_executive(db)
    path = Path(db).parent / "hubspot-no-company.csv"
    path.write_text(NO_COMPANY_CSV.format(owner=me))
    keel(db, "--as", me, "import", "deals", str(path))
    deal = keel_json(db, "deal", "list", "--search", "Orphan rollout")[0]
    assert deal["account_id"] is None and deal["amount"] is None, deal
    account = keel_json(db, "account", "list", "--limit", "1")[0]
    start_as(session, db, me)
    session.keys("\ue009k")
    session.type("[data-testid=palette-input]", "Orphan rollout", clear=False)
    session.wait_for(lambda: "Orphan rollout" in session.text(session.find("[data-testid=palette]")), "the deal hit")
    session.js(
        "const b = [...document.querySelectorAll('[data-testid=palette] button')]"
        ".find(b => b.textContent.includes('Orphan rollout')); b.click();"
    )
    session.find("[data-testid=no-account]")
    page = session.text(session.find("[data-testid=deal-page]"))
    assert "not known" in page, "the unknown amount is shown as such"
    set_input(session, "[data-testid=attach-account-search]", account["name"])
    session.wait_for(lambda: session.find_all("[data-testid=attach-account-option]"), "a matching account")
    shot(session, "deal-no-account")
    session.js(
        "const b = [...document.querySelectorAll('[data-testid=attach-account-option]')]"
        ".find(b => b.textContent.startsWith(arguments[0])); b.click();",
        account["name"],
    )
    session.wait_for(lambda: not session.find_all("[data-testid=no-account]"), "the account attached")
    attached = keel_json(db, "deal", "show", str(deal["id"]))
    assert attached["deal"]["account_id"] == account["id"], attached["deal"]


TESTS = [
    test_first_start_asks_who_i_am_then_opens_my_day,
    test_board_column_totals_equal_keel_metrics,
    test_create_a_deal_and_move_it_across_the_board,
    test_import_a_salesforce_csv_through_the_wizard_and_revert_it,
    test_command_palette_finds_an_account_and_the_theme_switches,
    test_an_imported_deal_without_a_company_gets_its_account,
    *partner_portal.TESTS,
    forecast.test_the_forecast_screen_equals_keel_forecast,
    forecast.test_pipeline_inspection_equals_keel_pipeline_changes,
    forecast.test_an_owner_changes_a_deals_category_inline_and_the_roll_up_follows,
    forecast.test_the_board_and_the_dashboard_of_a_past_day_equal_keel_as_of,
    *team.TESTS,
]


def main() -> int:
    for tool in ("Xvfb", "tauri-driver", "WebKitWebDriver"):
        if not shutil.which(tool):
            print(f"e2e: {tool} is not installed (run scripts/test.sh, which installs it)", file=sys.stderr)
            return 2
    SHOTS.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="keel-e2e-"))
    db = work / "e2e.db"
    keel(db, "demo", "--deals", "240", "--seed", "11")
    display = ":" + str(90 + os.getpid() % 9)
    # The machines the tests join keep their credentials here, not in the user's own folder.
    os.environ["KEEL_CREDENTIALS_DIR"] = str(work / "credentials")
    # A fresh data directory: the app starts as on a new machine (it asks who you are).
    env = dict(os.environ, DISPLAY=display, KEEL_DB=str(db), KEEL_NOW=NOW, XDG_DATA_HOME=str(work / "data"))
    log = open(work / "e2e.log", "w")
    RUN.env, RUN.log = env, log
    xvfb = None
    passed = failed = 0
    try:
        xvfb = start(["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"], env, log)
        time.sleep(1.0)
        RUN.start_driver()
        wanted = [t for t in TESTS if any(arg in t.__name__ for arg in sys.argv[1:])] or TESTS
        for test in wanted:
            try:
                session = RUN.new_session()
                test(session, db)
                passed += 1
                print(f"e2e {test.__name__} ... ok (window opened in {RUN.session_open_times[-1]:.1f} s)")
            except Exception:
                failed += 1
                print(f"e2e {test.__name__} ... FAILED")
                traceback.print_exc()
                try:
                    if RUN.session:
                        RUN.session.screenshot(str(work / f"{test.__name__}.png"))
                except Exception as e:  # the window may be what failed
                    print(f"e2e: no failure screenshot ({e})")
            finally:
                if RUN.session:
                    RUN.session.close()
                    RUN.session = None
                if RUN.now != NOW:
                    # Later tests start from the suite's day again.
                    RUN.now = NOW
                    stop(RUN.driver)
                    RUN.start_driver()
    finally:
        stop(RUN.driver)
        stop(xvfb)
        log.close()
    times = sorted(RUN.session_open_times)
    if times:
        print(f"e2e: windows opened in {times[len(times) // 2]:.1f} s (median), {times[-1]:.1f} s (slowest)")
    if failed:
        print(f"e2e log and failure screenshots: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    print(f"e2e: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
