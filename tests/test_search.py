"""/search/: the same results on SQLite (FTS5) and PostgreSQL (tsvector), kept in step by
triggers, filters, hostile queries, HTMX and query counts."""

import datetime as dt

import pytest
from django.db import connection, transaction
from django.urls import reverse

from tests import factories
from tracker.models import Commitment
from tracker.search import index, newest, query

HTMX = {"HX-Request": "true"}


@pytest.fixture
def world(analyst):
    china = factories.make_party("China")
    usa = factories.make_party("United States")
    trade = factories.make_area("Trade")
    drugs = factories.make_area("Counternarcotics")
    tariffs = factories.make_commitment(
        "TRADE-1", owner=analyst, area=trade, parties=[usa], title="Lower tariffs on solar panels"
    )
    precursors = factories.make_commitment(
        "DRUGS-1",
        owner=analyst,
        area=drugs,
        parties=[china],
        title="Curb precursor chemicals",
        description="Shipments of precursor chemicals are curtailed.",
    )
    document = factories.make_document_source(
        "Readout",
        text="The leaders discussed tariffs at length.\n\nChina agreed to curtail shipments.",
    )
    factories.record(
        precursors,
        as_of=dt.date(2026, 3, 1),
        assessment="Seizures of precursors rose sharply in the spring.",
        quote="China agreed to curtail shipments.",
        source=document,
    )
    factories.record(
        tariffs,
        as_of=dt.date(2026, 6, 1),
        assessment="Negotiators met twice; no tariff was lowered.",
        quote="Tariffs stay where they were.",
    )
    return {"tariffs": tariffs, "precursors": precursors, "document": document, "china": china}


def found(client, **params):
    response = client.get(reverse("search"), params)
    assert response.status_code == 200, response.content[:500]
    return [(hit.kind, hit.title) for hit in response.context["hits"]]


def test_it_finds_commitments_assessments_quotes_and_source_text(client, analyst, world):
    client.force_login(analyst)
    hits = found(client, q="shipments")
    assert sorted(hits) == [
        ("commitment", "DRUGS-1 · Curb precursor chemicals"),
        ("quote", "DRUGS-1 · quote from Readout"),
        ("text", "Readout · paragraph 2"),
    ]
    assert found(client, q="seizures") == [("assessment", "DRUGS-1 · assessment as of 01 Mar 2026")]


def test_words_are_matched_by_their_stem_and_all_must_occur(client, analyst, world):
    client.force_login(analyst)
    assert ("commitment", "TRADE-1 · Lower tariffs on solar panels") in found(client, q="tariff")
    assert found(client, q="solar tariffs") == [
        ("commitment", "TRADE-1 · Lower tariffs on solar panels")
    ]
    assert found(client, q="solar precursor") == []


def test_phrases_exclusions_and_alternatives(client, analyst, world):
    client.force_login(analyst)
    assert found(client, q='"solar panels"') == [
        ("commitment", "TRADE-1 · Lower tariffs on solar panels")
    ]
    assert found(client, q='"panels solar"') == []
    assert ("text", "Readout · paragraph 1") not in found(client, q="tariffs -leaders")
    assert ("text", "Readout · paragraph 1") in found(client, q="tariffs")
    assert {kind for kind, _ in found(client, q="seizures or negotiators")} == {"assessment"}
    assert len(found(client, q="seizures or negotiators")) == 2


def test_the_best_match_comes_first(client, analyst, world):
    factories.make_commitment(title="Precursor precursor precursor controls", owner=analyst)
    client.force_login(analyst)
    hits = found(client, q="precursor", kind="commitment")
    assert hits[0] == ("commitment", hits[0][1]) and "Precursor precursor" in hits[0][1]


def test_snippets_highlight_the_matched_words(client, analyst, world):
    client.force_login(analyst)
    body = client.get(reverse("search"), {"q": "seizures"}).content.decode()
    assert "<mark>Seizures</mark> of precursors rose sharply in the spring." in body
    hit = client.get(reverse("search"), {"q": "seizures"}).context["hits"][0]
    assert hit.url == f"{world['precursors'].get_absolute_url()}#update-{hit.obj.pk}"


