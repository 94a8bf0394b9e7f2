"""`loyalty jobs run` knows every nightly job by the names the runner answers to."""

from chalicelib.jobs import nightly
from loyalty_tools import cli


def test_the_cli_runs_every_nightly_job_by_name():
    assert {choice.value for choice in cli.JobChoice} == set(nightly.NAMES)
