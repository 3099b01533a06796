"""Duplicates on the sandbox district, scored against its ground truth (truth.json)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

import workbench as wb
from workbench.linkage import Duplicates, find_duplicates
from workbench.linkage.clusters import build_clusters
from workbench.linkage.normalise import install_macros

Pair = tuple[str, str]


def _pairs(groups: Iterable[Iterable[str]]) -> set[Pair]:
    out = set()
    for g in groups:
        members = sorted(g)
        out |= {(a, b) for i, a in enumerate(members) for b in members[i + 1:]}
    return out


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A 2,000-student sandbox district, loaded, with the duplicates of every person entity."""
    from workbench.sandbox import generate_district

    root = tmp_path_factory.mktemp("linkage")
    generate_district(root / "district", students=2000, seed=7)
    ws = wb.init_workspace(root / "ws")
    wb.load_path(ws, root / "district", source="sis")
    found = {e: find_duplicates(ws, e) for e in ("student", "contact", "teacher", "admin")}
    truth = json.loads((root / "district" / "truth.json").read_text())
    data = {"ws": ws, "dups": found, "truth": truth, "root": root}
    yield data
    data["ws"].close()


def _matched(d: Duplicates) -> set[Pair]:
    m = d.pairs[d.pairs["band"] == "match"]
    return {tuple(sorted(p)) for p in zip(m["left"], m["right"], strict=True)}  # type: ignore[misc]


def _measure(found: set[Pair], truth: set[Pair]) -> tuple[float, float]:
    tp = len(found & truth)
    return tp / max(1, len(found)), tp / max(1, len(truth))


@pytest.mark.parametrize("entity,key", [("student", "duplicate_students"),
                                        ("contact", "duplicate_contacts")])
def test_precision_and_recall_against_the_truth(district: dict[str, Any], entity: str, key: str) -> None:
    truth = _pairs(district["truth"][key])
    d = district["dups"][entity]
    precision, recall = _measure(_matched(d), truth)
    assert precision >= 0.99 and recall >= 0.97, (precision, recall)
    precision, recall = _measure(_pairs(c.members for c in d.clusters), truth)
    assert precision >= 0.99 and recall >= 0.97, (precision, recall)


def test_twins_siblings_and_staff_parents_are_never_linked(district: dict[str, Any]) -> None:
    t = district["truth"]
    never = _pairs(t["twins"]) | _pairs(t["siblings_shared_email"])
    students = district["dups"]["student"]
    assert not _matched(students) & never
    assert not _pairs(c.members for c in students.clusters) & never
    rules = dict(zip(zip(students.pairs["left"], students.pairs["right"], strict=True),
                     students.pairs["rule"], strict=True))
    assert {rules[p] for p in _pairs(t["twins"]) if p in rules} == {"never:twin"}
    assert "never:sibling_email" in set(rules.values())
    staff = {p[0] for p in t["staff_also_parent"]}
    parents = {p[1] for p in t["staff_also_parent"]}
    for entity in ("teacher", "admin", "contact"):
        ids = set(district["dups"][entity].pairs[["left", "right"]].to_numpy().ravel())
        assert not ids & (parents if entity != "contact" else staff)


def test_contributions_sum_to_the_score(district: dict[str, Any]) -> None:
    for d in district["dups"].values():
        for row in d.pairs.itertuples():
            assert math.isclose(sum(row.contributions.values()), row.score, abs_tol=1e-6)
            assert math.isclose(row.probability, 1 / (1 + math.exp(-row.score)), rel_tol=1e-9)
            assert {"given_name", "family_name", "prior"} <= set(row.contributions)


def test_exact_duplicates_by_the_configured_domain(district: dict[str, Any]) -> None:
    pairs = district["dups"]["contact"].pairs
    exact = pairs[pairs["rule"] == "exact:given_name+family_name+email"]
    assert len(exact) > 0 and (exact["band"] == "match").all()
    cfg = {"uniqueness": {"contact": [["family_name", "phones"]]}}
    other = find_duplicates(district["ws"], "contact", cfg)
    rules = set(other.pairs["rule"])
    assert "exact:family_name+phones" in rules and "exact:given_name+family_name+email" not in rules
    find_duplicates(district["ws"], "contact")  # restore the stored pairs for the other tests


