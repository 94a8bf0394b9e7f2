"""CSV out over HTTP: every member, ledger row and coupon once across the pages the cursor
chains, contact data masked, names only for a pii:read key, a segment's members, bad asks named."""

import csv
import io

from chalicelib.services import api_keys


def _rows(body: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))


def _header(answer, name: str) -> str | None:
    return {k.lower(): v for k, v in answer.headers.items()}.get(name)


def _all_pages(api, path: str, key: str = "admin") -> tuple[str, int]:
    text, pages, url = "", 0, path
    while url:
        answer = api.call("GET", url, key=key)
        assert answer.status_code == 200, answer.body
        assert _header(answer, "content-type").startswith("text/csv")
        text += answer.body.decode()
        pages += 1
        link = _header(answer, "link")
        url = link[1 : link.index(">")] if link else None
        assert (link is None) == (_header(answer, "next-cursor") is None)
    return text, pages


def test_every_member_ledger_row_and_coupon_once_across_the_pages(api):
    ids = [api.enroll(phone=f"1380013800{i}", name=f"张三{i}") for i in range(7)]
    for i, member_id in enumerate(ids):
        api.buy(member_id, f"o-{i}", 1_000 * (i + 1))
    text, pages = _all_pages(api, "/v1/admin/exports/members?limit=3")
    assert text.startswith("\ufeffmember_id,") and text.count("member_id,phone") == 1
    members = _rows(text)
    assert pages >= 3 and sorted(m["member_id"] for m in members) == sorted(ids)
    first = next(m for m in members if m["member_id"] == ids[0])
    assert first["phone"] != "13800138000" and "*" in first["phone"]
    assert first["name"] == "张**" and first["birthday"] == ""
    assert (first["points_balance"], first["frequency"], first["monetary"]) == ("10", "1", "1000")

    ledger = _rows(_all_pages(api, "/v1/admin/exports/ledger?limit=2")[0])
    by_member: dict[str, int] = {}
    for row in ledger:
        by_member[row["member_id"]] = by_member.get(row["member_id"], 0) + int(row["points"])
    assert by_member == {m["member_id"]: int(m["points_balance"]) for m in members}
    assert _rows(_all_pages(api, "/v1/admin/exports/coupons")[0]) == []


def test_a_pii_read_key_sees_names_and_a_segment_export_holds_its_members(api, brand):
    vip = api.enroll(phone="13800138000", name="=HYPERLINK(1)")  # a cell Excel would run
    api.enroll(phone="13800138001", name="李四")
    tagged = api.call("PATCH", f"/v1/members/{vip}", {"tags": ["vip"]}, key="admin")
    assert tagged.status_code == 200, tagged.json_body
    pii_key, _ = api_keys.create(brand, "admin", "analyst", ("pii:read",))
    rows = _rows(_all_pages(api, "/v1/admin/exports/members", key=pii_key)[0])
    assert {r["name"] for r in rows} == {"'=HYPERLINK(1)", "李四"}
    segment = {"segment_id": "vips", "name": "VIP", "rules": {"tags_any": ["vip"]}}
    assert api.post("/v1/admin/segments", segment, key="admin").status_code == 201
    rows = _rows(_all_pages(api, "/v1/admin/exports/members?segment=vips")[0])
    assert [r["member_id"] for r in rows] == [vip]


def test_bad_exports_are_named(api):
    assert api.get("/v1/admin/exports/members").status_code == 403  # a storefront key
    cases = {
        "/v1/admin/exports/orders": (404, "kind"),
        "/v1/admin/exports/members?cursor=nonsense": (422, "cursor"),
        "/v1/admin/exports/members?limit=0": (422, "limit"),
        "/v1/admin/exports/members?segment=nope": (404, "segment_id"),
        "/v1/admin/exports/ledger?segment=vips": (422, "segment"),
        "/v1/admin/exports/members?colour=red": (422, "colour"),
    }
    for path, (status, param) in cases.items():
        answer = api.get(path, key="admin")
        assert answer.status_code == status, (path, answer.body)
        assert answer.json_body["error"]["param"] == param, (path, answer.json_body)
    page = api.call("GET", "/v1/admin/exports/members?limit=1", key="admin")
    other = _header(page, "next-cursor")
    assert other is None  # no members: one page
    api.enroll(phone="13800138000")
    api.enroll(phone="13800138001")
    other = _header(
        api.call("GET", "/v1/admin/exports/members?limit=1", key="admin"), "next-cursor"
    )
    assert other is not None
    mixed = api.get(f"/v1/admin/exports/ledger?cursor={other}", key="admin")
    assert mixed.status_code == 422 and mixed.json_body["error"]["param"] == "cursor"


def test_an_opening_balance_once_per_member(api):
    member_id = api.enroll(phone="13800138000")
    path = f"/v1/admin/members/{member_id}/opening-balance"
    assert api.post(path, {"points": 500}).status_code == 403  # a storefront key
    for body, param in (
        ({"points": -1}, "points"),
        ({"points": 5, "tier": "Diamond"}, "tier"),
        ({"points": 5, "expires_on": "2001-01-01"}, "expires_on"),
        ({"points": 5, "colour": "red"}, "colour"),
    ):
        refused = api.post(path, body, key="admin")
        assert refused.status_code == 422, (body, refused.json_body)
        assert refused.json_body["error"]["param"] == param
    first = api.post(path, {"points": 500, "source": "old-crm.csv"}, key="admin")
    assert first.status_code == 201, first.json_body
    assert first.json_body["member"]["points_balance"] == 500 and first.json_body["expires_on"]
    again = api.post(path, {"points": 500, "source": "old-crm.csv"}, key="admin")
    assert again.json_body == first.json_body
    other = api.post(path, {"points": 900}, key="admin")
    assert other.status_code == 422 and other.json_body["error"]["param"] == "member_id"
    ledger = api.get(f"/v1/members/{member_id}/ledger").json_body
    assert [e["kind"] for e in ledger["entries"]] == ["import"]
    assert "old-crm.csv" in ledger["entries"][0]["reason"]
