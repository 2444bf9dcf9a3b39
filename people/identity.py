"""A child's protected identifiers: СНИЛС and birth certificate (152-ФЗ).

Each is kept twice: encrypted (Fernet), to show it to the roles allowed to see it, and as a keyed
digest (HMAC-SHA256), to find the same child again without decrypting anything. Both keys come
from settings.PERSONAL_DATA_KEY through HKDF with different labels, so a leaked digest table
cannot be turned back into numbers by brute force over the 10⁹ possible СНИЛС.
"""

import base64
import hashlib
import hmac
import re
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ValidationError

from core.validators import normalize_snils

# Letters that look alike in Cyrillic and Latin, folded so «II-АБ» typed either way is one series.
_LOOKALIKES = str.maketrans("АВЕКМНОРСТУХ", "ABEKMHOPCTYX")
_BIRTH_CERTIFICATE = re.compile(r"^[A-ZА-ЯЁ0-9]{6,20}$")


@cache
def _keys(material: str) -> tuple[Fernet, bytes]:
    """The encryption key and the digest key, derived once per key material."""

    def derive(label: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(material.encode())

    return Fernet(base64.urlsafe_b64encode(derive(b"opora personal data encryption"))), derive(
        b"opora personal data matching"
    )


def encrypt(value: str) -> str:
    return _keys(settings.PERSONAL_DATA_KEY)[0].encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _keys(settings.PERSONAL_DATA_KEY)[0].decrypt(token.encode()).decode()
    except InvalidToken:
        # A wrong key is a configuration error; the message names the setting, never the data.
        raise RuntimeError("Не удаётся расшифровать персональные данные: проверьте OPORA_PERSONAL_DATA_KEY.") from None


def digest(kind: str, normalized: str) -> str:
    return hmac.new(_keys(settings.PERSONAL_DATA_KEY)[1], f"{kind}:{normalized}".encode(), hashlib.sha256).hexdigest()


def snils_digest(value: str) -> str:
    return digest("snils", normalize_snils(value))


def format_snils(digits: str) -> str:
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:9]} {digits[9:]}"


def normalize_birth_certificate(value: str) -> str:
    """Series and number without separators, upper case; Russian («II-АБ № 123456») or foreign."""
    compact = re.sub(r"[\s\-№N°.]", "", value.upper())
    if not _BIRTH_CERTIFICATE.match(compact):
        raise ValidationError(
            "Серия и номер свидетельства о рождении: буквы и цифры, например II-АБ 123456.",
            code="invalid_birth_certificate",
        )
    return compact


def birth_certificate_digest(value: str) -> str:
    return digest("birth_certificate", normalize_birth_certificate(value).translate(_LOOKALIKES))
