"""A new workstation joins its clinic: it pulls the clinic's data from the server in pages
(resumable: run it again after an interruption and it goes on from the last page applied), then
takes a seat of its own, which its first push announces.

The clinic's field key (for SSNs and member ids) never travels through the server: it is handed
over with the enrolment (``field_key``), from a workstation of the clinic.
"""

from __future__ import annotations

import socket

from sqlalchemy import Engine, Index, text
from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.identity.actor import Actor, Seat
from medtrack_desktop.domain.identity.field_keys import field_key_setting
from medtrack_desktop.domain.identity.models import Clinic, LocalSetting, Workstation
from medtrack_desktop.domain.models import metadata
from medtrack_desktop.store.base import bind_actor
from medtrack_desktop.sync.round import (
    Identity,
    Progress,
    SyncRefused,
    handshake,
    local_revision,
    pull_to_head,
    sync_round,
)
from medtrack_desktop.sync.tables import by_name

JOIN_PAGE = 5000  # fewer, larger transactions: each commit of a page syncs the file


def join_clinic(local: Engine, server: Engine, *, workstation_name: str | None = None,
                field_key: bytes | None = None, progress: Progress | None = None,
                page_size: int = JOIN_PAGE) -> Seat:
    """Fill this (new) workstation database from the server and give it a seat."""
    with server.connect() as connection:
        clinics = list(connection.execute(text(
            "SELECT medtrack_server.workstation_clinic_ids()")).scalars())
        if len(clinics) != 1:
            raise SyncRefused("This server login belongs to no clinic (or was revoked).")
        clinic_id = clinics[0]
        with local.connect() as local_connection:
            revision = local_revision(local_connection)
        handshake(connection, revision=revision, clinic_id=clinic_id)
    with Session(local) as session, session.begin():
        settings = dict(session.execute(text("SELECT key, value FROM local_settings")).all())
        if settings.get("workstation_id"):
            raise SyncRefused("This database already has a seat; it does not join again.")
        if settings.get("clinic_id", str(clinic_id)) != str(clinic_id):
            raise SyncRefused("This database belongs to another clinic.")
        session.merge(LocalSetting(key="clinic_id", value=str(clinic_id)))
        if field_key is not None:
            session.merge(LocalSetting(key=field_key_setting(clinic_id), value=field_key.hex()))
    with local.begin() as connection:  # again on a join that goes on after a cut
        for index in _built_at_the_end():
            index.drop(connection, checkfirst=True)
    pull_to_head(local, server, Identity(clinic_id, None), page_size=page_size,
                 progress=progress, bulk=True)
    with local.begin() as connection:
        for index in _built_at_the_end():
            index.create(connection, checkfirst=True)
    with Session(local) as session, session.begin():
        clinic = session.get_one(Clinic, clinic_id)
        name = (workstation_name or socket.gethostname()).strip()[:100]
        workstation = Workstation(clinic_id=clinic_id, name=name,
                                  hostname=socket.gethostname()[:255])
        session.add(workstation)
        session.flush()
        session.add(LocalSetting(key="workstation_id", value=str(workstation.id)))
        seat = Seat(clinic.id, clinic.name, workstation.id, workstation.name, clinic.timezone)
        bind_actor(session, None)
        trail.record(session, seat=seat, actor=Actor.system(seat), action="workstation.join",
                     resource_type="workstation", resource_id=str(workstation.id))
    sync_round(local, server, progress=progress)
    return seat


def _built_at_the_end() -> list[Index]:
    """The secondary indexes of the tables a join fills (the synced ones and those made from
    them): built once from sorted rows when the last page is in, not entry by entry at random
    places of an index that outgrows the page cache. Primary keys and unique constraints stay:
    the pull finds rows by id, and a table's own constraints hold throughout. A join cut short
    leaves them out until it goes on and finishes; the workstation has no seat until then."""
    return [index for table in metadata.sorted_tables
            if table.name in by_name() or table.info.get("derived_from_synced")
            for index in sorted(table.indexes, key=lambda index: str(index.name))]
