"""End-to-end: the partner portal and the leadership dashboard, in the real window.

One registration goes the whole way (conflict, override, conversion, a win, a payment,
a payout run, approval, payment of the statement); the dashboard's figures are then
checked against `keel metrics --json` for the same period and filters.
"""

from helpers import RUN, keel, keel_json, set_input, shot, start_as

# The app relaunches at this instant so the payment clears its 30-day holding period
# and December's payout period has ended.
LATER = "2027-01-05T09:00:00Z"


def member(db, role):
    return sorted(m["name"] for m in keel_json(db, "team", "list") if m["role"] == role)[0]


def member_id(db, name):
    return next(m["id"] for m in keel_json(db, "team", "list") if m["name"] == name)


def half_even(numerator, denominator):
    q, r = divmod(numerator, denominator)
    if 2 * r > denominator or (2 * r == denominator and q % 2 == 1):
        q += 1
    return q


def an_open_deal_account(db):
    """An account with an open deal and a domain no partner holds a live registration
    on: a new registration on it conflicts with the deal, and with nothing else."""
    live = {r["registration"]["registrable_domain"] for r in keel_json(db, "registration", "list")
            if r["registration"]["status"] in ("submitted", "returned", "approved", "converted")}
    for deal in keel_json(db, "deal", "list", "--status", "open", "--limit", "200"):
        account = keel_json(db, "account", "show", str(deal["account_id"]))["account"]
        if account["domain"] and account["domain"] not in live:
            return account
    raise AssertionError("the demo has no open deal on an account with a domain")


def click_when_ready(session, css):
    session.wait_for(lambda: session.find_all(css), css)
    session.click(css)