def test_a_long_texts_snippet_shows_the_words_around_the_match(client, analyst, world):
    early, late = (" ".join(f"{word}{i}" for i in range(80)) for word in ("early", "late"))
    factories.make_commitment(
        "LONG-1", owner=analyst, title="A long one", description=f"{early} smuggling {late}"
    )
    client.force_login(analyst)
    hit = client.get(reverse("search"), {"q": "smuggling"}).context["hits"][0]
    text = "".join(part for part, _ in hit.snippet)
    assert ("smuggling", True) in hit.snippet
    assert "smuggling late0" in text
    assert "early0 " not in text and "late79" not in text  # not the whole text


def test_a_snippet_cut_inside_a_phrase_still_marks_what_it_shows():
    words = [f"w{i}" for i in range(100)]
    words[34], words[35] = "\x01will", "continue\x02"  # as highlight() marks a phrase
    snippet = query.excerpt(" ".join(words[35:]))
    assert snippet.startswith(f"{query.MARK_START}continue{query.MARK_END} w36")
    assert snippet.endswith("w64…")
    snippet = query.excerpt(" ".join(words[:35]))
    assert snippet.endswith(f"{query.MARK_START}will{query.MARK_END}")
    assert snippet.startswith("…w5 ")


def test_quotes_say_whether_they_are_verified(client, analyst, world):
    client.force_login(analyst)
    body = client.get(reverse("search"), {"q": "shipments", "kind": "quote"}).content.decode()
    assert ">Verified quote</a>" in body
    body = client.get(reverse("search"), {"q": "stay", "kind": "quote"}).content.decode()
    assert ">Unverified</span>" in body


@pytest.mark.parametrize(
    "params,expected",
    [
        ({"kind": "quote"}, {"quote"}),
        ({"kind": "text"}, {"text"}),
        ({"kind": "commitment"}, {"commitment"}),
    ],
)
def test_the_kind_filter(client, analyst, world, params, expected):
    client.force_login(analyst)
    assert {kind for kind, _ in found(client, q="shipments", **params)} == expected


def test_area_party_and_date_filters(client, analyst, world):
    client.force_login(analyst)
    drugs, trade = world["precursors"].area, world["tariffs"].area
    # The Readout's paragraphs count for the area and the party of the commitment it supports.
    assert {t for _, t in found(client, q="tariffs or shipments", area=drugs.pk)} == {
        "DRUGS-1 · Curb precursor chemicals",
        "DRUGS-1 · quote from Readout",
        "Readout · paragraph 1",
        "Readout · paragraph 2",
    }
    assert {kind for kind, _ in found(client, q="tariffs or shipments", area=trade.pk)} == {
        "commitment",
        "assessment",
        "quote",
    }
    assert {
        t.split(" · ")[0]
        for _, t in found(client, q="tariff or shipments", party=world["china"].pk)
    } == {"DRUGS-1", "Readout"}
    usa = world["tariffs"].parties.get()
    assert "text" not in {kind for kind, _ in found(client, q="tariff", party=usa.pk)}
    in_spring = found(
        client, q="seizures or negotiators", date_from="2026-02-01", date_to="2026-04-01"
    )
    assert in_spring == [("assessment", "DRUGS-1 · assessment as of 01 Mar 2026")]
    assert found(client, q="seizures or negotiators", date_from="2026-05-01") == [
        ("assessment", "TRADE-1 · assessment as of 01 Jun 2026")
    ]


def test_an_inverted_date_range_is_refused_clearly(client, analyst, world):
    client.force_login(analyst)
    response = client.get(
        reverse("search"), {"q": "tariffs", "date_from": "2026-05-01", "date_to": "2026-01-01"}
    )
    assert response.status_code == 400
    assert "The end of the range comes before its start." in response.content.decode()


