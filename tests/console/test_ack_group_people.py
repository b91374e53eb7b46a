"""Who may acknowledge through a group robot's card: on the association's duty group card the
duty officers (the card reaches them, not the unit), on a unit's group card the unit's contacts."""
from __future__ import annotations

import requests

from contracts.clock import FakeClock
from tests.console.conftest import UNIT_A, start_console, stop_console
from tests.kit import seed_doc


def test_the_duty_groups_card_is_acknowledged_by_a_duty_officer_not_by_the_units_contacts(tmp_path):
    app, _, server = start_console(tmp_path, clock=FakeClock())
    try:
        doc = seed_doc({UNIT_A: "red"}, title="值班群测试：车主投诉理赔被拒", text="车主称保险公司拒赔，已向监管部门投诉。",
                       url="http://news.example.cn/duty-group/1.html", at=app.clock.now(), story="duty-group-1")
        app.index.upsert([doc])
        alert_id = app.router.handle(doc)[0].alert.id
        members = app.config.members
        [duty_group] = [r for r in members.robots if r.id in members.association.robots]
        officer = members.association.duty_officers[0]
        unit_contact = app.config.unit(UNIT_A).contacts[0]
        url = app.ack_url(alert_id, duty_group.recipient).replace(app.config.settings.console_base_url, server.url)

        page = requests.get(url, timeout=10)
        assert page.status_code == 200
        assert f'value="{officer.name}"' in page.text and f'value="{unit_contact.name}"' not in page.text

        def post(person: str, phone: str) -> requests.Response:
            return requests.post(url, data={"confirm": "1", "person": person, "phone4": phone[-4:]},
                                 headers={"Origin": server.url}, timeout=10)

        refused = post(unit_contact.name, unit_contact.phone)  # the unit's contact is not on the duty card
        assert refused.status_code == 400 and "手机号后4位" in refused.text
        assert app.alert_store.get(alert_id).status.value == "new"
        done = post(officer.name, officer.phone)
        assert done.status_code == 200 and "已确认收到" in done.text
        ack = next(t for t in app.alert_store.audit_trail(alert_id) if t["event"] == "status.acknowledged")
        assert ack["actor"] == officer.label and ack["via"] == "group-link"

        # A unit's own group card still lists the unit's contacts.
        [unit_group] = [r for r in members.robots if r.id in app.config.unit(UNIT_A).robots]
        unit_url = app.ack_url(alert_id, unit_group.recipient).replace(app.config.settings.console_base_url,
                                                                        server.url)
        unit_page = requests.get(unit_url, timeout=10).text
        assert f'value="{unit_contact.name}"' in unit_page and f'value="{officer.name}"' not in unit_page
    finally:
        stop_console(app, server)
