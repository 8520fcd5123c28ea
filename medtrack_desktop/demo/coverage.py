"""The demo clinic's payers, and the insurance, guarantors and consents of its first patients,
entered through the registry services (so they are sealed, audited and indexed like real ones)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import select

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.consent import record_consent
from medtrack_desktop.domain.patients.insurance import (
    GuarantorInput,
    PolicyInput,
    add_payer,
    save_policy,
    set_guarantor,
)
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.store.engine import Store

# Fictional payers (names and ids are made up; none is a real plan).
DEMO_PAYERS = (
    ("Lone Star Health Plan", "LSHP1", "(800) 555-0101"),
    ("Bluebonnet Mutual", "BBM22", "(800) 555-0102"),
    ("Hill Country Care PPO", "HCC03", "(800) 555-0103"),
    ("Gulf Coast Medicaid (demo)", "GCM04", "(800) 555-0104"),
    ("Senior Advantage (demo)", "SNA05", "(800) 555-0105"),
)
COVERED_PATIENTS = 300
_BATCH = 50


def add_demo_coverage(
    store: Store, actor: Actor, *, patient_ids: Sequence[uuid.UUID], today: date, seed: int
) -> None:
    """Payers, then for up to ``COVERED_PATIENTS`` patients: consent to treatment, a primary
    policy for most (a secondary for some), and a parent as guarantor for minors."""
    rng = random.Random(seed)
    with store.session() as session:
        payers = [add_payer(session, actor, name=name, payer_id=payer_id, phone=phone).id
                  for name, payer_id, phone in DEMO_PAYERS]
    chosen = list(patient_ids[:COVERED_PATIENTS])
    for start in range(0, len(chosen), _BATCH):
        with store.session() as session:
            rows = session.execute(select(Patient.id, Patient.date_of_birth, Patient.last_name)
                                   .where(Patient.id.in_(chosen[start:start + _BATCH]))).all()
            for patient_id, born, last_name in rows:
                registered = max(born, today - timedelta(days=rng.randint(30, 3650)))
                record_consent(session, actor, patient_id=patient_id, kind="treatment",
                               granted_on=registered, today=today)
                minor = (today - born).days < 18 * 365
                if minor:
                    set_guarantor(session, actor, patient_id=patient_id, guarantor=GuarantorInput(
                        relation="parent", first_name=rng.choice(("Ana", "David", "Mai", "Omar")),
                        last_name=last_name, phone=f"(512) 555-{rng.randint(200, 999):04d}"))
                if rng.random() < 0.85:
                    ranks = ("primary", "secondary") if rng.random() < 0.2 else ("primary",)
                    for rank, payer in zip(ranks, rng.sample(payers, len(ranks)), strict=True):
                        save_policy(session, actor, patient_id=patient_id, policy=PolicyInput(
                            rank=rank, company_id=payer,
                            member_id=f"{rng.choice('ABCDEFGHJK')}{rng.randint(10**8, 10**9)}",
                            group_number=f"G{rng.randint(1000, 9999)}",
                            subscriber_relation="child" if minor else "self",
                            subscriber_first_name="Ana" if minor else "",
                            subscriber_last_name=last_name if minor else "",
                            subscriber_date_of_birth=born - timedelta(days=28 * 365)
                            if minor else None,
                            copay=rng.choice(("20", "25", "30", "40", "")),
                            effective_on=registered))
