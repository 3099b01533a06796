"""SQL macros shared by the source mappings (temporary: installed on the cursor that loads)."""

from __future__ import annotations

import duckdb

EMPTY_DATES = ("0/0/0", "00/00/0000", "0/0/0000", "0000-00-00", "00/00/00")

_MACROS = (
    # text -> NULL when blank
    "CREATE OR REPLACE TEMP MACRO wb_text(x) AS NULLIF(trim(x), '')",
    # PowerSchool and OneRoster dates: YYYY-MM-DD (optionally with a time), M/D/YYYY, M/D/YY;
    # PowerSchool's empty-date sentinels are NULL. Anything else is NULL too: callers that must
    # refuse bad dates test wb_is_bad_date first.
    rf"""CREATE OR REPLACE TEMP MACRO wb_date(x) AS (
        CASE
          WHEN x IS NULL THEN NULL
          WHEN substr(x, 5, 1) = '-' AND regexp_matches(x, '^\d{{4}}-') THEN TRY_CAST(x AS DATE)
          WHEN trim(x) = '' OR trim(x) IN {EMPTY_DATES} THEN NULL
          WHEN regexp_matches(trim(x), '^\d{{4}}-\d{{1,2}}-\d{{1,2}}([ T].*)?$')
            THEN try_strptime(regexp_extract(trim(x), '^\d{{4}}-\d{{1,2}}-\d{{1,2}}'), '%Y-%m-%d')::DATE
          WHEN regexp_matches(trim(x), '^\d{{1,2}}/\d{{1,2}}/\d{{4}}$')
            THEN try_strptime(trim(x), '%m/%d/%Y')::DATE
          WHEN regexp_matches(trim(x), '^\d{{1,2}}/\d{{1,2}}/\d{{2}}$')
            THEN try_strptime(trim(x), '%m/%d/%y')::DATE
        END)""",
    f"""CREATE OR REPLACE TEMP MACRO wb_is_bad_date(x) AS (
        x IS NOT NULL AND wb_date(x) IS NULL AND trim(x) <> '' AND trim(x) NOT IN {EMPTY_DATES})""",
    "CREATE OR REPLACE TEMP MACRO wb_is_bad_int(x) AS "
    "(x IS NOT NULL AND trim(x) <> '' AND TRY_CAST(trim(x) AS BIGINT) IS NULL)",
    # CEDS grade codes from PowerSchool grade numbers
    """CREATE OR REPLACE TEMP MACRO wb_ceds(g) AS (
        CASE
          WHEN TRY_CAST(trim(g) AS INTEGER) IS NULL THEN NULL
          WHEN TRY_CAST(trim(g) AS INTEGER) < 0 THEN 'PK'
          WHEN TRY_CAST(trim(g) AS INTEGER) = 0 THEN 'KG'
          WHEN TRY_CAST(trim(g) AS INTEGER) <= 13 THEN lpad(CAST(TRY_CAST(trim(g) AS INTEGER) AS VARCHAR), 2, '0')
          ELSE 'Other'
        END)""",
    """CREATE OR REPLACE TEMP MACRO wb_bool(x) AS (
        CASE lower(trim(x))
          WHEN '1' THEN true WHEN 'true' THEN true WHEN 'y' THEN true WHEN 'yes' THEN true
          WHEN '0' THEN false WHEN 'false' THEN false WHEN 'n' THEN false WHEN 'no' THEN false
        END)""",
)


def install_macros(cur: duckdb.DuckDBPyConnection) -> None:
    for sql in _MACROS:
        cur.execute(sql)
