"""The clinic's field key (for SSNs and member ids), kept in this workstation's database.

The key lives in ``local_settings``, which never syncs: the encrypted workstation database
protects it at rest, and the clinic server, which stores only sealed values and blind-index
digests, never holds it. A workstation joining the clinic receives the key when it is enrolled
(sync issue); the first workstation of a clinic makes it.
"""

from __future__ import annotations

import secrets
import uuid

from sqlalchemy.orm import Session

from medtrack_desktop.domain.identity.models import LocalSetting
from medtrack_desktop.store.field_crypto import KEY_BYTES, FieldCipher


def field_key_setting(clinic_id: uuid.UUID) -> str:
    """The ``local_settings`` key under which the clinic's field key is kept (as hex)."""
    return f"field_key:{clinic_id}"


def clinic_cipher(session: Session, clinic_id: uuid.UUID) -> FieldCipher:
    """The clinic's field cipher; the key is made (once) on first use."""
    row = session.get(LocalSetting, field_key_setting(clinic_id))
    if row is None:
        row = LocalSetting(key=field_key_setting(clinic_id), value=secrets.token_hex(KEY_BYTES))
        session.add(row)
        session.flush()
    return FieldCipher(bytes.fromhex(row.value))
