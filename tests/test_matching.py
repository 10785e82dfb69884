"""Matching: `POST /v1/claims/match`, `similar` in a post's answer, `GET /v1/claims/{id}/related`, `GET /v1/compare`,
the match index kept with the claim (post, amendment, import, migration 0009), and the quality of
`same_assertion` on the labelled pairs of tests/data/matching/."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from api.database import normalise_url
from api.migrate import downgrade, upgrade
from api.services.claims.reading import describe_current
from api.services.matching import index as match_index
from api.services.matching.matcher import side_of
from api.services.matching.scoring import score_pair
from api.services.matching.text import index_terms
from tests.factories import amend, make_claim, make_document, make_source, ndjson, post_import

PAIRS = Path(__file__).parent / "data" / "matching" / "pairs.jsonl"
POSITIVE = ("paraphrase", "relay", "transliteration")
NEVER_SAME = ("negation", "numbers")
MIN_PRECISION, MIN_RECALL = 0.85, 0.80


def _match(client: httpx.Client, **body: Any) -> list[dict[str, Any]]:
    response = client.post("/v1/claims/match", json=body)
    assert response.status_code == 200, response.text
    return list(response.json()["candidates"])


def _events(client: httpx.Client) -> int:
    return len(client.get("/v1/audit", params={"limit": 500}).json()["items"])


def test_match_finds_a_relay_across_spellings_with_reasons_and_stores_nothing(api: Any) -> None:
    analyst, viewer = api.as_("analyst"), api.as_("viewer")
    staff = make_source(analyst, name="General Staff", affiliation="UA")
    isw = make_source(analyst, name="ISW", kind="think_tank", affiliation="US")
    recorded = make_claim(analyst, staff["id"], statement="Russian forces withdrew from Izium.", places=["Izium"])
    make_claim(analyst, staff["id"], statement="Grain exports through Odesa resumed.", places=["Odesa"])
    before = _events(api.as_("admin"))
    candidates = _match(
        viewer,
        statement="ISW said that Russian troops pulled out of Izyum.",
        source_id=isw["id"],
        stated_at="2022-05-15T10:00:00Z",
        places=["Ізюм"],
    )
    assert [item["claim"]["id"] for item in candidates] == [recorded["id"]]
    best = candidates[0]
    assert best["relation"] == "same_assertion" and best["score"] >= 0.95
    reasons = " | ".join(best["reasons"])
    assert "shares 4 of 4 content words" in reasons
    assert "the same place: Ізюм" in reasons
    assert "within 2 days" in reasons
    assert "an independent party (General Staff, not ISW)" in reasons
    assert _events(api.as_("admin")) == before


def test_negated_or_renumbered_statement_is_never_same_assertion(api: Any) -> None:
    analyst = api.as_("analyst")
    staff = make_source(analyst, name="General Staff")
    withdrew = make_claim(analyst, staff["id"], statement="Russian forces withdrew from Izium.", places=["Izium"])
    make_claim(analyst, staff["id"], statement="Kyiv negotiates evacuating 60 people from Azovstal.")
    negated = _match(analyst, statement="Russian forces did not withdraw from Izium.", places=["Izium"])
    assert negated[0]["claim"]["id"] == withdrew["id"]
    assert negated[0]["relation"] == "contradicts" and negated[0]["score"] < 0.95
    assert "only this request is negated" in negated[0]["reasons"]
    renumbered = _match(analyst, statement="Kyiv negotiates evacuating 600 people from Azovstal.")
    assert renumbered[0]["relation"] == "related"
    assert "the numbers differ (600 against 60)" in renumbered[0]["reasons"]


def test_match_refuses_bad_input_as_problems(api: Any) -> None:
    viewer = api.as_("viewer")
    for body in ({"statement": "x", "limit": 0}, {"statement": ""}, {"statement": "x", "stated_at": "soon"}):
        response = viewer.post("/v1/claims/match", json=body)
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
    assert api.anonymous().post("/v1/claims/match", json={"statement": "x"}).status_code == 401


def test_post_answers_similar_and_is_never_refused_for_it(api: Any) -> None:
    analyst = api.as_("analyst")
    staff = make_source(analyst, name="General Staff")
    upi = make_source(analyst, name="UPI", kind="media")
    first = make_claim(analyst, staff["id"], statement="Izium remains the hottest spot.", places=["Izium"])
    assert first["similar"] == []
    for _ in range(4):
        make_claim(analyst, staff["id"], statement="Izium remains the hottest spot.", places=["Izium"])
    again = make_claim(
        analyst, upi["id"], statement="According to Oleh Synehubov, Izium remains the hottest spot.", places=["Izium"]
    )
    assert len(again["similar"]) == 3
    assert again["id"] not in {item["claim"]["id"] for item in again["similar"]}
    assert all(item["score"] >= 0.75 for item in again["similar"])
    unrelated = make_claim(analyst, staff["id"], statement="A humanitarian convoy reached Kherson.")
    assert unrelated["similar"] == []
    # Suggestions are searched before the post writes: a replay, whose claim is already recorded, still leaves
    # itself out and answers three others.
    body = {"source_id": upi["id"], "statement": "Izium remains the hottest spot.", "places": ["Izium"],
            "channel": "statement", "stated_at": again["stated_at"]}  # fmt: skip
    posted = [analyst.post("/v1/claims", json=body, headers={"Idempotency-Key": "izium-relay"}) for _ in range(2)]
    assert [response.status_code for response in posted] in ([201, 201], [201, 200])
    replayed = posted[1].json()
    assert replayed["id"] == posted[0].json()["id"]
    assert len(replayed["similar"]) == 3
    assert replayed["id"] not in {item["claim"]["id"] for item in replayed["similar"]}


def _as_read(client: httpx.Client, claim_id: str) -> dict[str, Any]:
    """The claim as its own read answers it, without what only that read carries (evidence, links, verdict)."""
    response = client.get(f"/v1/claims/{claim_id}")
    assert response.status_code == 200, response.text
    return {key: value for key, value in response.json().items() if key not in ("evidence", "links", "verdict")}


def test_similar_and_match_answer_each_claim_in_the_shape_of_its_own_read(api: Any) -> None:
    # Candidates are scored on a projection and only those answered are read in the claim shape, a post's claim
    # in the same read as its suggestions: each must still be the claim exactly as its own read gives it.
    analyst = api.as_("analyst")
    staff = make_source(analyst, name="General Staff", affiliation="UA")
    spokesman = make_source(analyst, name="Oleksandr Shtupun", kind="individual", parent_id=staff["id"])
    upi = make_source(analyst, name="UPI", kind="media")
    report = make_document(analyst, outlet_id=upi["id"])
    statement = "Russian forces withdrew from Izium and Balakliia."
    recorded = [
        make_claim(
            analyst,
            source["id"],
            statement=statement if number % 2 else f"{statement[:-1]} overnight.",
            places=["Izium", "Balakliia"] if number % 2 else ["Balakliia"],
            tags=[f"tag-{number}", "front"],
            via=[upi["id"]] if number % 3 == 0 else [],
            document_id=report["id"] if number % 2 else None,
            speaker_id=spokesman["id"] if number % 2 else None,
            language="en" if number % 4 else None,
            stated_at=f"2022-05-{10 + number:02d}T09:00:00+00:00",
        )
        for number, source in enumerate([staff, upi, staff, spokesman, upi])
    ]
    assert recorded[0]["similar"] == []
    later = recorded[1:]
    assert all(post["similar"] for post in later)
    for post in recorded:
        own = {key: value for key, value in post.items() if key != "similar"}
        assert own == analyst.get(f"/v1/claims/{post['id']}").json()
        for item in post["similar"]:
            assert item["claim"] == _as_read(analyst, item["claim"]["id"])
    candidates = _match(analyst, statement=statement, places=["Izium"], source_id=upi["id"], limit=3)
    assert len(candidates) == 3
    request = side_of(statement, None, ["Izium"], None)
    for item in candidates:
        claim = item["claim"]
        assert claim == _as_read(analyst, claim["id"])
        # Each score is its own claim's, not a neighbour's: the claims are read after they are scored.
        stated_at = datetime.fromisoformat(claim["stated_at"])
        places = [place["name"] for place in claim["places"]]
        assert (
            item["score"]
            == score_pair(request, side_of(claim["statement"], claim["language"], places, stated_at)).score
        )
        assert any(reason.startswith(("the same party", "an independent party")) for reason in item["reasons"])


def test_the_scorers_projection_equals_the_claims_own_fields(api: Any) -> None:
    analyst = api.as_("analyst")
    staff = make_source(analyst, name="General Staff")
    made = [
        make_claim(analyst, staff["id"], statement="Shelling hit a school.", places=places, language=language)
        for places, language in ((["Izium", "Ізюм", "Balakliia"], "en"), ([], None), (["Kharkiv"], "uk"))
    ]
    database = api.client.app.state.database
    with database.transaction(write=False) as session:
        found = match_index.candidates(session, index_terms("Shelling hit a school.", "en", []), None, limit=10)
        described = describe_current(session, [item.raw_id for item in found])
    assert sorted(item.id_text for item in found) == sorted(claim["id"] for claim in made)
    assert [item.id_text for item in found] == [str(claim["id"]) for claim in described]
    for item, claim in zip(found, described, strict=True):
        assert item.statement == claim["statement"] and item.language == claim["language"]
        assert list(item.places) == [place["name"] for place in claim["places"]]
        assert item.stated_at == claim["stated_at"] and item.source_id == claim["source"]["id"]


def test_candidates_weigh_rare_terms_first_break_ties_by_id_and_leave_out_the_excluded(api: Any) -> None:
    # The index's ranking, which each engine computes in its statement: the same on both.
    analyst = api.as_("analyst")
    staff = make_source(analyst, name="General Staff")
    common = [
        make_claim(analyst, staff["id"], statement="Shelling hit a school.", places=["Izium"])["id"] for _ in range(5)
    ]
    rare = make_claim(analyst, staff["id"], statement="Shelling hit a school in Balakliia.", places=["Balakliia"])
    terms = index_terms("Shelling hit a school in Balakliia.", "en", ["Balakliia"])
    at = datetime(2022, 5, 14, 9, tzinfo=UTC)
    database = api.client.app.state.database
    with database.transaction(write=False) as session:
        for stated_at in (at, None):
            found = [item.id_text for item in match_index.candidates(session, terms, stated_at, limit=4)]
            assert found == [rare["id"], *sorted(common)[:3]]
            left_out = match_index.candidates(session, terms, stated_at, limit=10, exclude=[uuid.UUID(rare["id"])])
            assert sorted(item.id_text for item in left_out) == sorted(common)


def test_amendment_and_import_keep_the_index_current(api: Any) -> None:
    analyst = api.as_("analyst")
    staff = make_source(analyst, name="General Staff")
    claim = make_claim(analyst, staff["id"], statement="Shelling damaged a school in Chernihiv.")
    assert _match(analyst, statement="Shelling damaged a school in Chernihiv.")[0]["claim"]["id"] == claim["id"]
    assert amend(analyst, claim, statement="A convoy reached Sumy.").status_code == 200
    assert _match(analyst, statement="Shelling damaged a school in Chernihiv.") == []
    assert _match(analyst, statement="A convoy reached Sumy.")[0]["claim"]["id"] == claim["id"]
    line = {
        "statement": "Drones attacked an oil depot near Belgorod.",
        "source": {"name": "Russian Ministry of Defence", "kind": "military"},
        "channel": "statement",
        "stated_at": "2022-05-14T09:00:00+00:00",
        "places": ["Белгород"],
        "external_id": "imported-1",
    }
    assert post_import(api.as_("admin"), ndjson([line])).status_code == 200
    found = _match(analyst, statement="Drones attacked an oil depot near Belgorod.", places=["Belgorod"])
    assert found[0]["claim"]["external_id"] == "imported-1"
    assert found[0]["relation"] == "same_assertion"


def test_related_groups_the_same_assertion_by_party_and_names_who_contradicts(api: Any) -> None:
    analyst = api.as_("analyst")
    staff = make_source(analyst, name="General Staff", affiliation="UA")
    spokesman = make_source(analyst, name="Oleksandr Shtupun", kind="individual", parent_id=staff["id"])
    isw = make_source(analyst, name="ISW", kind="think_tank", affiliation="US")
    mod = make_source(analyst, name="Russian Ministry of Defence", affiliation="RU")
    upi = make_source(analyst, name="UPI", kind="media")
    suspilne = make_source(analyst, name="Suspilne", kind="media")
    report = make_document(analyst, outlet_id=upi["id"], title="Russia withdraws", url="https://example.org/upi")
    statement = "Russian forces withdrew from Izium."
    claim = make_claim(analyst, staff["id"], statement=statement, places=["Izium"], document_id=report["id"])
    own = make_claim(analyst, spokesman["id"], statement="Russian troops pulled out of Izyum.", places=["Izyum"])
    independent = make_claim(analyst, isw["id"], statement="ISW said Russian forces withdrew from Izium.")
    relayed = make_claim(analyst, isw["id"], statement="Russia is regrouping.", via=[suspilne["id"]])
    link = analyst.post(f"/v1/claims/{claim['id']}/links", json={"kind": "corroborates", "to_claim": relayed["id"]})
    assert link.status_code == 201
    denial = make_claim(analyst, mod["id"], statement="Russian forces did not withdraw from Izium.", places=["Izium"])
    make_claim(analyst, staff["id"], statement="Russian forces withdrew from Izium.", places=["Izium"],
               stated_at="2022-09-20T09:00:00+00:00")  # fmt: skip
    response = api.as_("viewer").get(f"/v1/claims/{claim['id']}/related")
    assert response.status_code == 200, response.text
    body = response.json()
    groups = {group["party"]["name"]: group for group in body["same_assertion"]}
    assert list(groups) == ["General Staff", "ISW"]
    assert not groups["General Staff"]["independent"] and groups["ISW"]["independent"]
    assert [item["claim"]["id"] for item in groups["General Staff"]["claims"]] == [own["id"]]
    by_id = {item["claim"]["id"]: item for item in groups["ISW"]["claims"]}
    assert set(by_id) == {independent["id"], relayed["id"]}
    assert by_id[relayed["id"]]["how"] == ["corroborates"] and by_id[independent["id"]]["how"] == ["match"]
    assert [item["claim"]["id"] for item in body["contradicts"]] == [denial["id"]]
    assert body["summary"]["independent_parties"] == 1
    assert body["summary"]["outlets"] == 2
    assert body["summary"]["text"] == (
        "asserted by General Staff and ISW, independent; relayed by Suspilne and UPI; "
        "contradicted by Russian Ministry of Defence"
    )
    assert api.as_("viewer").get("/v1/claims/00000000-0000-0000-0000-000000000000/related").status_code == 404


def test_compare_groups_a_place_by_side_and_party_across_scripts(api: Any) -> None:
    analyst = api.as_("analyst")
    staff = make_source(analyst, name="General Staff", affiliation="UA")
    mod = make_source(analyst, name="Russian Ministry of Defence", affiliation="RU")
    for statement, places in (
        ("Russian forces withdrew from Izium.", ["Izium"]),
        ("Russian troops pulled out of Izyum.", ["Izyum"]),
        ("A missile hit a hospital in Izium.", ["Izium"]),
    ):
        make_claim(analyst, staff["id"], statement=statement, places=places)
    make_claim(analyst, mod["id"], statement="Российские войска перегруппировались под Изюмом.", places=["Изюм"])
    make_claim(analyst, mod["id"], statement="Troops regrouped near Kherson.", places=["Kherson"])
    make_claim(analyst, staff["id"], statement="Izium was shelled.", places=["Izium"],
               stated_at="2023-01-01T09:00:00+00:00")  # fmt: skip
    params = {"place": "Ізюм", "stated_from": "2022-05-01", "stated_to": "2022-05-31"}
    response = api.as_("viewer").get("/v1/compare", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["claims"] == 4
    sides = {side["affiliation"]: side for side in body["sides"]}
    assert list(sides) == ["RU", "UA"]
    ua = sides["UA"]["parties"][0]
    assert ua["party"]["name"] == "General Staff"
    assert sorted(len(cluster["claims"]) for cluster in ua["clusters"]) == [1, 2]
    only = api.as_("viewer").get("/v1/compare", params={**params, "source": "Russian Ministry of Defence"}).json()
    assert [side["affiliation"] for side in only["sides"]] == ["RU"]
    # The Ukrainian and the Russian names of a town differ by more than transliteration; the gazetteer joins them.
    make_claim(analyst, staff["id"], statement="Fighting continues in the town.", places=["Вовчанськ"])
    volchansk = api.as_("viewer").get("/v1/compare", params={"place": "Volchansk"}).json()
    assert volchansk["claims"] == 1
    bad = api.as_("viewer").get("/v1/compare", params={"place": "Izium", "stated_from": "May"})
    assert bad.status_code == 422


@pytest.mark.fresh_database
def test_migration_builds_the_index_for_claims_recorded_before_it(api: Any, database_url: str) -> None:
    analyst = api.as_("analyst")
    staff = make_source(analyst, name="General Staff")
    claims = [
        make_claim(analyst, staff["id"], statement=f"Air defence shot down {count} drones over Odesa.")
        for count in (3, 5, 8)
    ]
    engine = create_engine(normalise_url(database_url))
    try:
        with engine.connect() as connection:
            written = connection.execute(text("SELECT term, claim_id FROM claim_match_terms ORDER BY 1, 2")).all()
        api.client.app.state.database.dispose()
        downgrade(database_url, "0008")
        upgrade(database_url, "head")
        with engine.connect() as connection:
            rebuilt = connection.execute(text("SELECT term, claim_id FROM claim_match_terms ORDER BY 1, 2")).all()
    finally:
        engine.dispose()
    assert len(written) == 3 * 5 and rebuilt == written
    found = _match(analyst, statement="Air defence shot down 5 drones over Odesa.")
    assert found[0]["claim"]["id"] == claims[1]["id"] and found[0]["relation"] == "same_assertion"


def _pairs() -> list[dict[str, Any]]:
    return [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_labelled_pairs_are_enough_and_cover_every_category() -> None:
    pairs = _pairs()
    categories = {pair["c"] for pair in pairs}
    assert len(pairs) >= 200
    assert categories == {*POSITIVE, "other_event", *NEVER_SAME, "dates"}
    assert len({(pair["a"], pair["b"], pair.get("da"), pair.get("db")) for pair in pairs}) == len(pairs)


@pytest.mark.slow
def test_same_assertion_precision_and_recall_per_category(api: Any) -> None:
    """Each pair's first claim is imported; its second is matched. Predicted same: the first claim is among the
    candidates as `same_assertion`. Prints the table; fails below the issue's precision and recall."""
    pairs = _pairs()
    lines = []
    for index, pair in enumerate(pairs):
        lines.append(
            {
                "statement": pair["a"],
                "source": {"name": pair.get("sa", "General Staff"), "kind": "other"},
                "channel": "statement",
                "stated_at": f"{pair.get('da', '2022-05-14')}T09:00:00+00:00",
                "places": pair.get("pa", []),
                "language": pair.get("lang"),
                "external_id": f"pair-{index}",
            }
        )
    imported = post_import(api.as_("admin"), ndjson(lines))
    assert imported.status_code == 200, imported.text
    analyst = api.as_("analyst")
    table: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # pairs, predicted same, predicted correctly
    true_positive = false_positive = false_negative = 0
    for index, pair in enumerate(pairs):
        body = {
            "statement": pair["b"],
            "stated_at": f"{pair.get('db', '2022-05-14')}T12:00:00+00:00",
            "places": pair.get("pb", []),
            "limit": 20,
        }
        if pair.get("lang"):
            body["language"] = pair["lang"]
        candidates = _match(analyst, **body)
        predicted = any(
            item["claim"]["external_id"] == f"pair-{index}" and item["relation"] == "same_assertion"
            for item in candidates
        )
        row = table[pair["c"]]
        row[0] += 1
        row[1] += predicted
        row[2] += predicted == pair["same"]
        true_positive += predicted and pair["same"]
        false_positive += predicted and not pair["same"]
        false_negative += pair["same"] and not predicted
    precision = true_positive / max(1, true_positive + false_positive)
    recall = true_positive / max(1, true_positive + false_negative)
    print("\ncategory         pairs  same_assertion  correct")
    for category, (count, same, correct) in sorted(table.items()):
        print(f"{category:16} {count:5}  {same:14}  {correct / count:7.2f}")
    print(f"precision {precision:.3f}  recall {recall:.3f}  (thresholds: same_assertion 0.95, suggestion 0.75)")
    assert precision >= MIN_PRECISION
    assert recall >= MIN_RECALL
    for category in POSITIVE:
        count, same, _correct = table[category]
        assert same / count >= MIN_RECALL, category
    for category in NEVER_SAME:
        assert table[category][1] == 0, category


