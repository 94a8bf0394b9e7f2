"""`loyalty brand add` and `list`: a brand is a stage and a folder, validated before anything is
written, and never written over."""

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from loyalty_tools.cli import app

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".chalice").mkdir()
    shutil.copy(ROOT / ".chalice" / "config.json", tmp_path / ".chalice" / "config.json")
    shutil.copytree(ROOT / "brands", tmp_path / "brands")
    return tmp_path


def add(project: Path, *args: str):
    return runner.invoke(app, ["brand", "add", *args, "--project-dir", str(project)])


def test_add__writes_the_stage_the_settings_and_the_starting_program(project):
    done = add(project, "tea-house", "--currency", "cny", "--timezone", "Asia/Shanghai")
    assert done.exit_code == 0, done.output
    stage = json.loads((project / ".chalice" / "config.json").read_text())["stages"]["tea-house"]
    assert stage["environment_variables"] == {
        "LOYALTY_BRAND": "tea-house",
        "LOYALTY_TABLE_NAME": "loyalty-tea-house",
    }
    assert stage["xray"] is False and stage["api_gateway_stage"] == "v1"
    settings = json.loads((project / "brands" / "tea-house" / "brand.json").read_text())
    assert (settings["currency"], settings["log_retention_days"]) == ("CNY", 30)
    program = json.loads((project / "brands" / "tea-house" / "program.json").read_text())
    assert (program["currency"], program["time_zone"]) == ("CNY", "Asia/Shanghai")
    listed = runner.invoke(app, ["brand", "list", "--project-dir", str(project)])
    assert "tea-house: CNY, Asia/Shanghai, us-east-1, table loyalty-tea-house" in listed.output
    assert "demo: CNY" in listed.output


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("acme", "--currency", "XYZ", "--timezone", "UTC"), "ISO 4217"),
        (("acme", "--currency", "EUR", "--timezone", "Mars/Olympus"), "IANA"),
        (("Acme!", "--currency", "EUR", "--timezone", "UTC"), "lower-case"),
        (("a", "--currency", "EUR", "--timezone", "UTC"), "2 to 32"),
        (("a" * 33, "--currency", "EUR", "--timezone", "UTC"), "2 to 32"),
        (("acme-", "--currency", "EUR", "--timezone", "UTC"), "single hyphens"),
        (("acme", "--currency", "EUR", "--timezone", "UTC", "--region", "mars-1"), "region"),
        (("acme", "--currency", "EUR", "--timezone", "UTC", "--log-retention-days", "31"), "31"),
    ],
)
def test_add__refuses_a_bad_setting_and_writes_nothing(project, args, named):
    before = (project / ".chalice" / "config.json").read_text()
    done = add(project, *args)
    assert done.exit_code != 0
    assert named in done.output or named in str(done.exception)
    assert (project / ".chalice" / "config.json").read_text() == before
    assert sorted(p.name for p in (project / "brands").iterdir()) == ["demo"]


def test_add__refuses_a_brand_that_exists(project):
    before = (project / "brands" / "demo" / "program.json").read_text()
    done = add(project, "demo", "--currency", "USD", "--timezone", "America/New_York")
    assert done.exit_code == 1 and "exists already" in done.output
    assert (project / "brands" / "demo" / "program.json").read_text() == before