def test_a_bad_domain_is_an_input_error(district: dict[str, Any]) -> None:
    with pytest.raises(wb.InputError, match="not an attribute of contact"):
        find_duplicates(district["ws"], "contact", {"uniqueness": {"contact": [["birth_date"]]}})


def test_results_are_stored_in_the_link_schema(district: dict[str, Any]) -> None:
    ws, d = district["ws"], district["dups"]["contact"]
    n = ws.query("SELECT count(*) FROM link.pair WHERE entity = 'contact'")[0][0]
    assert n == len(d.pairs) == len(d.to_dict()["pairs"])
    members = ws.query("SELECT count(*) FROM link.cluster WHERE entity = 'contact'")[0][0]
    assert members == sum(len(c.members) for c in d.clusters)
    doc = json.loads(json.dumps(d.to_dict()))
    assert set(doc["pairs"][0]) >= {"left", "right", "probability", "band", "contributions", "rule"}
    assert all(isinstance(c, list) and len(c) >= 2 for c in doc["clusters"])


Row = tuple[str, str, str, str | None, str]


def _workspace_with_contacts(root: Path, rows: list[Row], middles: dict[str, str] | None = None,
                             sources: dict[str, str] | None = None) -> wb.Workspace:
    ws = wb.init_workspace(root)
    for sid, given, family, email, phone in rows:
        ws.con.execute("INSERT INTO stg.contact (sourced_id, source, source_id, load_id, given_name, "
                       "middle_name, family_name, email, phone, street, postal_code) VALUES "
                       "(?, ?, ?, 1, ?, ?, ?, ?, ?, '1 Elm St', '97301')",
                       [sid, (sources or {}).get(sid, "sis"), sid, given,
                        (middles or {}).get(sid), family, email, phone])
    return ws


def test_empty_and_invalid_emails_never_match(tmp_path: Path) -> None:
    rows = [("C1", "John", "Smith", "", "555-000-1111"), ("C2", "John", "Smith", "1", "555-000-2222"),
            ("C3", "John", "Smith", "n/a", "555-000-3333"), ("C4", "John", "Smith", None, "555-000-4444"),
            ("C5", "Jo", "Doe", "jane.doe@", "555-000-5555"), ("C6", "Jo", "Doe", "jane.doe@", "555-000-6666")]
    with _workspace_with_contacts(tmp_path / "ws", rows) as ws:
        d = find_duplicates(ws, "contact")
        assert not any(r.startswith("exact:") for r in d.pairs["rule"])
        assert (d.pairs["band"] != "match").all()


def test_exact_match_across_case_accents_and_spacing(tmp_path: Path) -> None:
    rows = [("C1", "José ", "Nuñez", " JNunez@Mail.example.com", "(555) 201-3344"),
            ("C2", "jose", "NUNEZ", "jnunez@mail.example.com", "555.201.3344")]
    with _workspace_with_contacts(tmp_path / "ws", rows) as ws:
        d = find_duplicates(ws, "contact")
        assert d.pairs[["left", "right", "band", "rule"]].values.tolist() == [
            ["C1", "C2", "match", "exact:given_name+family_name+email"]]
        assert [list(c.members) for c in d.clusters] == [["C1", "C2"]]


def test_exact_across_sources_and_exact_with_a_conflict(tmp_path: Path) -> None:
    """Same key in two sources is exact; a same-named father and son sharing the family e-mail
    (different middle names, no phone in common) is named exact but left for review."""
    rows = [("C1", "Ana", "Lopez", "ana@x.example.org", "555-201-0001"),
            ("X1", "ana", "LÓPEZ", "Ana@X.example.org", "(555) 201-0001"),
            ("C2", "David", "Cruz", "cruzfamily@x.example.org", "555-201-0003"),
            ("C3", "David", "Cruz", "cruzfamily@x.example.org", "555-201-0004")]
    ws = _workspace_with_contacts(tmp_path / "ws", rows, middles={"C2": "Manuel", "C3": "Luis"},
                                  sources={"X1": "crm"})
    with ws:
        d = find_duplicates(ws, "contact")
        got = {(r.left, r.right): (r.band, r.rule) for r in d.pairs.itertuples()}
        rule = "exact:given_name+family_name+email"
        assert got[("C1", "X1")] == ("match", rule)
        assert got[("C2", "C3")] == ("possible", rule)
        assert [list(c.members) for c in d.clusters] == [["C1", "X1"]]