def test_a_conflicting_registration_goes_from_review_to_a_paid_statement(session, db):
    pm = member(db, "partner-manager")
    start_as(session, db, pm)
    session.find("[data-testid=desk]")
    shot(session, "partner-desk")
    session.click("[data-testid=nav-partners]")
    session.find("[data-testid=partner-row]")
    shot(session, "partners")
    session.click("[data-testid=nav-registrations]")
    session.find("[data-testid=registration-row]")
    shot(session, "registrations")
    session.click("[data-testid=nav-desk]")

    partner = next(p for p in keel_json(db, "partner", "list")
                   if p["partner"]["tier"] == "reseller" and p["partner"]["status"] == "active" and p["rate"] > 0)
    account = an_open_deal_account(db)
    session.click("[data-testid=desk-new-registration]")
    session.find("[data-testid=new-registration-dialog]")
    session.wait_for(lambda: session.find_all(f"[data-testid=reg-partner] option[value='{partner['partner']['id']}']"),
                     "the partner list")
    session.select("[data-testid=reg-partner]", str(partner["partner"]["id"]))
    set_input(session, "[data-testid=reg-company]", account["name"])
    set_input(session, "[data-testid=reg-domain]", "eu." + account["domain"])
    set_input(session, "[data-testid=reg-value]", "80,000.00")
    set_input(session, "[data-testid=reg-currency]", "USD")
    set_input(session, "[data-testid=reg-close]", "2027-03-31")
    session.click("[data-testid=reg-submit]")

    # The conflict is shown beside the registration, naming what it collides with.
    page = session.find("[data-testid=registration-page]")
    reg_id = int(session.attribute(page, "data-registration-id"))
    conflicts = [session.text(c) for c in session.find_all("[data-testid=conflict]")]
    assert any(account["name"] in c and "open deal" in c for c in conflicts), conflicts
    shot(session, "registration-conflict")

    # Approving without a reason is refused where I acted; with one it goes through.
    session.click("[data-testid=action-approve]")
    session.find("[data-testid=override-reason-input]")
    session.click("[data-testid=confirm-action]")
    refusal = session.find("[data-testid=review-form] [data-testid=error]")
    assert session.attribute(refusal, "data-code") == "conflict", session.text(refusal)
    assert keel_json(db, "registration", "show", str(reg_id))["registration"]["status"] == "submitted"
    set_input(session, "[data-testid=override-reason-input]", "The AE confirms the partner brought the EU team")
    session.click("[data-testid=confirm-action]")
    session.wait_for(lambda: session.attribute(session.find("[data-testid=registration-page]"), "data-status") == "approved",
                     "the approval")
    shown = keel_json(db, "registration", "show", str(reg_id))["registration"]
    assert shown["override_reason"] == "The AE confirms the partner brought the EU team", shown
    rate_bp = shown["rate"]

    # Convert into a deal owned by an account executive.
    ae = member(db, "account-executive")
    session.click("[data-testid=action-convert]")
    session.select("[data-testid=convert-owner]", str(member_id(db, ae)))
    session.click("[data-testid=confirm-action]")
    session.wait_for(lambda: session.attribute(session.find("[data-testid=registration-page]"), "data-status") == "converted",
                     "the conversion")
    deal_id = keel_json(db, "registration", "show", str(reg_id))["registration"]["deal_id"]
    assert deal_id, "converted registrations link their deal"

    # Win it (an override: a converted registration starts as a lead).
    click_when_ready(session, "[data-testid=registration-deal]")
    session.find(f"[data-testid=deal-page][data-deal-id='{deal_id}']")
    session.select("[data-testid=move-select]", "Closed Won")
    session.click("[data-testid=move-go]")
    session.find("[data-testid=deal-override-reason]")
    set_input(session, "[data-testid=deal-override-reason]", "Signed order form via the partner")
    session.click("[data-testid=deal-override]")
    session.wait_for(lambda: session.attribute(session.find("[data-testid=deal-page]"), "data-stage") == "Closed Won",
                     "the win")

    # A payment of 80,000.00 accrues the locked share, rounded half-even once.
    set_input(session, "[data-testid=revenue-amount]", "80,000.00")
    session.click("[data-testid=record-revenue]")
    entry = session.find("[data-testid=ledger-entry]")
    commission = half_even(8_000_000 * rate_bp, 10_000)
    assert int(session.attribute(entry, "data-amount-minor")) == commission
    shot(session, "deal-revenue")

    # Six weeks later: December has ended and the payment has cleared its holding period.
    session = RUN.relaunch(LATER)
    start_as(session, db, pm)
    session.find("[data-testid=desk]")
    session.click("[data-testid=nav-payouts]")
    set_input(session, "[data-testid=payout-period]", "2026-12")
    session.click("[data-testid=run-payouts]")
    # Earlier periods' rows are on the page already: wait for this run's result.
    session.wait_for(lambda: session.find_all("[data-testid=run-result], [data-testid=statement-page]"), "the run")
    statements = keel_json(db, "payouts", "list", "--period", "2026-12")
    if len(statements) > 1:
        session.find("[data-testid=statement-row]")
        shot(session, "payouts")
    # One statement per partner and currency: the payment was in USD.
    mine = next(s for s in statements
                if s["partner_id"] == partner["partner"]["id"] and s["total"]["currency"] == "USD")
    if not session.find_all(f"[data-testid=statement-page][data-statement-id='{mine['id']}']"):
        session.click("[data-testid=nav-payouts]")
        session.click(f"[data-testid=statement-row][data-statement-id='{mine['id']}'] a")
    page = session.find("[data-testid=statement-page]")
    lines = [(session.attribute(l, "data-kind"), int(session.attribute(l, "data-amount-minor")))
             for l in session.find_all("[data-testid=statement-line]")]
    assert ("payment", commission) in lines, lines
    total = int(session.attribute(page, "data-total-minor"))
    assert total == sum(amount for _, amount in lines), (total, lines)
    assert total == mine["total"]["amount_minor"], (total, mine)
    shot(session, "statement")

    session.click("[data-testid=approve-statement]")
    session.wait_for(lambda: session.attribute(session.find("[data-testid=statement-page]"), "data-status") == "approved",
                     "the approval")
    set_input(session, "[data-testid=paid-reference]", "WIRE-7731")
    session.click("[data-testid=mark-paid]")
    session.wait_for(lambda: session.attribute(session.find("[data-testid=statement-page]"), "data-status") == "paid",
                     "the payment")
    paid = keel_json(db, "payouts", "show", str(mine["id"]))
    assert paid["statement"]["status"] == "paid" and paid["statement"]["paid_reference"] == "WIRE-7731", paid
    assert paid["statement"]["total"]["amount_minor"] == total
    assert sum(line["amount_minor"] for line in paid["lines"]) == total

    # The partner page shows what was paid.
    session.click(f"[data-testid=statement-page] .crumbs a[href='/partners/{partner['partner']['id']}']")
    session.find("[data-testid=partner-page]")
    shot(session, "partner-page")

    # The partner's people: invited from the partner page. On a workspace of this
    # computer alone there is no portal, so no code; the CLI lists the person.
    set_input(session, "[data-testid=portal-invite-email]", "sam@partner.example")
    session.click("[data-testid=portal-invite]")
    session.find("[data-testid=portal-no-code]")
    session.find("[data-testid=portal-person][data-email='sam@partner.example'][data-removed=false]")
    users = keel_json(db, "partner", "users", "--partner", partner["partner"]["name"])
    assert [u["email"] for u in users] == ["sam@partner.example"], users
    session.js("document.querySelector('[data-testid=portal-people]').scrollIntoView({block: 'end'})")
    shot(session, "partner-portal-people")

    # Text a partner typed is shown as text in the app too: markup does not run.
    markup = 'Vega <img src=x onerror="window.__owned=1"> Labs'
    keel(db, "registration", "submit", "--partner", partner["partner"]["name"], "--company", markup,
         "--domain", "vega-labs.example", "--value", "1,000", "--currency", "USD", "--close-date", "2027-03-31",
         "--notes", "<script>window.__owned=2</script><b>bold</b>")
    session.click("[data-testid=nav-registrations]")
    session.wait_for(lambda: any(markup in session.text(r) for r in session.find_all("[data-testid=registration-row]")),
                     "the registration with markup, as text")
    assert session.js("return window.__owned === undefined"), "markup a partner typed ran in the app"