# Kept in step by the same transaction, whoever writes


def index_rows():
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {index.TABLE}")  # noqa: S608
        return cursor.fetchone()[0]


def test_the_index_follows_every_write(client, analyst, world):
    client.force_login(analyst)
    commitment = world["tariffs"]
    Commitment.objects.filter(pk=commitment.pk).update(title="Open the wind turbine market")
    assert found(client, q="turbine") == [("commitment", "TRADE-1 · Open the wind turbine market")]
    assert ("commitment", "TRADE-1 · Lower tariffs on solar panels") not in found(client, q="solar")
    # Writes that do not touch the indexed columns leave the index alone.
    before = index_rows()
    Commitment.objects.filter(pk=commitment.pk).update(current_progress=50)
    assert index_rows() == before


def test_a_rolled_back_write_leaves_nothing_in_the_index(client, analyst, world):
    before = index_rows()
    with pytest.raises(RuntimeError), transaction.atomic():
        factories.record(world["tariffs"], quote="Ephemeral zeppelin quote.")
        raise RuntimeError
    assert index_rows() == before
    client.force_login(analyst)
    assert found(client, q="zeppelin") == []


def test_rebuild_gives_back_the_same_index(world):
    before = index.rows()
    assert index.rebuild() == len(before)
    assert index.rows() == before


def test_dates_copied_into_the_index_follow_their_source(client, analyst, world):
    """A source's publication date is its paragraphs' date, an update's as-of date its
    quotes': changing either changes the index in the same transaction."""
    client.force_login(analyst)
    document = world["document"]
    with transaction.atomic():
        document.published_on = dt.date(2019, 5, 4)
        document.save()
    in_2019 = found(client, q="curtail", date_from="2019-01-01", date_to="2019-12-31")
    assert in_2019 == [("text", "Readout · paragraph 2")]
    update = world["precursors"].status_updates.get()
    with transaction.atomic():
        update.as_of = dt.date(2018, 2, 2)
        update.save()
    in_2018 = found(client, q="curtail", date_from="2018-01-01", date_to="2018-12-31")
    assert {kind for kind, _ in in_2018} == {"quote"}
    # What the triggers did is what a rebuild from the tables gives.
    after = index.rows()
    index.rebuild()
    assert index.rows() == after


def test_the_area_and_party_filters_follow_a_commitment_moved_or_given_parties(
    client, analyst, world
):
    """Each row carries its commitment's area and parties (the filters need no join): moving
    a commitment to another area, or giving it a party or taking one away, stamps all its
    rows (commitment, assessments, quotes) again in the same transaction."""
    client.force_login(analyst)
    tariffs, china = world["tariffs"], world["china"]
    drugs, trade = world["precursors"].area, tariffs.area
    everything_of_tariffs = {"commitment", "assessment", "quote"}

    def kinds(**filters):
        return {k for k, t in found(client, q="tariff or negotiators", **filters) if "TRADE" in t}

    assert kinds(area=trade.pk) == everything_of_tariffs and kinds(area=drugs.pk) == set()
    with transaction.atomic():
        tariffs.area = drugs
        tariffs.save()
    assert kinds(area=drugs.pk) == everything_of_tariffs and kinds(area=trade.pk) == set()
    assert kinds(party=china.pk) == set()
    tariffs.parties.add(china)
    assert kinds(party=china.pk) == everything_of_tariffs
    tariffs.parties.remove(china)
    assert kinds(party=china.pk) == set()
    # What the triggers did is what a rebuild from the tables gives.
    tariffs.parties.add(china)
    after = index.rows()
    index.rebuild()
    assert index.rows() == after


