"""Search and the money-first queue through the API and the web pages, on both backends."""

from __future__ import annotations

import pytest

from tests.integration.analyst_support import Http, matched_http


@pytest.fixture
def http(engine) -> Http:
    return matched_http(engine)


def test_api_gap_search_by_accent_free_name_phone_and_plate(http):
    api = http.api("viewer")
    for q in ("jauregui jose", "Jáuregui", "+51 944 111 222", "jkl987"):
        body = api.get("/api/v1/ops/identity-gaps", params={"q": q}).json()
        assert [i["lead_id"] for i in body["items"]] == ["L6"], q
        assert body["totals"]["total_leads"] == 1


def test_api_persons_and_queue_search(http):
    api = http.api("viewer")
    got = api.get("/api/v1/identity/persons", params={"q": "987-654-321"}).json()
    assert got["total"] == 1 and got["items"][0]["primary_name"]
    queue = api.get("/api/v1/identity/unmatched", params={"q": "pedro ramos"}).json()
    assert [i["source_pk"] for i in queue["items"]] == ["L4"]


def test_api_queue_carries_money_and_sorts(http):
    api = http.api("viewer")
    items = api.get("/api/v1/identity/unmatched").json()["items"]
    assert all("amount_at_stake" in i and "gap_age_days" in i for i in items)
    # L4's only account is in another park: last, and gone with linkable_only
    assert items[-1]["source_pk"] == "L4" and items[-1]["linkable"] is False
    only = api.get("/api/v1/identity/unmatched", params={"linkable_only": "true"}).json()
    assert "L4" not in [i["source_pk"] for i in only["items"]]
    oldest = api.get("/api/v1/identity/unmatched", params={"sort": "-age"}).json()["items"]
    ages = [i["gap_age_days"] for i in oldest if i["linkable"]]
    assert ages == sorted(ages, reverse=True)


@pytest.mark.parametrize(
    "params", [{"sort": "nope"}, {"q": "x" * 201}, {"min_amount": "-1"}, {"min_age_days": "z"}]
)
def test_api_bad_queue_parameters_are_422(http, params):
    r = http.api("viewer").get("/api/v1/identity/unmatched", params=params)
    assert r.status_code == 422


def test_web_gap_table_person_list_and_queue_search(http):
    web = http.web("viewer")
    html = web.get("/", params={"q": "JAUREGUI"}).text
    table = html[html.index('id="gap-table"') :]
    assert 'data-lead="L6"' in table and 'data-lead="L1"' not in table
    persons = web.get("/personas", params={"q": "987654321"}).text
    assert "PEREZ" in persons.upper()
    queue = web.get("/revision", params={"q": "ramos soto"}).text
    assert 'id="review-lead-id">L4<' in queue
    assert "Lead 1 de 1" in queue


def test_web_queue_shows_the_amount_and_keeps_filters_in_links(http):
    web = http.web("viewer")
    html = web.get("/revision", params={"sort": "-age", "linkable_only": "1"}).text
    assert 'id="review-amount"' in html
    assert "L4" not in html.split('id="review-lead-id">')[1].split("<")[0]
    assert "sort=-age" in html and "linkable_only=1" in html  # the keyboard j/k links keep them


def test_web_queue_bad_filter_is_a_spanish_error(http):
    r = http.web("viewer").get("/revision", params={"min_amount": "mucho"})
    assert r.status_code == 422 and "«Monto mínimo» debe ser un número" in r.text