def dashboard_figures(session):
    session.find("[data-testid=kpi-win-rate]")
    return session.js(
        "const v = id => document.querySelector(`[data-testid=${id}]`).dataset.value;"
        "return {win_rate: v('kpi-win-rate'), pipeline: v('kpi-pipeline'), weighted: v('kpi-weighted'),"
        " sourced: v('kpi-partner-sourced'), avg: v('kpi-avg-deal')};"
    )


def as_metrics(m):
    text = lambda v: "" if v is None else str(v)  # noqa: E731
    return {"win_rate": text(m["win_rate"]), "pipeline": str(m["pipeline_value_minor"]),
            "weighted": str(m["weighted_pipeline_value_minor"]), "sourced": str(m["partner_sourced_revenue_minor"]),
            "avg": text(m["avg_deal_size_minor"])}


def test_the_dashboard_equals_keel_metrics_and_drills_to_the_deals(session, db):
    leader = member(db, "sales-leader")
    start_as(session, db, leader)
    session.find("[data-testid=dashboard]")
    today = RUN.now[:10]
    year = today[:4]
    # Default period: this year.
    expected = as_metrics(keel_json(db, "metrics", "--from", f"{year}-01-01", "--to", f"{year}-12-31"))
    session.wait_for(lambda: dashboard_figures(session) == expected, f"this year's figures {expected}")
    shot(session, "dashboard")

    session.select("[data-testid=period-preset]", "all")
    everything = keel_json(db, "metrics")
    session.wait_for(lambda: dashboard_figures(session) == as_metrics(everything), "all-time figures")
    assert int(everything["partner_sourced_revenue_minor"]) > 0, "the demo and the partner flow won registered deals"

    ae = member(db, "account-executive")
    session.select("[data-testid=dash-owner]", str(member_id(db, ae)))
    owned = keel_json(db, "metrics", "--owner", ae)
    session.wait_for(lambda: dashboard_figures(session) == as_metrics(owned), f"{ae}'s figures")
    session.select("[data-testid=dash-owner]", "")
    session.wait_for(lambda: dashboard_figures(session) == as_metrics(everything), "the owner filter cleared")

    # Partner-sourced revenue drills down to the deals behind it; they add up to it.
    session.click("[data-testid=kpi-partner-sourced]")
    panel = session.find("[data-testid=drill]")
    session.wait_for(lambda: session.attribute(panel, "data-count") not in (None, ""), "the drill-down")
    drill = keel_json(db, "metrics", "--drill", "partner-sourced")
    assert int(session.attribute(panel, "data-count")) == len(drill["rows"])
    assert int(session.attribute(panel, "data-value-minor")) == everything["partner_sourced_revenue_minor"]
    shown_ids = sorted(int(session.attribute(d, "data-deal-id")) for d in session.find_all("[data-testid=drill-deal]"))
    assert shown_ids == sorted(r["deal_id"] for r in drill["rows"])[:100] or len(drill["rows"]) > 100
    shot(session, "dashboard-drill")
    session.click("[data-testid=drill-close]")

    # A month of the win-rate trend drills to the deals won that month.
    month = session.find_all("[data-testid=trend-month]")[-1]
    key = session.attribute(month, "data-month")
    # An SVG group: clicked through the DOM, as WebKitWebDriver does not click SVG elements.
    session.js("document.querySelector(arguments[0]).dispatchEvent(new MouseEvent('click', {bubbles: true}))",
               f"[data-testid=trend-month][data-month='{key}']")
    panel = session.find("[data-testid=drill]")
    session.wait_for(lambda: session.attribute(panel, "data-count") not in (None, ""), "the month's deals")
    by_month = next(g for g in everything["by_month"] if g["month"] == key)
    assert int(session.attribute(panel, "data-count")) == by_month["won_count"], key
    session.click("[data-testid=drill-close]")

    session.click("[data-testid=nav-currency]")
    session.find("[data-testid=settings-page]")
    shot(session, "currency-settings")


