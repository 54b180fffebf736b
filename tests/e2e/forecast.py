"""The forecast screen against `keel forecast`: a sales leader sees every member's row
with the same figures, sets a quota from the screen, and an account executive calls
their number there and sees only their own row; a deal's owner changes its category
inline. The board and the dashboard of a past day against `--as-of`."""

from helpers import RUN, board_figures, keel_json, set_input, shot, start_as


def leader(db):
    return next(m["name"] for m in keel_json(db, "team", "list") if m["role"] == "sales-leader")


def test_the_forecast_screen_equals_keel_forecast(session, db):
    boss = leader(db)
    start_as(session, db, boss)
    session.click("[data-testid=nav-forecast]")
    session.find("[data-testid=forecast-row][data-owner-id=team]")
    period = session.js("return document.querySelector('[data-testid=forecast-period]').value")
    cli = keel_json(db, "--as", boss, "forecast", "--period", period)
    for row in cli["owners"] + [cli["team"]]:
        owner = row["owner_id"] if row["owner_id"] is not None else "team"
        shown = session.find(f"[data-testid=forecast-row][data-owner-id='{owner}']")
        assert int(session.attribute(shown, "data-closed-won")) == row["closed_won_minor"], (owner, row)
        assert int(session.attribute(shown, "data-commit")) == row["commit_minor"], (owner, row)

    # A quota set on the screen is the CLI's quota, and attainment follows.
    ae = cli["owners"][0]
    session.click(f"[data-testid=forecast-row][data-owner-id='{ae['owner_id']}'] [data-testid=set-quota]")
    set_input(session, "[data-testid=forecast-amount]", "250,000")
    session.click("[data-testid=forecast-save]")
    session.wait_for(lambda: any(q["amount"]["amount_minor"] == 25_000_000 for q in keel_json(db, "quota", "list", "--period", period)),
                     "the quota in the workspace")
    again = keel_json(db, "--as", boss, "forecast", "--period", period)
    expected = next(r for r in again["owners"] if r["owner_id"] == ae["owner_id"])
    assert expected["quota_minor"] == 25_000_000 and expected["attainment_bp"] is not None, expected
    shot(session, "forecast")


def test_pipeline_inspection_equals_keel_pipeline_changes(session, db):
    boss = leader(db)
    start_as(session, db, boss)
    session.click("[data-testid=nav-inspection]")
    session.select("[data-testid=inspection-preset]", "quarter")
    session.wait_for(lambda: session.find_all("[data-testid=waterfall-bar][data-movement=end]"), "the waterfall")
    frm = session.js("return document.querySelector('[data-testid=inspection-from]').value")
    period = session.js("return document.querySelector('[data-testid=inspection-period]').value")
    cli = keel_json(db, "--as", boss, "pipeline", "changes", "--from", frm, "--period", period)

    def shown(movement):
        bar = session.find(f"[data-testid=waterfall-bar][data-movement='{movement}']")
        return int(session.attribute(bar, "data-minor"))

    session.wait_for(lambda: shown("start") == cli["start_minor"] and shown("end") == cli["end_minor"], "the ends as the CLI's")
    for movement, total in cli["movements"]:
        assert shown(movement) == total, (movement, total)
    # A bar lists its deals, as many as the CLI names for that movement.
    movement = cli["movements"][0][0]
    session.js(f"document.querySelector(\"[data-testid=waterfall-bar][data-movement='{movement}']\")"
               ".dispatchEvent(new MouseEvent('click', {bubbles: true}))")
    session.find(f"[data-testid=moved-deals][data-movement='{movement}']")
    expected = sum(1 for d in cli["deals"] if d["movement"] == movement)
    session.wait_for(lambda: len(session.find_all("[data-testid=moved-deal]")) == expected, "the movement's deals")
    shot(session, "inspection")


