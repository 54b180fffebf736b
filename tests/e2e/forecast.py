"""The forecast screen against `keel forecast`: a sales leader sees every member's row
with the same figures, sets a quota from the screen, and an account executive calls
their number there and sees only their own row."""

from helpers import RUN, keel_json, set_input, shot, start_as


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
