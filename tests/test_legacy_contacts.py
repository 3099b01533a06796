"""Contact module off: contacts from the legacy Mother/Father/GuardianEmail fields, names parsed."""

from __future__ import annotations

import pytest

import workbench as wb
from workbench.model.macros import install_macros
from workbench.rules.contacts import apply_contact_module_off
from workbench.sandbox import generate_district


@pytest.fixture()
def ws(tmp_path):  # type: ignore[no-untyped-def]
    generate_district(tmp_path / "d", students=200, seed=8)
    workspace = wb.init_workspace(tmp_path / "ws")
    wb.load_path(workspace, tmp_path / "d", source="sis", id_prefix="P-")
    cur = workspace.cursor()
    install_macros(cur)
    cur.execute("CREATE SCHEMA scratch")
    for entity in ("student", "contact", "student_contact"):
        cur.execute(f'CREATE TABLE scratch."{entity}" AS SELECT * FROM stg."{entity}"')
    # a district on legacy fields: "Last, First" names and one guardian email
    cur.execute("""UPDATE raw.sis__students SET mother = last_name || ', Ana Maria',
                   father = CASE WHEN CAST(dcid AS BIGINT) % 2 = 0 THEN last_name || ', Jo' END,
                   guardianemail = 'family' || dcid || '@example.org'""")
    yield workspace
    workspace.close()


def config(sep: str, module: bool = False) -> dict:
    return {"advanced": {"contact_module": module, "contact_name_separator": sep}}


def test_legacy_contacts_replace_the_module_ones(ws) -> None:  # type: ignore[no-untyped-def]
    students = ws.query("SELECT count(*) FROM scratch.student")[0][0]
    fathers = ws.query("SELECT count(*) FROM raw.sis__students WHERE father IS NOT NULL")[0][0]
    made = apply_contact_module_off(ws.cursor(), config(","), ws.sources(), schema="scratch")
    assert made == students + fathers
    row = ws.query("""SELECT c.given_name, c.family_name, c.email, l.relationship, l.priority, s.family_name
                      FROM scratch.contact c JOIN scratch.student_contact l ON l.contact_sourced_id = c.sourced_id
                      JOIN scratch.student s ON s.sourced_id = l.student_sourced_id
                      WHERE starts_with(c.sourced_id, 'P-CM') LIMIT 1""")[0]
    assert row[0] == "Ana Maria" and row[1] == row[5] and row[2].startswith("family")
    assert (row[3], row[4]) == ("Mother", 1)
    assert ws.query("SELECT count(*) FROM scratch.contact WHERE starts_with(sourced_id, 'P-CF') AND email IS NOT NULL")[0][0] == 0
    dangling = ws.query("""SELECT count(*) FROM scratch.student_contact
                           WHERE contact_sourced_id NOT IN (SELECT sourced_id FROM scratch.contact)""")[0][0]
    assert dangling == 0


def test_space_separator_takes_the_last_word_as_family_name(ws) -> None:  # type: ignore[no-untyped-def]
    ws.cursor().execute("UPDATE raw.sis__students SET mother = 'Ana Maria de Souza', father = NULL")
    apply_contact_module_off(ws.cursor(), config(" "), ws.sources(), schema="scratch")
    names = set(ws.query("SELECT given_name, family_name FROM scratch.contact"))
    assert names == {("Ana Maria de", "Souza")}


def test_module_on_changes_nothing(ws) -> None:  # type: ignore[no-untyped-def]
    before = ws.query("SELECT count(*) FROM scratch.contact")
    assert apply_contact_module_off(ws.cursor(), config(",", module=True), ws.sources(), schema="scratch") == 0
    assert ws.query("SELECT count(*) FROM scratch.contact") == before
