"""`loyalty import members` and `loyalty export`: rows checked one by one with the refused ones
reported and why; opening balances as `import` ledger rows the books reconcile; the same file
again changes nothing; what is exported is what was imported."""

import csv
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from chalicelib.services import deps as composition
from chalicelib.store.ledger import LedgerStore
from loyalty_tools import cli
from loyalty_tools.demo import DEMO_TEMPLATES
from loyalty_tools.imports import import_members
from tests.conftest import set_program
from tests.helpers import add_templates, enroll, ladder, member
from tests.presented import kpis, reconciliation

HEADER = "phone,email,external_id,name,birthday,tags,points,points_expire_on,tier"


@pytest.fixture
def laddered(brand):
    add_templates(brand, *DEMO_TEMPLATES)
    set_program(brand, tiers=ladder())
    return brand


def _file(tmp_path, today, *lines: str):
    later = (today + timedelta(days=90)).isoformat()
    path = tmp_path / "members.csv"
    text = "\n".join([HEADER, *lines]).replace("{later}", later)
    path.write_text("\ufeff" + text + "\n", encoding="utf-8")  # as Excel saves it
    return path


def _ledger(deps, member_id):
    return LedgerStore().page(member_id, 100, None)[0]


def test_an_import_reports_each_refused_row_and_a_second_run_changes_nothing(
    laddered, clock, tmp_path, monkeypatch, pump
):
    brand = laddered
    tiers = [t.name for t in brand.programs.require().tiers.tiers]
    today = clock().astimezone(brand.programs.require().zone).date()
    already = enroll(brand, "13800138009")
    path = _file(
        tmp_path,
        today,
        f"13800138001,,,张三,1990-05-01,vip;staff,1200,{{later}},{tiers[-1]}",
        ",ada@example.com,,Ada,,,300,,",
        ",,shop-77,,,,0,,",
        "13800138009,,,,,,50,,",  # a member already: its opening balance only
        "not-a-phone,,,,,,10,,",
        ",,,Nobody,,,10,,",  # no identifier
        "13800138002,,,,,,-5,,",
        "13800138003,,,,,,10,,Diamond",
        "13800138004,,,,,,10,2001-01-01,",
        "13800138005,,,,1990-13-01,,,,",
    )
    monkeypatch.setattr(composition, "build", lambda **kwargs: brand)
    first = CliRunner().invoke(cli.app, ["import", "members", str(path)])
    assert first.exit_code == 1, first.output  # rows were refused
    assert "10 rows: 3 enrolled, 1 already members, 3 opening balances written" in first.output
    report = list(csv.DictReader(path.with_suffix(".report.csv").open(encoding="utf-8-sig")))
    refused = {int(r["line"]): r["reason"] for r in report if r["status"] == "refused"}
    assert sorted(refused) == [6, 7, 8, 9, 10, 11]
    assert refused[6].startswith("phone") and "phone, an email or an external_id" in refused[7]
    assert refused[8].startswith("points") and refused[9].startswith("tier")
    assert refused[10].startswith("points_expire_on") and refused[11].startswith("birthday")

    by_line = {int(r["line"]): r["member_id"] for r in report}
    zhang = member(brand, by_line[2])
    assert (zhang.points_balance, zhang.tier, zhang.name, zhang.tags) == (
        1200,
        tiers[-1],
        "张三",
        ["vip", "staff"],
    )
    assert [e.kind for e in _ledger(brand, by_line[2])] == ["import"]
    assert member(brand, already).points_balance == 50 and by_line[5] == already
    assert member(brand, by_line[4]).points_balance == 0 and _ledger(brand, by_line[4]) == []
    pump()  # the totals and figures come off the stream
    assert reconciliation.brand_page(brand, 1000, None).ok
    figures = kpis.figures(brand, today, today, "day")
    assert figures.totals.points_imported == 1200 + 300 + 50

    again = import_members(brand, path)
    assert (again.enrolled, again.opened, again.already_opened) == (0, 0, 3)
    assert [e.kind for e in _ledger(brand, by_line[2])] == ["import"]
    assert member(brand, by_line[2]).points_balance == 1200

    out = tmp_path / "out.csv"
    exported = CliRunner().invoke(cli.app, ["export", "members", "--out", str(out), "--pii"])
    assert exported.exit_code == 0, exported.output
    rows = {r["member_id"]: r for r in csv.DictReader(out.open(encoding="utf-8-sig"))}
    assert len(rows) == 4 and rows[by_line[2]]["name"] == "张三"
    assert rows[by_line[2]]["points_balance"] == "1200" and rows[by_line[2]]["tags"] == "vip;staff"


def test_a_file_with_an_unknown_column_is_refused_whole(brand, tmp_path, monkeypatch):
    path = tmp_path / "members.csv"
    path.write_text("phone,colour\n13800138001,red\n", encoding="utf-8")
    monkeypatch.setattr(composition, "build", lambda **kwargs: brand)
    answer = CliRunner().invoke(cli.app, ["import", "members", str(path)])
    assert answer.exit_code == 2 and "colour" in answer.output
    found, _ = brand.members.scan()
    assert found == []