def test_a_paragraphs_filters_follow_the_evidence_citing_its_source(client, analyst, world):
    """A paragraph counts for the areas and parties of every commitment whose evidence cites
    its source: a quote citing it, moved or deleted, stamps its paragraphs again."""
    client.force_login(analyst)
    trade, usa = world["tariffs"].area, world["tariffs"].parties.get()

    def paragraphs(**filters):
        return {t for k, t in found(client, q="tariffs or shipments", **filters) if k == "text"}

    both = {"Readout · paragraph 1", "Readout · paragraph 2"}
    assert paragraphs(area=trade.pk) == set() and paragraphs(party=usa.pk) == set()
    update = factories.record(world["tariffs"], quote="China agreed", source=world["document"])
    assert paragraphs(area=trade.pk) == both and paragraphs(party=usa.pk) == both
    evidence = update.evidence.get()
    with transaction.atomic():
        evidence.source = factories.make_source()
        evidence.save()
    assert paragraphs(area=trade.pk) == set()
    with transaction.atomic():
        evidence.source = world["document"]
        evidence.save()
    assert paragraphs(area=trade.pk) == both
    evidence.delete()
    assert paragraphs(area=trade.pk) == set() and paragraphs(party=usa.pk) == set()
    after = index.rows()
    index.rebuild()
    assert index.rows() == after


@pytest.mark.parametrize(
    ("since", "until"),
    [
        (dt.date(2022, 1, 1), dt.date(2022, 12, 31)),
        (dt.date(2021, 12, 31), dt.date(2023, 1, 1)),
        (dt.date(1999, 2, 28), dt.date(2024, 2, 29)),
        (None, dt.date(2022, 6, 15)),
        (dt.date(2022, 6, 15), None),
        (None, None),
    ],
)
def test_a_date_range_is_the_fewest_day_month_year_tokens_covering_exactly_it(since, until):
    """SQLite matches a date range among each row's day tokens (index.FACETS): the range's
    tokens hold every day in it and no other."""
    tokens = query.date_tokens(since, until)
    assert len(tokens) == len(set(tokens)) <= 100
    probes = [dt.date.min, dt.date.max, dt.date(2022, 1, 1), dt.date(2023, 1, 1)]
    for edge in filter(None, (since, until)):
        probes += [edge + dt.timedelta(days=d) for d in (-400, -32, -1, 0, 1, 32, 400)]
    for day in probes:
        mine = {
            f"d{day.year:04d}{day.month:02d}{day.day:02d}",
            f"m{day.year:04d}{day.month:02d}",
            f"y{day.year:04d}",
            f"x{day.year // 10:03d}",
            f"c{day.year // 100:02d}",
            f"k{day.year // 1000}",
        }
        inside = (since is None or since <= day) and (until is None or day <= until)
        assert bool(mine & set(tokens)) == inside, (day, tokens)


def test_only_the_newest_matches_of_each_kind_are_ranked(client, analyst, world, monkeypatch):
    """The ranking contract: each kind's newest CANDIDATES matches are ranked, best first."""
    client.force_login(analyst)
    quotes = [
        factories.record(world["tariffs"], quote="Zebra" + " zebra" * (3 - n) + f" {n}.")
        .evidence.get()
        .pk
        for n in range(3)
    ]

    def ranked(**params):
        response = client.get(reverse("search"), {"q": "zebra", "kind": "quote", **params})
        return [hit.obj.pk for hit in response.context["hits"]]

    assert ranked() == quotes  # more zebras, better rank
    monkeypatch.setattr(query, "CANDIDATES", 2)
    assert ranked() == quotes[1:]  # the oldest is not looked at
    monkeypatch.setattr(query, "CANDIDATES", 1)
    assert ranked() == quotes[2:]