def test_an_owner_changes_a_deals_category_inline_and_the_roll_up_follows(session, db):
    boss = leader(db)
    team = keel_json(db, "team", "list")
    aes = [m["name"] for m in team if m["role"] == "account-executive"]
    period = "2026-Q4"
    # The AE with the most open deals in the period, so there is a pipeline deal to call.
    rollup = keel_json(db, "--as", boss, "forecast", "--period", period)
    busiest = max(rollup["owners"], key=lambda r: r["open_deals"])
    ae = busiest["owner_name"]
    assert ae in aes, ae
    start_as(session, db, ae)
    session.click("[data-testid=nav-forecast]")
    session.find("[data-testid=forecast-deals]")
    session.wait_for(lambda: session.find_all("[data-testid=forecast-deal]"), "the AE's deals")
    total = int(session.attribute(session.find("[data-testid=forecast-deals]"), "data-total"))
    assert total == busiest["open_deals"], (total, busiest)
    target = session.js(
        "const r = [...document.querySelectorAll('[data-testid=forecast-deal]')]"
        ".find(r => r.dataset.category !== 'commit' && r.querySelector('[data-testid=deal-category]'));"
        "return r ? +r.dataset.dealId : null;"
    )
    assert target is not None, "a deal the AE may call commit"
    before = keel_json(db, "--as", ae, "forecast", "--period", period)["owners"][0]
    session.select(f"[data-testid=forecast-deal][data-deal-id='{target}'] [data-testid=deal-category]", "commit")
    session.wait_for(lambda: session.attribute(session.find(f"[data-testid=forecast-deal][data-deal-id='{target}']"), "data-category") == "commit",
                     "the deal called commit")
    after = keel_json(db, "--as", ae, "forecast", "--period", period)["owners"][0]
    # Money moves into commit and out of another column; the open total stays.
    assert after["commit_minor"] > before["commit_minor"], (before, after)
    moved = after["commit_minor"] - before["commit_minor"]
    assert before["best_case_minor"] + before["pipeline_minor"] + before["omitted_minor"] - moved == \
        after["best_case_minor"] + after["pipeline_minor"] + after["omitted_minor"], (before, after)
    changes = keel_json(db, "deal", "changes", str(target))
    assert changes[-1]["field"] == "forecast_category" and changes[-1]["new_value"] == "commit", changes
    row = session.find(f"[data-testid=forecast-row][data-owner-id='{after['owner_id']}']")
    session.wait_for(lambda: int(session.attribute(row, "data-commit")) == after["commit_minor"], "the roll-up's commit")
    # The category chips list one category's deals: as many as the chip counts, all of it.
    session.wait_for(lambda: session.find_all("[data-testid=category-commit]"), "the commit chip")
    count = int(session.attribute(session.find("[data-testid=category-commit]"), "data-count"))
    session.click("[data-testid=category-commit]")
    session.wait_for(lambda: len(session.find_all("[data-testid=forecast-deal]")) == min(count, 50)
                     and all(session.attribute(r, "data-category") == "commit" for r in session.find_all("[data-testid=forecast-deal]")),
                     "only the commit deals")
    listed = keel_json(db, "--as", ae, "forecast", "deals", "--period", period, "--category", "commit")
    assert listed["total"] == count, (listed["total"], count)
    shot(session, "forecast-deals")


def test_the_board_and_the_dashboard_of_a_past_day_equal_keel_as_of(session, db):
    boss = leader(db)
    start_as(session, db, boss)
    day = "2026-09-15"
    session.click("[data-testid=nav-pipeline]")
    session.find("[data-testid=board-total]")
    set_input(session, "[data-testid=as-of]", day)
    session.find(f"[data-testid=as-of-banner][data-day='{day}']")
    cli = keel_json(db, "board", "--as-of", day)
    session.wait_for(lambda: session.attribute(session.find("[data-testid=board]"), "data-as-of") == day, "the board of the day")
    session.wait_for(lambda: board_figures(session)["open"] == cli["open_count"], "the day's open deals")
    shown = board_figures(session)
    assert shown["value"] == cli["pipeline_value_minor"] and shown["weighted"] == cli["weighted_pipeline_value_minor"], (shown, cli)
    for column, expected in zip(shown["columns"], cli["columns"]):
        assert (column["stage"], column["count"], column["value"]) == (expected["stage"], expected["count"], expected["value_minor"])
    # Cards show the deals of that day in their stage then: each card's deal was in that
    # column's stage on the day (checked against its stage history).
    session.find("[data-testid=column] [data-testid=card]")
    deal_id, stage = session.js(
        "const card = document.querySelector('[data-testid=column] [data-testid=card]');"
        "return [card.dataset.dealId, card.closest('[data-testid=column]').dataset.stage];"
    )
    history = keel_json(db, "deal", "show", deal_id)["history"]
    then = [h for h in history if h["changed_at"][:10] <= day]
    assert then and then[-1]["to_stage"] == stage, (deal_id, stage, then)
    shot(session, "board-as-of")
    # Nothing moves in the past: a drag leaves the deal where it is.
    now_stage = keel_json(db, "deal", "show", deal_id)["deal"]["stage_name"]
    session.drag(f"[data-testid=card][data-deal-id='{deal_id}']", "[data-testid=column]:last-of-type")
    assert not session.find_all("[data-testid=refusal], [data-testid=loss-dialog]")
    assert keel_json(db, "deal", "show", deal_id)["deal"]["stage_name"] == now_stage

    # The dashboard keeps the day (one choice for both screens), and its figures are the
    # report as of that day for the same period.
    session.click("[data-testid=nav-dashboard]")
    session.find(f"[data-testid=as-of-banner][data-day='{day}']")
    frm = session.js("return document.querySelector('[data-testid=period-from]').value")
    to = session.js("return document.querySelector('[data-testid=period-to]').value")
    report = keel_json(db, "metrics", "--as-of", day, "--from", frm, "--to", to)
    kpi = lambda name: int(session.attribute(session.find(f"[data-testid={name}]"), "data-value") or -1)
    session.wait_for(lambda: kpi("kpi-pipeline") == report["pipeline_value_minor"], "the day's pipeline")
    assert kpi("kpi-weighted") == report["weighted_pipeline_value_minor"]
    assert kpi("kpi-win-rate") == (report["win_rate"] if report["win_rate"] is not None else -1)
    today_report = keel_json(db, "metrics", "--from", frm, "--to", to)
    assert today_report["pipeline_value_minor"] != report["pipeline_value_minor"], "the past differs from today"
    shot(session, "dashboard-as-of")
    session.click("[data-testid=as-of-today]")
    session.wait_for(lambda: kpi("kpi-pipeline") == today_report["pipeline_value_minor"], "back to today")