# ---- the desk ----------------------------------------------------------------------------------------


def test_desk_post_form_asks_already_recorded_and_links_in_one_click(api: Any) -> None:
    from tests.test_web import claim_count, desk, token_of

    analyst = api.as_("analyst")
    staff = make_source(analyst, name="General Staff", aliases=["GS"])
    recorded = make_claim(analyst, staff["id"], statement="Russian forces withdrew from Izium.", places=["Izium"])
    client = desk(api, "analyst")
    form = {
        "csrf_token": token_of(client, "/claims/new"),
        "statement": "Russian troops pulled out of Izyum.",
        "source": "GS",
        "channel": "statement",
        "stated_at": "2022-05-14",
        "places": "Izyum",
        "idempotency_key": "desk-form-1",
    }
    asked = client.post("/claims/new", data=form)
    assert asked.status_code == 200
    assert "Already recorded?" in asked.text and f"/claims/{recorded['id']}" in asked.text
    assert claim_count(api) == 1
    linked = client.post("/claims/new", data={**form, "intent": "duplicates", "link_to": recorded["id"]})
    assert linked.status_code == 303
    new_id = linked.headers["location"].rsplit("/", 1)[1]
    links = analyst.get(f"/v1/claims/{new_id}").json()["links"]
    assert [(link["kind"], link["claim_id"]) for link in links] == [("duplicates", recorded["id"])]
    anyway = client.post("/claims/new", data={**form, "idempotency_key": "desk-form-2", "intent": "post"})
    assert anyway.status_code == 303 and claim_count(api) == 3


