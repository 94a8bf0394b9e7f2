"""Velocity signals (风控), pure: the network an address is counted by, the subjects a new
member shares, and the moment a count signals."""

from ipaddress import ip_address

from chalicelib.domain.risk import (
    ENROLLMENTS_PER_DEVICE,
    ENROLLMENTS_PER_IP_RANGE,
    ip_range,
    reached,
    shared_subjects,
)


def test_addresses_are_counted_by_their_slash_24_or_slash_48():
    assert ip_range(ip_address("203.0.113.77")) == "203.0.113.0/24"
    assert ip_range(ip_address("2001:db8:1234:5678::1")) == "2001:db8:1234::/48"


def test_a_new_member_shares_its_device_and_network_and_only_what_it_has():
    device = "f" * 40
    assert shared_subjects(device, "203.0.113.0/24") == [
        (ENROLLMENTS_PER_DEVICE, f"DEVICE#{device}", f"device:{'f' * 16}"),
        (ENROLLMENTS_PER_IP_RANGE, "IPNET#203.0.113.0/24", "ip:203.0.113.0/24"),
    ]
    assert shared_subjects(None, "203.0.113.0/24")[0][0] == ENROLLMENTS_PER_IP_RANGE
    assert shared_subjects(device, None)[0][0] == ENROLLMENTS_PER_DEVICE
    assert shared_subjects("", "") == []


def test_a_count_signals_once_as_it_reaches_the_threshold():
    assert reached(4, 5, 5)
    assert reached(3, 7, 5)  # a batch that jumps past it
    assert not reached(5, 6, 5)  # already signalled
    assert not reached(3, 4, 5)
    assert not reached(0, 100, None)  # no threshold set
