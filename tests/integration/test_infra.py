"""The deployment templates agree with the models the code runs."""

import json
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from chalicelib.store.infra import table_template

ROOT = Path(__file__).resolve().parents[2]


def test_committed_table_template_is_the_one_the_models_render():
    committed = json.loads((ROOT / "infra" / "table.json").read_text())
    assert committed == table_template(), "run `loyalty infra render` and commit infra/table.json"


def test_table_created_from_the_models_matches_the_template(deps):
    table = deps.settings.table_name
    described = boto3.client("dynamodb").describe_table(TableName=table)["Table"]
    props = table_template()["Resources"]["LoyaltyTable"]["Properties"]
    assert described["KeySchema"] == props["KeySchema"]
    created = {i["IndexName"]: i["KeySchema"] for i in described["GlobalSecondaryIndexes"]}
    expected = {i["IndexName"]: i["KeySchema"] for i in props["GlobalSecondaryIndexes"]}
    assert created == expected and set(created) == {"gsi1", "gsi2", "gsi3"}


@pytest.mark.slow
def test_package__produces_a_template_cfn_lint_accepts(tmp_path):
    loyalty = Path(sys.executable).parent / "loyalty"
    result = subprocess.run(
        [str(loyalty), "package", "--stage", "demo", "--out", str(tmp_path / "pkg")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    template = json.loads((tmp_path / "pkg" / "sam.json").read_text())
    resources = template["Resources"]
    assert resources["LoyaltyTable"]["Properties"]["TableName"] == "loyalty-demo"
    assert {"UnauthorizedResponse", "ForbiddenResponse", "ApiKeyAuth"} <= set(resources)