def test_desk_claim_page_says_who_else_says_it_and_compare_page_shows_sides(api: Any) -> None:
    from tests.test_web import desk

    analyst = api.as_("analyst")
    staff = make_source(analyst, name="General Staff", affiliation="UA")
    isw = make_source(analyst, name="ISW", kind="think_tank", affiliation="US")
    mod = make_source(analyst, name="Russian Ministry of Defence", affiliation="RU")
    claim = make_claim(analyst, staff["id"], statement="Russian forces withdrew from Izium.", places=["Izium"])
    make_claim(analyst, isw["id"], statement="Russian troops pulled out of Izyum.", places=["Izyum"])
    make_claim(analyst, mod["id"], statement="Russian forces did not withdraw from Izium.", places=["Izium"])
    client = desk(api, "viewer")
    page = client.get(f"/claims/{claim['id']}")
    assert page.status_code == 200
    assert "Who else says it" in page.text
    assert "Asserted by General Staff and ISW, independent; contradicted by Russian Ministry of Defence." in page.text
    compared = client.get("/compare", params={"place": "Ізюм", "stated_from": "2022-05-01", "stated_to": "2022-05-31"})
    assert compared.status_code == 200
    assert "3 claims about Ізюм" in compared.text
    assert compared.text.index(">RU</h2>") < compared.text.index(">UA</h2>") < compared.text.index(">US</h2>")
    assert client.get("/compare", params={"place": "Izium", "stated_from": "May"}).status_code == 422


def test_words_stemmed_in_many_threads_at_once_stem_as_alone() -> None:
    # Requests run in worker threads, several at once (a match beside a post, two reads): a stemmer shared
    # between threads once mixed up their words (an IndexError, or another word's stem).
    import itertools
    import sys
    from concurrent.futures import ThreadPoolExecutor

    import snowballstemmer  # type: ignore[import-untyped]

    from api.services.matching.text import word_stem

    syllables = ["bal", "kor", "vish", "tren", "mul", "zap", "dro", "quen"]
    endings = ["ationally", "fulness", "ization", "ements", "iveness", "ousli"]
    words = ["".join(parts) + ending for parts in itertools.product(syllables, repeat=3) for ending in endings]
    alone = snowballstemmer.stemmer("english")
    expected = {word: alone.stemWord(word) for word in words}
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # hand the interpreter from thread to thread as often as it can
    try:
        with ThreadPoolExecutor(8) as pool:
            stems = dict(zip(words, pool.map(lambda word: word_stem(word, "en"), words), strict=True))
    finally:
        sys.setswitchinterval(interval)
    assert stems == expected
