"""Member identifiers: one person whatever the format, fingerprinted with the brand key, masked."""

import pytest

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.identity import (
    fingerprint,
    mask_email,
    mask_phone,
    normalise_email,
    normalise_phone,
)


def test_phones__in_any_format_are_one_e164_number():
    for raw in ["138 0013 8000", "+86 138-0013-8000", "+8613800138000", "(138) 0013 8000"]:
        assert normalise_phone(raw, "CN") == "+8613800138000"
    assert normalise_phone("020 7946 0018", "GB") == "+442079460018"


@pytest.mark.parametrize("raw", ["not a phone", "12", "+86 000 0000 0000"])
def test_phones__that_are_not_numbers_are_refused_naming_the_field(raw):
    with pytest.raises(ValidationFailed) as refused:
        normalise_phone(raw, "CN")
    assert refused.value.param == "phone" and "phone number" in refused.value.message


def test_emails__are_lower_cased_and_checked():
    assert normalise_email("Ann.Lee@Example.COM") == "ann.lee@example.com"
    with pytest.raises(ValidationFailed) as refused:
        normalise_email("ann@")
    assert refused.value.param == "email" and "email" in refused.value.message


def test_fingerprints__depend_on_the_kind_the_value_and_the_brand_key():
    one = fingerprint("phone", "+8613800138000", b"brand-a-secret-key")
    assert one == fingerprint("phone", "+8613800138000", b"brand-a-secret-key")
    assert len(one) == 64 and int(one, 16) >= 0
    assert one != fingerprint("phone", "+8613800138000", b"brand-b-secret-key")
    assert one != fingerprint("email", "+8613800138000", b"brand-a-secret-key")
    assert one != fingerprint("phone", "+8613800138001", b"brand-a-secret-key")


def test_masks__show_enough_to_recognise_and_no_more():
    assert mask_phone("+8613800138000") == "+86 138****8000"
    assert mask_phone("+442079460018") == "+44 207***0018"
    assert mask_phone("+3524123456") == "+352 4**3456"  # short national numbers keep one digit
    assert mask_phone("+35212345") == "+352 1*2345"  # and always hide at least one
    assert mask_email("ann.lee@example.com") == "a***@example.com"
