"""Clusters from match-band pairs: connected components in SQL, guarded against chaining.

Two members are alike when their pair was scored ``match`` or ``possible`` and no never-link rule
holds. A component whose members are all alike is a plain cluster. One that is not is ``guarded``
(flagged for the steward): it is kept whole when no never-link pair is inside and more than half of
its pairs are alike (a parent typed three times, once with a nickname and once with a typo: the
two variants are not alike, both are alike the original); otherwise it is split greedily, strongest
pair first, joining two groups only when all their members are alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

MAX_ROUNDS = 100


@dataclass(frozen=True)
class Cluster:
    members: tuple[str, ...]
    guarded: bool


def _components(cur: duckdb.DuckDBPyConnection) -> None:
    """Temp table ``lk_label(id, label)``: the smallest ID of each match component (propagation)."""
    cur.execute("""CREATE OR REPLACE TEMP TABLE lk_edge AS
        SELECT left_id AS a, right_id AS b FROM lk_scored WHERE band = 'match'
        UNION SELECT right_id, left_id FROM lk_scored WHERE band = 'match'""")
    cur.execute("CREATE OR REPLACE TEMP TABLE lk_label AS SELECT DISTINCT a AS id, a AS label FROM lk_edge")
    for _ in range(MAX_ROUNDS):
        cur.execute("""CREATE OR REPLACE TEMP TABLE lk_next AS
            SELECT l.id, least(l.label, min(n.label)) AS label
            FROM lk_label l JOIN lk_edge e ON e.a = l.id JOIN lk_label n ON n.id = e.b
            GROUP BY l.id, l.label""")
        row = cur.execute("SELECT count(*) FROM lk_next x JOIN lk_label l USING (id) "
                          "WHERE x.label <> l.label").fetchone()
        cur.execute("CREATE OR REPLACE TEMP TABLE lk_label AS SELECT * FROM lk_next")
        if not row or row[0] == 0:
            return
    raise RuntimeError("connected components did not converge")


def _unguarded(cur: duckdb.DuckDBPyConnection) -> tuple[list[Cluster], list[str]]:
    """Components kept whole (guarded when not all alike), and the labels of those to split."""
    rows = cur.execute("""
        WITH inside AS (
          SELECT a.label,
                 count(*) FILTER (s.band IN ('match', 'possible') AND s.rule NOT LIKE 'never:%') AS alike,
                 count(*) FILTER (s.rule LIKE 'never:%') AS never
          FROM lk_scored s JOIN lk_label a ON a.id = s.left_id JOIN lk_label b ON b.id = s.right_id
          WHERE a.label = b.label GROUP BY a.label),
        size AS (SELECT label, list(id ORDER BY id) AS members,
                        count(*) * (count(*) - 1) // 2 AS pairs FROM lk_label GROUP BY label)
        SELECT z.label, z.members, coalesce(i.alike, 0) = z.pairs,
               coalesce(i.never, 0) = 0 AND 2 * coalesce(i.alike, 0) > z.pairs
        FROM size z LEFT JOIN inside i USING (label) ORDER BY z.label""").fetchall()
    whole = [Cluster(tuple(m), not all_alike) for _, m, all_alike, keep in rows if all_alike or keep]
    return whole, [label for label, _, all_alike, keep in rows if not (all_alike or keep)]


def _split(cur: duckdb.DuckDBPyConnection, labels: list[str]) -> list[Cluster]:
    """Greedy complete-linkage split of the components named by ``labels``."""
    if not labels:
        return []
    rows = cur.execute("""SELECT s.left_id, s.right_id, s.band, s.rule FROM lk_scored s
        JOIN lk_label a ON a.id = s.left_id JOIN lk_label b ON b.id = s.right_id
        WHERE a.label = b.label AND a.label IN (SELECT unnest(?::VARCHAR[]))
        ORDER BY s.probability DESC, s.left_id, s.right_id""", [labels]).fetchall()
    alike = {(a, b) for a, b, band, rule in rows
             if band in ("match", "possible") and not rule.startswith("never:")}
    group: dict[str, frozenset[str]] = {}
    for a, b, band, _ in rows:
        if band != "match":
            continue
        ga, gb = group.get(a, frozenset([a])), group.get(b, frozenset([b]))
        if ga is gb or ga == gb:
            continue
        if all((min(x, y), max(x, y)) in alike for x in ga for y in gb):
            merged = ga | gb
            group.update(dict.fromkeys(merged, merged))
    parts = {g for g in group.values() if len(g) > 1}
    return [Cluster(tuple(sorted(g)), True) for g in sorted(parts, key=min)]


def build_clusters(cur: duckdb.DuckDBPyConnection) -> list[Cluster]:
    """Clusters (two members or more) of the match-band pairs in ``lk_scored``."""
    _components(cur)
    whole, guarded = _unguarded(cur)
    return sorted(whole + _split(cur, guarded), key=lambda c: c.members)
