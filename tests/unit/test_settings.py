"""Settings come from the environment, read without pydantic-settings."""

import pytest
from pydantic import ValidationError

from chalicelib.settings import Settings


def test_each_field_is_read_from_its_loyalty_variable_and_converted():
    found = Settings.from_environment(
        {
            "LOYALTY_TABLE_NAME": "loyalty-acme",
            "LOYALTY_PROGRAM_CACHE_SECONDS": "2.5",
            "LOYALTY_WRITE_ATTEMPTS": "3",
            "LOYALTY_PII_KEY": "a-secret-of-the-brand",
            "LOYALTY_SOMETHING_ELSE": "ignored",
        }
    )
    assert (found.table_name, found.program_cache_seconds, found.write_attempts) == (
        "loyalty-acme",
        2.5,
        3,
    )
    assert found.pii_key.get_secret_value() == "a-secret-of-the-brand"
    assert "a-secret" not in repr(found)
    assert Settings.from_environment({}) == Settings()


def test_region__loyalty_first_then_the_lambda_runtime_variables():
    assert Settings.from_environment({"AWS_DEFAULT_REGION": "eu-west-1"}).region == "eu-west-1"
    both = {"AWS_REGION": "ap-east-1", "AWS_DEFAULT_REGION": "eu-west-1"}
    assert Settings.from_environment(both).region == "ap-east-1"
    assert Settings.from_environment({**both, "LOYALTY_REGION": "cn-north-1"}).region == (
        "cn-north-1"
    )


def test_a_value_that_is_not_its_type__fails_at_start_naming_the_variable():
    with pytest.raises(ValidationError, match="write_attempts"):
        Settings.from_environment({"LOYALTY_WRITE_ATTEMPTS": "many"})
