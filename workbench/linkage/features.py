"""Comparison features of candidate pairs, computed in DuckDB: one level (text) per feature.

``missing`` means one side has no value: it neither helps nor hurts.
"""

from __future__ import annotations

import duckdb

JW = "jaro_winkler_similarity"

# Daniel/Daniela, Paul/Paula, Antonio/Antonia: two people, often in one household, not a typo.
GENDERED = """((l.given || 'a' = r.given AND right(l.given, 1) <> 'a')
        OR (r.given || 'a' = l.given AND right(r.given, 1) <> 'a')
        OR (left(l.given, -1) = left(r.given, -1) AND length(l.given) >= 4
            AND list_sort([right(l.given, 1), right(r.given, 1)]) IN (['a', 'o'], ['a', 'e'])))"""

FEATURES: dict[str, str] = {
    "given_name": f"""CASE
        WHEN l.given IS NULL OR r.given IS NULL THEN 'missing'
        WHEN l.given = r.given THEN 'exact'
        WHEN EXISTS (SELECT 1 FROM lk_nick n WHERE n.a = l.given_first AND n.b = r.given_first)
          THEN 'nickname'
        WHEN {GENDERED} THEN 'variant'
        WHEN {JW}(l.given, r.given) >= 0.92 OR l.given_first = r.given_first
             OR (greatest(length(l.given), length(r.given)) >= 4
                 AND damerau_levenshtein(l.given, r.given) = 1) THEN 'close'
        WHEN {JW}(l.given, r.given) >= 0.85 THEN 'similar'
        ELSE 'differ' END""",
    "middle_name": """CASE
        WHEN l.middle IS NULL OR r.middle IS NULL THEN 'missing'
        WHEN l.middle = r.middle OR (least(length(l.middle), length(r.middle)) = 1
             AND left(l.middle, 1) = left(r.middle, 1)) THEN 'agree'
        ELSE 'differ' END""",
    "family_name": f"""CASE
        WHEN l.family IS NULL OR r.family IS NULL THEN 'missing'
        WHEN l.family = r.family THEN 'exact'
        WHEN len(list_intersect(l.family_words, r.family_words)) > 0 THEN 'part'
        WHEN {JW}(l.family, r.family) >= 0.9 OR (greatest(length(l.family), length(r.family)) >= 4
             AND damerau_levenshtein(l.family, r.family) = 1) THEN 'close'
        ELSE 'differ' END""",
    "birth_date": """CASE
        WHEN l.birth_date IS NULL OR r.birth_date IS NULL THEN 'missing'
        WHEN l.birth_date = r.birth_date THEN 'exact'
        WHEN year(l.birth_date) = year(r.birth_date) AND month(l.birth_date) = day(r.birth_date)
             AND day(l.birth_date) = month(r.birth_date) THEN 'transposed'
        WHEN abs(date_diff('day', l.birth_date, r.birth_date)) <= 1
             OR ((year(l.birth_date) = year(r.birth_date))::INT + (month(l.birth_date) = month(r.birth_date))::INT
                 + (day(l.birth_date) = day(r.birth_date))::INT) = 2 THEN 'near'
        ELSE 'differ' END""",
    # one typing slip: a retyped ID, or a sibling's next number; neither for nor against
    "state_id": """CASE
        WHEN l.state_id IS NULL OR r.state_id IS NULL THEN 'missing'
        WHEN l.state_id = r.state_id THEN 'exact'
        WHEN least(length(l.state_id), length(r.state_id)) >= 5
             AND damerau_levenshtein(l.state_id, r.state_id) = 1 THEN 'close'
        ELSE 'differ' END""",
    "email": """CASE
        WHEN len(l.emails) = 0 OR len(r.emails) = 0 THEN 'missing'
        WHEN len(list_intersect(l.emails, r.emails)) > 0 THEN 'shared' ELSE 'differ' END""",
    "phone": """CASE
        WHEN len(l.phones) = 0 OR len(r.phones) = 0 THEN 'missing'
        WHEN len(list_intersect(l.phones, r.phones)) > 0 THEN 'shared' ELSE 'differ' END""",
    # a slip in the street name (``bedford s treet``), never in the house number
    "street": f"""CASE
        WHEN l.street IS NULL OR r.street IS NULL THEN 'missing'
        WHEN l.street = r.street THEN 'exact'
        WHEN replace(l.street, ' ', '') = replace(r.street, ' ', '')
             OR (regexp_replace(l.street, '[^0-9]', '', 'g') = regexp_replace(r.street, '[^0-9]', '', 'g')
                 AND {JW}(l.street, r.street) >= 0.92) THEN 'close'
        ELSE 'differ' END""",
    "zip": """CASE
        WHEN l.zip IS NULL OR r.zip IS NULL THEN 'missing'
        WHEN l.zip = r.zip THEN 'exact' ELSE 'differ' END""",
    "school": """CASE
        WHEN l.school IS NULL OR r.school IS NULL THEN 'missing'
        WHEN l.school = r.school THEN 'exact' ELSE 'differ' END""",
    # twins start school together; a re-enrolment comes later (used by never:twin, no weight)
    "enrolled": """CASE
        WHEN l.entered IS NULL OR r.entered IS NULL OR l.school IS NULL OR r.school IS NULL
          THEN 'missing'
        WHEN l.entered = r.entered AND l.school = r.school THEN 'together' ELSE 'apart' END""",
    "grade": """CASE
        WHEN l.grade IS NULL OR r.grade IS NULL THEN 'missing'
        WHEN l.grade = r.grade THEN 'exact' ELSE 'differ' END""",
}


def build_features(cur: duckdb.DuckDBPyConnection) -> None:
    """Temp table ``lk_feat(left_id, right_id, <feature>...)`` over ``lk_cand``."""
    cols = ",\n  ".join(f"{expr} AS {name}" for name, expr in FEATURES.items())
    cur.execute(f"""CREATE OR REPLACE TEMP TABLE lk_feat AS
        SELECT c.left_id, c.right_id,
          {cols}
        FROM lk_cand c JOIN lk_rec l ON l.id = c.left_id JOIN lk_rec r ON r.id = c.right_id""")
