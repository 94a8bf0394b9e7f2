"""The small guards around the use cases: the refusal limiter under concurrency, the API-key
cache, the PII key checked at start, and nightly skips that say why."""

import logging
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest

from chalicelib.domain.errors import CouponNotUsable, Misconfigured, RateLimited
from chalicelib.domain.program import Lifecycle
from chalicelib.services import api_keys
from chalicelib.services.deps import build
from chalicelib.services.shared import refusals
from chalicelib.settings import Settings
from chalicelib.store import keys
from chalicelib.store.models import ApiKeyItem
from tests.conftest import set_program
from tests.helpers import add_templates, enroll, nightly, template

ROOT = Path(__file__).resolve().parents[2]


def test_refusals_from_many_threads__never_count_past_the_limit(brand):
    brand.settings.coupon_failures_per_minute = 20

    def refuse(_: int) -> str:
        return type(refusals.refuse(brand, "attacker", brand.clock())).__name__

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(refuse, range(40)))
    assert answers.count(CouponNotUsable.__name__) == 20
    assert answers.count(RateLimited.__name__) == 20
    minute = brand.clock().strftime("%Y%m%d%H%M")
    assert brand.refusals.count("attacker", minute) == 20


def test_api_key_cache__follows_the_injected_clock(brand, clock):
    key, record = api_keys.create(brand, "storefront")
    assert api_keys.authenticate(brand, key) == record
    ApiKeyItem(pk=keys.api_key_pk(api_keys.digest(key)), sk=keys.API_KEY_SK).update(
        actions=[ApiKeyItem.revoked.set(True)]
    )
    assert api_keys.authenticate(brand, key) == record  # cached for a minute, as documented
    clock.advance(seconds=61)
    assert api_keys.authenticate(brand, key) is None


def test_api_key_cache__does_not_remember_unknown_keys(brand, monkeypatch):
    key = "lk_sf_made-up"
    assert api_keys.authenticate(brand, key) is None
    created = api_keys.ApiKeyRecord("key_1", "storefront", None, brand.clock(), revoked=False)
    monkeypatch.setattr(brand.api_keys, "find", lambda digest: created)
    assert api_keys.authenticate(brand, key) == created  # looked up again, found now


def test_pii_key__missing_is_refused_when_the_stack_starts(aws):
    with pytest.raises(Misconfigured, match="LOYALTY_PII_KEY"):
        build(Settings(table_name=aws, pii_key=""))
    env = {**os.environ, "AWS_LAMBDA_FUNCTION_NAME": "loyalty-demo", "LOYALTY_PII_KEY": ""}
    started = subprocess.run(
        [sys.executable, "-c", "import app"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert started.returncode != 0 and "LOYALTY_PII_KEY must be set" in started.stderr


def test_nightly_skips__are_logged_with_their_reason(brand, clock, caplog):
    add_templates(brand, template("miss-you", total_stock=0))
    set_program(brand, lifecycle=Lifecycle(dormant_after_days=1, winback_coupon="miss-you"))
    member_id = enroll(brand)
    with caplog.at_level(logging.INFO, logger="loyalty.jobs"):
        report = nightly(brand, "dormancy", clock.now + timedelta(days=2))
    assert report["skipped.template_unusable"] == 1 and report["coupons_issued"] == 0
    assert report["turned_dormant"] == 1  # the member is dormant all the same
    lines = [r.getMessage() for r in caplog.records if member_id in r.getMessage()]
    assert lines and "miss-you: it is out of stock" in lines[0], lines
