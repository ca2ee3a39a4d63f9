"""Shipping address checks of the New stage and tracking number shapes per carrier."""

from __future__ import annotations

import pytest
from msgspec import structs

from shared.addresses import address_problems
from shared.carriers import CARRIERS, normalise_tracking, tracking_problem, tracking_url
from shared.types import Address
from tests.builders import GOOD_ADDRESS

# ------------------------------------------------------------------ addresses


def test_a_complete_us_address_has_no_problems() -> None:
    assert address_problems(GOOD_ADDRESS) == []


def test_an_empty_address_names_every_missing_field() -> None:
    assert address_problems(Address()) == [
        "recipient name is missing",
        "street address is missing",
        "city is missing",
        "country is missing",
    ]


def test_fields_of_only_spaces_count_as_missing() -> None:
    address = structs.replace(GOOD_ADDRESS, name="   ", city="\t")
    assert address_problems(address) == ["recipient name is missing", "city is missing"]


def test_a_country_that_is_not_a_two_letter_code_is_named() -> None:
    address = structs.replace(GOOD_ADDRESS, country="USA")
    assert address_problems(address) == ["country 'USA' is not a two-letter ISO code"]


def test_a_lower_case_country_code_is_accepted() -> None:
    assert address_problems(structs.replace(GOOD_ADDRESS, country="us")) == []


def test_a_known_country_needs_a_postal_code() -> None:
    address = structs.replace(GOOD_ADDRESS, postal_code="")
    assert address_problems(address) == ["postal code is missing"]


@pytest.mark.parametrize(
    ("country", "postal_code"),
    [
        ("US", "62701"),
        ("US", "62701-1234"),
        ("CA", "K1A 0B1"),
        ("CA", "k1a0b1"),
        ("GB", "SW1A 1AA"),
        ("GB", "M1 1AE"),
        ("DE", "80331"),
        ("FR", "75001"),
        ("NL", "1012 AB"),
        ("AU", "2000"),
    ],
)
def test_postal_codes_of_the_usual_countries_are_accepted(country: str, postal_code: str) -> None:
    address = structs.replace(GOOD_ADDRESS, country=country, postal_code=postal_code)
    assert address_problems(address) == []


@pytest.mark.parametrize(
    ("country", "postal_code"),
    [
        ("US", "6270"),
        ("US", "62701-12"),
        ("CA", "12345"),
        ("GB", "12345"),
        ("DE", "8033"),
        ("NL", "AB 1012"),
        ("AU", "20000"),
    ],
)
def test_a_postal_code_of_the_wrong_shape_is_named_with_its_country(
    country: str, postal_code: str
) -> None:
    address = structs.replace(GOOD_ADDRESS, country=country, postal_code=postal_code)
    assert address_problems(address) == [f"postal code {postal_code!r} is not valid for {country}"]


def test_countries_without_a_known_shape_accept_any_or_no_postal_code() -> None:
    assert address_problems(structs.replace(GOOD_ADDRESS, country="IE", postal_code="")) == []
    assert address_problems(structs.replace(GOOD_ADDRESS, country="JP", postal_code="x")) == []


# ------------------------------------------------------------------ carriers

VALID = {
    "ups": ["1Z999AA10123456784", "T1234567890", "123456789"],
    "usps": ["9400100000000000000000", "9205500000000000000000", "EA123456789US"],
    "fedex": ["123456789012", "123456789012345", "12345678901234567890"],
    "dhl": ["1234567890", "JJD0123456789012345", "JVGL0123456789012345"],
    "demo": ["SFD0123456789"],
}
INVALID = {
    "ups": ["1Z999AA1012345678", "2Z999AA10123456784"],
    "usps": ["12345", "EA123456789DE"],
    "fedex": ["1234567890123", "12345678901"],
    "dhl": ["123456789", "JJD123"],
    "demo": ["SFD123", "XYZ0123456789"],
}


def test_every_known_carrier_has_valid_and_invalid_examples_here() -> None:
    assert set(VALID) == set(INVALID) == set(CARRIERS)


@pytest.mark.parametrize(
    ("carrier", "number"), [(c, n) for c, numbers in VALID.items() for n in numbers]
)
def test_a_tracking_number_of_the_carriers_shape_is_accepted(carrier: str, number: str) -> None:
    assert tracking_problem(carrier, number) is None


@pytest.mark.parametrize(
    ("carrier", "number"), [(c, n) for c, numbers in INVALID.items() for n in numbers]
)
def test_a_tracking_number_of_another_shape_is_named_with_the_carrier(
    carrier: str, number: str
) -> None:
    problem = tracking_problem(carrier, number)
    assert problem == f"{number!r} is not a valid {CARRIERS[carrier][0]} tracking number"


def test_carrier_names_and_tracking_numbers_are_case_and_space_insensitive() -> None:
    assert tracking_problem("UPS", "1z 999 aa1-0123456784") is None
    assert normalise_tracking(" 1z 999-aa1\t0123456784 ") == "1Z999AA10123456784"


def test_an_unknown_carrier_lists_the_known_ones() -> None:
    assert tracking_problem("pigeon", "123") == (
        "unknown carrier 'pigeon' (known: demo, dhl, fedex, ups, usps)"
    )


def test_an_empty_tracking_number_is_named() -> None:
    assert tracking_problem("ups", " - ") == "tracking number is empty"


def test_the_tracking_link_uses_the_normalised_number() -> None:
    assert tracking_url("UPS", "1z999aa1 0123456784") == (
        "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    )
    assert tracking_url("pigeon", "1") == ""
