import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from core.validators import (
    inn_check_digits,
    is_valid_inn,
    is_valid_ogrn,
    ogrn_check_digit,
    validate_inn,
    validate_ogrn,
)


@pytest.mark.parametrize("inn", ["7707083893", "500100732259", "7830002293"])
def test_real_inns_are_valid(inn):
    assert is_valid_inn(inn)


@pytest.mark.parametrize("inn", ["7707083894", "500100732250", "123", "77070838931", "77O7083893", ""])
def test_wrong_inns_are_rejected(inn):
    assert not is_valid_inn(inn)


@pytest.mark.parametrize("ogrn", ["1027700132195", "1027739609391", "304500116000157"])
def test_real_ogrns_are_valid(ogrn):
    assert is_valid_ogrn(ogrn)


@pytest.mark.parametrize("ogrn", ["1027700132196", "304500116000158", "102770013219", "abc"])
def test_wrong_ogrns_are_rejected(ogrn):
    assert not is_valid_ogrn(ogrn)


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_completed_inn_prefix_is_valid_and_any_other_last_digit_is_not(prefix):
    inn = inn_check_digits(prefix)
    assert is_valid_inn(inn)
    for digit in "0123456789":
        if digit != inn[-1]:
            assert not is_valid_inn(inn[:-1] + digit)


@given(st.integers(min_value=10**11, max_value=10**12 - 1))
def test_completed_ogrn_prefix_is_valid(prefix):
    assert is_valid_ogrn(ogrn_check_digit(str(prefix)))


def test_validators_speak_russian():
    with pytest.raises(ValidationError, match="ИНН"):
        validate_inn("1234567890")
    with pytest.raises(ValidationError, match="ОГРН"):
        validate_ogrn("1234567890123")
