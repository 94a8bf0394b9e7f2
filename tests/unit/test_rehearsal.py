"""The deploy rehearsal's own steps (the rehearsal itself runs in CI: `make deploy-rehearsal`)."""

import pytest

from loyalty_tools.stack.rehearsal import _for_moto, _function_arn, _resolve


def test_what_moto_cannot_create_is_left_out_only_when_nothing_it_creates_refers_to_it():
    template = {
        "Resources": {
            "Api": {"Type": "AWS::ApiGateway::RestApi"},
            "Deployment": {"Type": "AWS::ApiGateway::Deployment", "Properties": {"Api": "x"}},
            "Stage": {"Type": "AWS::ApiGateway::Stage", "Properties": {"D": {"Ref": "Deployment"}}},
        },
        "Outputs": {"Id": {"Value": {"Ref": "Api"}}},
    }
    assert set(_for_moto(template)["Resources"]) == {"Api"}
    template["Outputs"]["Stage"] = {"Value": {"Ref": "Stage"}}
    with pytest.raises(RuntimeError, match="Stage"):
        _for_moto(template)


def test_the_bodys_substitutions_are_worked_out_and_an_unknown_one_is_refused():
    uri = {
        "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31"
        "/functions/${Api.Arn}/invocations"
    }
    names = {"AWS::Partition": "aws", "AWS::Region": "us-east-1", "Api.Arn": "arn:fn"}
    resolved = _resolve({"paths": [{"uri": uri}]}, names)["paths"][0]["uri"]
    assert (
        resolved
        == "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:fn/invocations"
    )
    assert _function_arn(resolved) == "arn:fn"
    with pytest.raises(KeyError):
        _resolve({"Fn::Sub": "${Nowhere.Arn}"}, names)
