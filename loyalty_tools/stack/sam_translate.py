"""Run by the deploy rehearsal in its own venv (`.cache/rehearsal`: AWS's SAM translator pins a
pydantic older than the engine's): a SAM template on stdin, the plain CloudFormation that
CloudFormation's `AWS::Serverless-2016-10-31` transform makes of it on stdout. It is the
translator CloudFormation itself runs, so what the rehearsal creates is what AWS would."""

from __future__ import annotations

import json
import sys
from typing import Any


def translate(template: dict[str, Any], region: str) -> dict[str, Any]:
    import boto3  # type: ignore[import-not-found,unused-ignore]
    from samtranslator.parser.parser import Parser  # type: ignore[import-not-found,unused-ignore]
    from samtranslator.translator.translator import Translator  # type: ignore[import-not-found,unused-ignore]

    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))
    # the engine's roles carry inline policies: no managed policy name to look up in IAM
    return dict(translator.translate(template, parameter_values={}, get_managed_policy_map=dict))


if __name__ == "__main__":
    json.dump(translate(json.load(sys.stdin), sys.argv[1]), sys.stdout)