@pytest.mark.parametrize("fetch_cost", [0, 10**9], ids=["the GIN index", "walking on"])
def test_the_newest_matches_past_the_window_whichever_way_is_taken(
    client, analyst, world, monkeypatch, fetch_cost
):
    """PostgreSQL looks at a window of each kind's newest rows first, then walks on newest
    first or fetches the older matches from the GIN index, whichever it reckons cheaper
    (tracker/search/newest.py); every way, with any filter, gives the newest CANDIDATES
    matches, as FTS5 does on SQLite."""
    client.force_login(analyst)
    drugs = world["precursors"].area
    quotes = []  # (evidence id, commitment, as-of date, text), oldest id first
    for n in range(24):
        commitment = world["precursors"] if n % 4 == 0 else world["tariffs"]
        # Dates out of id order: rows written after later-dated ones.
        day = dt.date(2025, 1, 1) + dt.timedelta(days=(n * 37) % 300)
        text = f"Walrus sighting {n}." if n % 3 else f"Puffin colony {n}."
        update = factories.record(commitment, as_of=day, quote=text)
        quotes.append((update.evidence.get().pk, commitment, day, text))
    monkeypatch.setattr(newest, "WINDOW", 3)
    monkeypatch.setattr(newest, "FETCH_COST", fetch_cost)
    monkeypatch.setattr(query, "CANDIDATES", 4)
    since, until = dt.date(2025, 3, 1), dt.date(2025, 7, 31)
    cases = [
        ({}, lambda c, d: True),
        ({"area": drugs.pk}, lambda c, d: c == world["precursors"]),
        ({"date_from": since, "date_to": until}, lambda c, d: since <= d <= until),
        ({"date_to": until}, lambda c, d: d <= until),
        ({"date_from": since}, lambda c, d: since <= d),
    ]
    for params, keeps in cases:
        for word in ("walrus", "puffin"):
            newest_four = sorted(
                (pk for pk, c, d, text in quotes if word in text.lower() and keeps(c, d)),
                reverse=True,
            )[:4]
            response = client.get(reverse("search"), {"q": word, "kind": "quote", **params})
            assert sorted(hit.obj.pk for hit in response.context["hits"]) == sorted(newest_four), (
                word,
                params,
            )


# Hostile input


@pytest.mark.parametrize(
    "q",
    [
        '"unbalanced',
        "NEAR(tariffs shipments)",
        "tariffs AND OR NOT",
        "*",
        "body:tariffs",
        "^tariffs",
        "tariffs\x00shipments",
        "'; DROP TABLE tracker_search; --",
        "tariffs)(",
        "“curly” ‘quotes’ — dashes",
        "ÿ" * 150,
    ],
)
def test_hostile_queries_give_results_or_a_clear_message(client, analyst, world, q):
    client.force_login(analyst)
    response = client.get(reverse("search"), {"q": q})
    assert response.status_code in (200, 400)
    if response.status_code == 400:  # a NUL is refused before the view, as everywhere
        body = response.content.decode()
        assert 'role="alert"' in body or body == "The address contains a NUL character."
    assert index_rows() > 0


def test_a_ten_thousand_character_query_is_refused_clearly(client, analyst, world):
    client.force_login(analyst)
    response = client.get(reverse("search"), {"q": "tariffs " * 1250})
    assert response.status_code == 400
    assert "Searches are limited to 200 characters." in response.content.decode()


@pytest.mark.parametrize(
    "q,message",
    [
        ("the of and", "Type a word to search for"),
        ("-tariffs", "Say what to look for, not only what to leave out."),
        ("!!! ???", "Type a word to search for"),
    ],
)
def test_queries_with_nothing_to_look_for_say_so(client, analyst, world, q, message):
    client.force_login(analyst)
    response = client.get(reverse("search"), {"q": q})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_parser_quotes_every_word_for_fts5_and_keeps_websearch_syntax():
    clauses = query.parse('Tariffs "solar panels" -wind or "NEAR(x"')
    assert query.fts5_expression(clauses) == '"tariffs" AND "solar panels" OR "near x" NOT "wind"'
    assert query.websearch_string(clauses) == 'tariffs "solar panels" -wind or "near x"'


# The page


def test_without_a_query_the_page_shows_the_form(client, manager):
    client.force_login(manager)
    response = client.get(reverse("search"))
    assert response.status_code == 200
    assert "Type what you are looking for" in response.content.decode()
    assert response.context["hits"] == []


