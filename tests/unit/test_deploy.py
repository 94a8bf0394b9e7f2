"""`loyalty deploy`'s S3 step (the rest needs an AWS account): the zip under its hash, every
function pointed at it, the template beside it."""

import json
import zipfile

import boto3
import pytest

from loyalty_tools.stack.deploy import upload
from tests.conftest import ENGINE

pytestmark = pytest.mark.skipif(ENGINE != "moto", reason="S3 is moto's")


def test_upload__points_every_function_at_the_zip_it_put_in_the_bucket(tmp_path):
    from moto import mock_aws

    with zipfile.ZipFile(tmp_path / "deployment.zip", "w") as z:
        z.writestr("app.py", "app = None\n")
    template = {
        "Resources": {
            "A": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "./x.zip"}},
            "B": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "./x.zip"}},
            "T": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
        }
    }
    (tmp_path / "sam.json").write_text(json.dumps(template))
    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-central-1")
        s3.create_bucket(
            Bucket="artifacts", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
        )
        url = upload(s3, "artifacts", "acme", tmp_path)
        assert url.startswith("https://artifacts.s3.eu-central-1.amazonaws.com/loyalty-acme/")
        key = url.split(".amazonaws.com/", 1)[1]
        stored = json.loads(s3.get_object(Bucket="artifacts", Key=key)["Body"].read())
        functions = [r for r in stored["Resources"].values() if "CodeUri" in r["Properties"]]
        (code,) = {json.dumps(r["Properties"]["CodeUri"]) for r in functions}
        code = json.loads(code)
        assert len(functions) == 2 and code["Key"].endswith(".zip")
        body = s3.get_object(Bucket=code["Bucket"], Key=code["Key"])["Body"].read()
        assert body == (tmp_path / "deployment.zip").read_bytes()
