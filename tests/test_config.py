"""The steward's configuration: validation, versions with diffs, restore, the CLI and the schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import workbench as wb
from workbench import rules
from workbench.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def ws(tmp_path: Path):  # type: ignore[no-untyped-def]
    with wb.init_workspace(tmp_path / "ws") as workspace:
        yield workspace


def two_schools_active_students(config: dict) -> dict:
    config["schools"] = {"mode": "selected", "selected": ["100", "110"]}
    config["filters"] = {"student": {"rules": [{"name": "active only", "template": "active_students"}]}}
    config["requirements"] = {"contact": {"email": "skip_if_missing"}}
    return config


def test_defaults_are_valid_and_unsaved_until_saved(ws) -> None:  # type: ignore[no-untyped-def]
    assert rules.validate_config(rules.default_config())
    assert rules.history(ws) == []
    assert rules.load_config(ws) == rules.default_config()


def test_each_save_is_a_version_with_author_time_and_diff(ws) -> None:  # type: ignore[no-untyped-def]
    v1 = rules.save_config(ws, rules.default_config(), author="ann")
    again = rules.save_config(ws, rules.default_config(), author="ann")
    assert again.version == v1.version == 1  # nothing changed, no new version
    v2 = rules.save_config(ws, two_schools_active_students(rules.load_config(ws)), author="bo",
                           note="two schools")
    assert (v2.version, v2.author, v2.note) == (2, "bo", "two schools")
    assert "+  mode: selected" in v2.diff and "-  mode: all" in v2.diff
    assert "+    email: skip_if_missing" in v2.diff
    assert [v.version for v in rules.history(ws)] == [1, 2]
    assert rules.load_config(ws)["schools"]["selected"] == ["100", "110"]
    assert (ws.root / "workbench.yaml").read_text() == v2.yaml


def test_restore_makes_a_new_version_equal_to_the_old_one(ws) -> None:  # type: ignore[no-untyped-def]
    rules.save_config(ws, rules.default_config(), author="ann")
    rules.save_config(ws, two_schools_active_students(rules.default_config()), author="ann")
    v3 = rules.restore_version(ws, 1, author="cy")
    assert v3.version == 3 and v3.note == "restore of version 1"
    assert v3.yaml == rules.history(ws)[0].yaml
    assert rules.diff_versions(ws, 1, 3) == ""
    assert "selected" in rules.diff_versions(ws, 2, 3)


def test_partial_file_is_completed_from_defaults_in_a_stable_order(ws) -> None:  # type: ignore[no-untyped-def]
    v = rules.save_config(ws, {"schools": {"mode": "selected", "selected": ["100"]}, "format": 1})
    saved = yaml.safe_load(v.yaml)
    assert list(saved) == list(rules.default_config())
    assert saved["schools"]["flag_missing"] is True
    assert saved["advanced"] == rules.default_config()["advanced"]


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (lambda c: c["advanced"].update(bulk_upload_mode="yes"), "advanced.bulk_upload_mode",
         "is not of type 'boolean'"),
        (lambda c: c["requirements"].update(contact={"email": "maybe"}), "requirements.contact.email",
         "allowed: include, report_if_missing, skip_if_missing, mask"),
        (lambda c: c["requirements"].update(contact={"emial": "skip_if_missing"}),
         "requirements.contact.emial", "is not an attribute of contact"),
        (lambda c: c["filters"].update(contact={"rules": [{"template": "active_students"}]}),
         "filters.contact.rules.0.template", "does not apply to contact"),
        (lambda c: c["filters"].update(student={"rules": [{"template": "grade_range"}]}),
         "filters.student.rules.0.params", "needs from, to"),
        (lambda c: c["filters"].update(student={"rules": [{"conditions": [
            {"attribute": "grade", "op": "resembles", "value": "05"}]}]}),
         "filters.student.rules.0.conditions.0.op", "allowed: equals"),
        (lambda c: c["schedule"].update(time="25:00"), "schedule.time", "does not match"),
        (lambda c: c.update(colour="blue"), "(top level)", "Additional properties"),
        (lambda c: c["uniqueness"].update(student=[["given_name", "shoe_size"]]),
         "uniqueness.student.0", "is not an attribute of student"),
    ],
    ids=["type", "enum", "attribute", "template-entity", "template-params", "operator", "pattern",
         "unknown-key", "uniqueness-attribute"],
)
def test_invalid_configuration_names_the_key_and_saves_nothing(ws, change, field, words) -> None:  # type: ignore[no-untyped-def]
    rules.save_config(ws, rules.default_config())
    config = rules.default_config()
    change(config)
    with pytest.raises(wb.InputError) as err:
        rules.save_config(ws, config)
    text = str(err.value)
    assert f"field {field}" in text and words in text, text
    assert "Nothing was saved" in text
    assert len(rules.history(ws)) == 1


def test_yaml_syntax_error_names_the_line(tmp_path: Path, ws) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "draft.yaml"
    bad.write_text("format: 1\nschools:\n  mode: [all\n")
    with pytest.raises(wb.InputError) as err:
        rules.save_file(ws, bad)
    assert "draft.yaml, line" in str(err.value)


def test_hand_edited_file_shows_drift_and_saves(ws) -> None:  # type: ignore[no-untyped-def]
    rules.save_config(ws, rules.default_config())
    path = ws.root / "workbench.yaml"
    path.write_text(path.read_text().replace("sync_co_teachers: false", "sync_co_teachers: true"))
    drift = rules.file_drift(ws)
    assert drift and "+  sync_co_teachers: true" in drift
    v = rules.save_file(ws, author="dee")
    assert v.version == 2 and rules.load_config(ws)["advanced"]["sync_co_teachers"] is True
    assert rules.file_drift(ws) is None


def test_cli_config_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "ws"
    assert main(["init", str(root)]) == 0
    draft = tmp_path / "draft.yaml"
    draft.write_text(yaml.safe_dump(two_schools_active_students({"format": 1})))
    assert main(["config", str(root), "validate", "--file", str(draft)]) == 0
    assert main(["config", str(root), "save", "--file", str(draft), "--author", "ann",
                 "--note", "two schools"]) == 0
    assert main(["config", str(root), "save", "--file", str(draft), "--author", "ann"]) == 0
    capsys.readouterr()
    assert main(["config", str(root), "history", "--json"]) == 0
    history = json.loads(capsys.readouterr().out)
    assert [(h["version"], h["author"], h["note"]) for h in history] == [(1, "ann", "two schools")]
    assert main(["config", str(root), "show"]) == 0
    assert yaml.safe_load(capsys.readouterr().out)["schools"]["mode"] == "selected"
    draft.write_text("format: 1\nschools: {mode: sometimes}\n")
    assert main(["config", str(root), "validate", "--file", str(draft)]) == 2
    err = capsys.readouterr().err
    assert "field schools.mode" in err and "allowed: all, selected" in err
    assert main(["config", str(root), "restore", "7"]) == 2
    assert "version 7 does not exist" in capsys.readouterr().err


def test_published_json_schema_is_current() -> None:
    published = json.loads((ROOT / "docs" / "config.schema.json").read_text())
    assert published == rules.config_schema(), (
        "refresh it: python -m workbench config . schema > docs/config.schema.json")


def test_cli_preview_shows_the_impact_of_a_draft(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from workbench.sandbox import generate_district

    generate_district(tmp_path / "d", students=300, seed=2)
    root = tmp_path / "ws"
    assert main(["init", str(root)]) == 0
    assert main(["load", str(root), str(tmp_path / "d"), "--quiet"]) == 0
    with wb.open_workspace(root, read_only=True) as ws:
        schools = [r[0] for r in ws.query(
            "SELECT sourced_id FROM stg.school WHERE org_type = 'school' ORDER BY 1 LIMIT 2")]
        in_two = ws.query("SELECT count(*) FROM stg.student WHERE school_sourced_id IN (?, ?) "
                          "AND enroll_status = 'active'", schools)[0][0]
    draft = tmp_path / "draft.yaml"
    config = two_schools_active_students({"format": 1})
    config["schools"]["selected"] = schools
    draft.write_text(yaml.safe_dump(config))
    capsys.readouterr()
    assert main(["preview", str(root), "--config", str(draft), "--json"]) == 0
    impact = json.loads(capsys.readouterr().out)
    student = next(e for e in impact["entities"] if e["entity"] == "student")
    assert student["kept_draft"] == in_two < student["kept_base"]
    assert impact["cascades"]["enrollments_dropped_by_cascade_draft"] > 0
    assert rules_history_is_empty(root)


def rules_history_is_empty(root: Path) -> bool:
    with wb.open_workspace(root, read_only=True) as ws:
        return rules.history(ws) == []


def test_delivered_extension_fields_are_checked() -> None:
    from workbench.errors import InputError
    from workbench.rules.config import default_config, validate_config

    config = default_config()
    config["extensions"] = {"student": ["U_DEF_EXT_STUDENTS.laptop_tag", "S_STU_X.Laptop_Tag"]}
    with pytest.raises(InputError, match="would both be delivered as metadata.laptop_tag"):
        validate_config(config)
    config["extensions"] = {"teacher": ["U_DEF_EXT_USERS.badge"]}
    with pytest.raises(InputError, match="extensions"):
        validate_config(config)
    config["extensions"] = {"student": ["laptop_tag"]}
    with pytest.raises(InputError, match="extensions.student.0"):
        validate_config(config)
    config["extensions"] = {"student": ["U_DEF_EXT_STUDENTS.laptop_tag"]}
    assert validate_config(config)["extensions"] == {"student": ["U_DEF_EXT_STUDENTS.laptop_tag"]}