def test_htmx_gets_the_results_only_with_a_shareable_url(client, analyst, world):
    client.force_login(analyst)
    response = client.get(reverse("search"), {"q": "tariffs", "kind": "text"}, headers=HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="search-results"')
    assert response["HX-Push-Url"] == "/search/?q=tariffs&kind=text"
    assert "HX-Request" in response["Vary"]
    full = client.get(response["HX-Push-Url"]).content.decode()
    assert "<html" in full and "Readout · paragraph 1" in full


def test_pages_of_results(client, analyst):
    for n in range(23):
        factories.make_commitment(title=f"Harbour works number {n}", owner=analyst)
    client.force_login(analyst)
    first = client.get(reverse("search"), {"q": "harbour"})
    assert len(first.context["hits"]) == 20 and first.context["next_url"]
    second = client.get(reverse("search") + first.context["next_url"])
    assert len(second.context["hits"]) == 3 and second.context["previous_url"]


def test_the_search_box_is_in_the_navigation(client, analyst):
    client.force_login(analyst)
    body = client.get(reverse("commitment-list")).content.decode()
    assert '<form class="nav-search" method="get" action="/search/" role="search">' in body


def test_a_search_takes_a_constant_number_of_queries(
    client, analyst, world, django_assert_num_queries
):
    for n in range(3):
        commitment = factories.make_commitment(title=f"Shipments of type {n}", owner=analyst)
        factories.record(commitment, assessment="Shipments fell.", quote="Shipments fell.")
    client.force_login(analyst)
    # session, user with their roles, the search, commitments, updates, evidence, paragraphs of
    # the hits, areas and parties (filter selects), nav count of returned updates
    with django_assert_num_queries(10):
        response = client.get(reverse("search"), {"q": "shipments"})
    assert {hit.kind for hit in response.context["hits"]} == {
        "commitment",
        "assessment",
        "quote",
        "text",
    }


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
def test_the_search_statement_is_planned_for_its_words_and_never_prepared(client, analyst, world):
    # The settings prepare every statement run twice on a connection; the search's is
    # written for a planner that sees its words, so it is planned afresh each time.
    client.force_login(analyst)
    for q in ("shipments", "tariffs", "shipments"):
        assert client.get(reverse("search"), {"q": q}).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert any('"django_session"' in statement for statement in prepared)
    assert not [statement for statement in prepared if "websearch_to_tsquery" in statement]


def test_outsiders_cannot_search(client, outsider):
    assert client.get(reverse("search"), {"q": "x"}).status_code == 302
    client.force_login(outsider)
    assert client.get(reverse("search"), {"q": "x"}).status_code == 403


def test_a_snippet_is_cut_around_the_densest_matches_of_a_text_full_of_them():
    # A long text where the word occurs every other word, and 60 times in a row once: the
    # snippet is the first window holding the most matches, the rest cut off with "…".
    words = ["\x01precursor\x02" if i % 2 else f"w{i}" for i in range(20_000)]
    words[100:160] = ["\x01precursor\x02"] * 60
    snippet = query.excerpt(" ".join(words))
    assert snippet.startswith("…") and snippet.endswith("…")
    assert snippet.count(query.MARK_START) == query.SNIPPET_WORDS


def test_a_new_area_or_party_is_offered_at_once(client, analyst):
    """The filters' options are read every request (their SQL is compiled once)."""
    factories.signed_in(analyst, client)
    client.get("/search/?q=anything")
    area, party = factories.make_area("Cyber dialogue"), factories.make_party("Vietnam")
    page = client.get("/search/?q=anything").content.decode()
    assert f'<option value="{area.pk}">Cyber dialogue</option>' in page
    assert f'<option value="{party.pk}">Vietnam</option>' in page
    response = client.get("/search/", {"q": "anything", "area": area.pk, "party": party.pk})
    assert response.status_code == 200 and "Select a valid choice" not in response.content.decode()
