"""Sources: creation, unique names and aliases, reliability, parent trees, listing."""

from __future__ import annotations

from tests.conftest import Api
from tests.factories import make_claim, make_source


def test_analyst_creates_source_and_reads_it_back(api: Api) -> None:
    client = api.as_("analyst")
    created = make_source(client, name="Institute for the Study of War", kind="think_tank", aliases=["ISW"])
    assert created["reliability"] == "F"
    fetched = client.get(f"/v1/sources/{created['id']}")
    assert fetched.status_code == 200
    assert fetched.json()["aliases"] == ["ISW"]
    assert fetched.json()["party"]["id"] == created["id"]


def test_names_and_aliases_are_unique_case_insensitively(api: Api) -> None:
    client = api.as_("analyst")
    make_source(client, name="Institute for the Study of War", aliases=["ISW"])
    clash_alias = client.post("/v1/sources", json={"name": "isw", "kind": "think_tank"})
    assert clash_alias.status_code == 409
    assert clash_alias.headers["content-type"] == "application/problem+json"
    assert "Institute for the Study of War" in clash_alias.json()["detail"]
    clash_name = client.post(
        "/v1/sources", json={"name": "Other", "kind": "other", "aliases": ["INSTITUTE FOR THE STUDY OF WAR"]}
    )
    assert clash_name.status_code == 409


def test_only_admin_may_set_reliability(api: Api) -> None:
    refused = api.as_("analyst").post(
        "/v1/sources", json={"name": "Azov Regiment", "kind": "armed_group", "reliability": "B"}
    )
    assert refused.status_code == 403
    created = api.as_("admin").post(
        "/v1/sources", json={"name": "Azov Regiment", "kind": "armed_group", "reliability": "B"}
    )
    assert created.status_code == 201
    assert created.json()["reliability"] == "B"
    patch = api.as_("analyst").patch(f"/v1/sources/{created.json()['id']}", json={"reliability": "A"})
    assert patch.status_code == 403


def test_party_is_the_root_of_the_parent_tree(api: Api) -> None:
    client = api.as_("analyst")
    army = make_source(client, name="Armed Forces of Ukraine")
    staff = make_source(client, name="General Staff", parent_id=army["id"])
    spokesman = make_source(
        client, name="Oleksandr Shtupun", kind="individual", parent_id=staff["id"], role="spokesman"
    )
    assert spokesman["party"] == {"id": army["id"], "name": "Armed Forces of Ukraine"}
    assert spokesman["parent"] == {"id": staff["id"], "name": "General Staff"}


def test_unknown_parent_is_422_and_cycles_are_refused(api: Api) -> None:
    client = api.as_("analyst")
    missing = client.post(
        "/v1/sources", json={"name": "X", "kind": "other", "parent_id": "00000000-0000-0000-0000-000000000001"}
    )
    assert missing.status_code == 422
    parent = make_source(client, name="Parent")
    child = make_source(client, name="Child", parent_id=parent["id"])
    # A parent decides parties: changing one is an admin's.
    cycle = api.as_("admin").patch(f"/v1/sources/{parent['id']}", json={"parent_id": child["id"]})
    assert cycle.status_code == 422


def test_patch_records_before_and_after_in_the_ledger(api: Api) -> None:
    client = api.as_("analyst")
    source = make_source(client, name="Kharkiv RMA", kind="official")
    response = client.patch(
        f"/v1/sources/{source['id']}",
        json={"name": "Kharkiv Regional Military Administration", "aliases": ["Kharkiv RMA"]},
    )
    assert response.status_code == 200
    assert response.json()["aliases"] == ["Kharkiv RMA"]
    events = client.get("/v1/audit", params={"source": source["id"], "type": "source.updated"}).json()["items"]
    assert len(events) == 1
    assert events[0]["payload"]["before"]["name"] == "Kharkiv RMA"
    assert events[0]["payload"]["after"]["name"] == "Kharkiv Regional Military Administration"
    assert events[0]["actor"]["name"] == "analyst"


def test_list_filters_by_kind_and_name_fragment_and_pages(api: Api) -> None:
    client = api.as_("analyst")
    for index in range(5):
        make_source(client, name=f"Brigade {index}", kind="military")
    make_source(client, name="Suspilne", kind="media", aliases=["Public Broadcasting Company"])
    media = client.get("/v1/sources", params={"kind": "media"}).json()["items"]
    assert [item["name"] for item in media] == ["Suspilne"]
    by_alias = client.get("/v1/sources", params={"q": "broadcasting"}).json()["items"]
    assert [item["name"] for item in by_alias] == ["Suspilne"]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"kind": "military", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/sources", params=params).json()
        seen += [item["name"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"Brigade {index}" for index in range(5)]


def test_sort_by_claim_count(api: Api) -> None:
    client = api.as_("analyst")
    quiet = make_source(client, name="Quiet")
    busy = make_source(client, name="Busy")
    for _ in range(3):
        make_claim(client, busy["id"])
    make_claim(client, quiet["id"])
    items = client.get("/v1/sources", params={"sort": "-claims"}).json()["items"]
    assert [(item["name"], item["claim_count"]) for item in items[:2]] == [("Busy", 3), ("Quiet", 1)]


def test_viewer_cannot_create_sources(api: Api) -> None:
    response = api.as_("viewer").post("/v1/sources", json={"name": "X", "kind": "other"})
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