def test_normalisation_macros() -> None:
    con = duckdb.connect()
    install_macros(con)
    emails = con.execute("SELECT list_transform(['', '1', 'n/a', 'jane@', 'x@@y.org', "
                         "'none@none.com', ' A.B@Example.ORG '], lambda e: lk_email(e))").fetchone()
    assert emails == ([None] * 6 + ["a.b@example.org"],)
    row = con.execute("SELECT lk_phone('+1 (555) 201-3344'), lk_phone('1'), lk_phone('000-000-0000'),"
                      " lk_compact(' Núñez-O''Brien '), lk_words('Mary  Ann')").fetchone()
    assert row == ("5552013344", None, None, "nunezobrien", "mary ann")


def _clusters_of(edges: list[tuple[str, str, float, str, str]]) -> list[tuple[tuple[str, ...], bool]]:
    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE lk_scored (left_id VARCHAR, right_id VARCHAR, probability DOUBLE, "
                "band VARCHAR, rule VARCHAR)")
    con.executemany("INSERT INTO lk_scored VALUES (?, ?, ?, ?, ?)", edges)
    return [(c.members, c.guarded) for c in build_clusters(con)]


def test_clusters_are_guarded_against_chaining() -> None:
    alike = [("a", "b", 0.99, "match", "score"), ("b", "c", 0.95, "match", "score"),
             ("a", "c", 0.7, "possible", "score")]
    assert _clusters_of(alike) == [(("a", "b", "c"), False)]
    twins = [("a", "b", 0.99, "match", "score"), ("b", "c", 0.95, "match", "score"),
             ("a", "c", 0.0001, "non_match", "never:twin")]
    assert _clusters_of(twins) == [(("a", "b"), True)]
    chain = [("a", "b", 0.99, "match", "score"), ("b", "c", 0.98, "match", "score"),
             ("c", "d", 0.97, "match", "score")]
    assert _clusters_of(chain) == [(("a", "b"), True), (("c", "d"), True)]


def test_cli_prints_the_pairs_and_clusters_as_json(district: dict[str, Any],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from workbench.cli import main

    district["ws"].close()
    try:
        assert main(["duplicates", str(district["root"] / "ws"), "--entity", "student", "--json"]) == 0
        doc = json.loads(capsys.readouterr().out)
        assert set(doc) >= {"pairs", "clusters"}
        pair = doc["pairs"][0]
        assert set(pair) >= {"left", "right", "probability", "band", "contributions", "rule"}
        assert isinstance(pair["contributions"], dict) and pair["band"] == "match"
        assert [sorted(p) for p in district["truth"]["duplicate_students"][:1]][0] in doc["clusters"]
        assert main(["duplicates", str(district["root"] / "ws"), "--entity", "contact"]) == 0
        assert "contact:" in capsys.readouterr().out
    finally:
        district["ws"] = wb.open_workspace(district["root"] / "ws")


def _workspace_with_students(root: Path, rows: list[tuple[str, str, str, str]]) -> wb.Workspace:
    """Students of one household (sourced_id, given name, state ID, entry date)."""
    ws = wb.init_workspace(root)
    for sid, given, state_id, entered in rows:
        ws.con.execute("INSERT INTO stg.student (sourced_id, source, source_id, load_id, given_name, "
                       "family_name, birth_date, state_id, entry_date, school_sourced_id, grade, "
                       "street, postal_code, phone) VALUES (?, 'sis', ?, 1, ?, 'Reyes', "
                       "DATE '2016-04-09', ?, ?::DATE, '100', '04', '7 Oak Ln', '97301', '555-301-2200')",
                       [sid, sid, given, state_id, entered])
    return ws


def test_twins_with_close_names_are_kept_apart_and_a_re_enrolment_is_not(tmp_path: Path) -> None:
    twins = [("S1", "Aidan", "1001", "2021-08-25"), ("S2", "Aiden", "1002", "2021-08-25")]
    with _workspace_with_students(tmp_path / "twins", twins) as ws:
        d = find_duplicates(ws, "student")
        assert d.pairs[["band", "rule"]].values.tolist() == [["non_match", "never:twin"]]
        assert d.clusters == []
    again = [("S1", "Aidan", "1001", "2021-08-25"), ("S9", "Aiden", "1009", "2026-10-02")]
    with _workspace_with_students(tmp_path / "again", again) as ws:
        d = find_duplicates(ws, "student")
        assert d.pairs[["band", "rule"]].values.tolist() == [["match", "score"]]