def test_an_account_executive_is_not_offered_reviews_payouts_or_rates(session, db):
    ae = member(db, "account-executive")
    start_as(session, db, ae)
    session.find("[data-testid=home]")
    assert not session.find_all("[data-testid=nav-payouts]"), "payouts are not offered to an AE"
    session.click("[data-testid=nav-registrations]")
    session.click("[data-testid=registration-row] a")
    page = session.find("[data-testid=registration-page]")
    assert session.attribute(page, "data-status") == "submitted"
    assert not session.find_all("[data-testid=action-approve], [data-testid=action-reject], [data-testid=action-return]")
    session.click("[data-testid=nav-currency]")
    session.find("[data-testid=reporting-currency-shown]")
    assert not session.find_all("[data-testid=reporting-currency], [data-testid=save-rate]")

    # The audit log reads as `keel audit` does, including what the CLI just wrote.
    keel(db, "--as", ae, "account", "add", "--name", "Audit Probe Ltd")
    session.click("[data-testid=nav-audit-log]")
    session.find("[data-testid=audit-row]")
    session.select("[data-testid=audit-entity]", "account")
    expected = keel_json(db, "audit", "--entity", "account", "--limit", "500")
    assert expected and expected[0]["action"] == "account.create", expected[:1]
    session.wait_for(lambda: len(session.find_all("[data-testid=audit-row]")) == len(expected),
                     f"{len(expected)} account entries")
    actions = session.js("return [...document.querySelectorAll('[data-testid=audit-row]')].map(r => r.dataset.action)")
    assert actions == [e["action"] for e in expected], (actions[:5], [e["action"] for e in expected][:5])
    shot(session, "audit")


TESTS = [
    test_a_conflicting_registration_goes_from_review_to_a_paid_statement,
    test_the_dashboard_equals_keel_metrics_and_drills_to_the_deals,
    test_an_account_executive_is_not_offered_reviews_payouts_or_rates,
]
