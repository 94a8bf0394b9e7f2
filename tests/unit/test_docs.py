"""The README is what a newcomer needs on one screen and a little more; everything else it used
to hold is a page of the documentation site (`docs/`, built by `make docs` with --strict)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The sections of the README before it became a site (#35): each still has a page.
SECTIONS = [
    "The two commands",
    "A walk through it with curl",
    "The API (v1)",
    "How points work",
    "Tiers (等级) and growth value (成长值)",
    "Coupons (优惠券)",
    "Stored value (储值)",
    "The books (对账)",
    "The merchant's figures (数据看板)",
    "A demo history",
    "The dashboard",
    "RFM and segments (人群)",
    "CSV in and out (导入导出)",
    "The nightly jobs (每晚任务)",
    "Events and webhooks",
    "Webhooks (Standard Webhooks 1.0)",
    "The program document",
    "Member profile",
    "Daily check-in (签到)",
    "Referrals (邀请)",
    "Merging members (合并)",
    "Limits against abuse (风控)",
    "Keys and personal data",
    "Layout",
    "One table, and what a hot path touches",
    "Measured (`make bench`)",
    "Checkout at 双11 scale (#33)",
    "Deploying a brand (one stack per brand)",
    "What a brand's stack costs",
    "Logs, metrics and alarms",
    "Libraries, and why",
    "Testing",
    "Known limits (v1)",
]
# the ones whose page has a title of its own
RENAMED = {
    "The API (v1)": "The storefront API by task",
    "How points work": "Points",
    "Deploying a brand (one stack per brand)": "Deploying a brand",
    "Logs, metrics and alarms": "Operating: logs, metrics, alarms, costs",
    "Known limits (v1)": "Known limits",
}


def _headings(text: str) -> set[str]:
    return {m.group(1).strip() for m in re.finditer(r"^#{1,6} (.+)$", text, re.M)}


def test_the_readme_fits_a_newcomers_screen_or_two():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 250
    for needed in ["## The two commands", "make dev", "make test", "## Where to go next"]:
        assert needed in readme


def test_no_section_of_the_old_readme_is_lost():
    found = _headings((ROOT / "README.md").read_text())
    for page in (ROOT / "docs").glob("*.md"):
        found |= _headings(page.read_text())
    found |= _headings((ROOT / "ARCHITECTURE.md").read_text())
    missing = [s for s in SECTIONS if RENAMED.get(s, s) not in found]
    assert not missing, missing


def test_every_page_is_in_the_sites_navigation_and_every_readme_link_resolves():
    nav = (ROOT / "mkdocs.yml").read_text()
    for page in (ROOT / "docs").glob("*.md"):
        assert f": {page.name}" in nav, page.name
    for target in re.findall(
        r"\]\(((?:docs/)?[\w./-]+\.md)(?:#[^)]*)?\)", (ROOT / "README.md").read_text()
    ):
        assert (ROOT / target).is_file(), target
