"""Checks of what people type: Russian registration numbers (ИНН, ОГРН, СНИЛС) by their checksums, phones."""

import re

from django.core.exceptions import ValidationError

_INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _inn_digit(digits: list[int], weights: tuple[int, ...]) -> int:
    return sum(d * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def is_valid_inn(value: str) -> bool:
    if not value.isdigit() or len(value) not in (10, 12):
        return False
    digits = [int(c) for c in value]
    if len(digits) == 10:
        return _inn_digit(digits, _INN10_WEIGHTS) == digits[9]
    return _inn_digit(digits, _INN12_WEIGHTS_1) == digits[10] and _inn_digit(digits, _INN12_WEIGHTS_2) == digits[11]


def is_valid_ogrn(value: str) -> bool:
    """ОГРН (13 digits, remainder by 11) or ОГРНИП (15 digits, remainder by 13)."""
    if not value.isdigit() or len(value) not in (13, 15):
        return False
    divisor = 11 if len(value) == 13 else 13
    return int(value[:-1]) % divisor % 10 == int(value[-1])


def inn_check_digits(first_digits: str) -> str:
    """Complete a prefix into a valid ИНН: 9 digits for a legal entity, 10 for a person."""
    digits = [int(c) for c in first_digits]
    if len(digits) == 9:
        return first_digits + str(_inn_digit(digits, _INN10_WEIGHTS))
    eleventh = _inn_digit(digits, _INN12_WEIGHTS_1)
    return first_digits + str(eleventh) + str(_inn_digit([*digits, eleventh], _INN12_WEIGHTS_2))


def ogrn_check_digit(first_digits: str) -> str:
    """Complete a prefix into a valid ОГРН (12 digits) or ОГРНИП (14 digits)."""
    divisor = 11 if len(first_digits) == 12 else 13
    return first_digits + str(int(first_digits) % divisor % 10)


def validate_inn(value: str) -> None:
    if not is_valid_inn(value):
        raise ValidationError(
            "ИНН должен состоять из 10 или 12 цифр с верными контрольными цифрами.",
            code="invalid_inn",
        )


def validate_ogrn(value: str) -> None:
    if not is_valid_ogrn(value):
        raise ValidationError(
            "ОГРН должен состоять из 13 (ОГРНИП — 15) цифр с верной контрольной цифрой.",
            code="invalid_ogrn",
        )


def snils_check_number(first_nine: str) -> str:
    """The two control digits of a СНИЛС: weights 9…1, then the sum modulo 101 (100 → 00)."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(9, 0, -1), strict=True))
    return f"{total % 101 % 100:02d}"


def is_valid_snils(digits: str) -> bool:
    """11 digits; numbers up to 001-001-998 were issued before control digits existed."""
    if not digits.isdigit() or len(digits) != 11:
        return False
    if int(digits[:9]) <= 1001998:
        return True
    return snils_check_number(digits[:9]) == digits[9:]


def normalize_snils(value: str) -> str:
    """The 11 digits of a СНИЛС typed with or without dashes and spaces; the message never repeats it."""
    digits = "".join(ch for ch in value if not ch.isspace() and ch != "-")
    if not is_valid_snils(digits):
        raise ValidationError(
            "СНИЛС должен состоять из 11 цифр с верным контрольным числом (формат 123-456-789 01).",
            code="invalid_snils",
        )
    return digits


PHONE_CHARACTERS = re.compile(r"[\d\s()+\-]+")


def validate_phone(value: str) -> None:
    """A phone as people write it (+7 (900) 123-45-67, 8 900 1234567): digits, spaces, brackets,
    dashes and a plus, 10 to 15 digits in all."""
    digits = sum(ch.isdigit() for ch in value)
    if not PHONE_CHARACTERS.fullmatch(value) or not 10 <= digits <= 15:
        raise ValidationError("Укажите телефон цифрами, например +7 900 123-45-67.")
