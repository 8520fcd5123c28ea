"""One patient's chart as a story: when they came and why, what was found, noted, prescribed
and given, as the rows that record it (``charts`` writes and signs them).

Consistent with age and sex: well-child visits and the childhood immunization schedule for
children; chronic conditions that grow likelier with age, each noted at the first finished visit
after it began, with the medication that treats it (started, sometimes changed or switched, with
the reason); acute visits that fit the age; vitals from rough growth curves for children and a
steady build for adults, inside the plausibility ranges of ``vital_measures``; allergies asked
about ("no known allergies"), listed, or never recorded, a third each. A few visits of the last
days are still open (a draft, or a note being written), a few were cancelled, the rest signed.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from medtrack_desktop.demo.chart_catalog import (
    ACUTE,
    ALLERGENS,
    CHRONIC,
    EXAMS,
    HEAD_CIRCUMFERENCE,
    HEIGHT,
    ROS_NEGATIVE,
    ROS_NEGATIVE_YOUNG,
    WEIGHT,
    WELL_CHILD,
    Complaint,
    Condition,
    Drug,
    Vaccination,
    adult_vaccinations,
    child_vaccinations,
    interpolate,
)
from medtrack_desktop.domain.chart import signing
from medtrack_desktop.domain.chart.immunizations import find_vaccine
from medtrack_desktop.domain.chart.medications import plain_dose
from medtrack_desktop.domain.chart.vital_measures import bmi
from medtrack_desktop.store.base import new_id, utcnow

MAX_ENCOUNTERS = 15
MAX_YEARS = 15
FACILITY = "Riverside Family Clinic"
SPECIALTY = "Family medicine"
_CANCEL_REASONS = ("Patient did not attend", "Rescheduled at the patient's request",
                   "Patient unwell, visit moved to telehealth", "Clinic closed (weather)")


@dataclass(frozen=True)
class Staff:
    clinic_id: uuid.UUID
    physician: uuid.UUID
    physician_name: str
    nurse: uuid.UUID
    assistant: uuid.UUID


@dataclass
class _Visit:
    """One encounter being planned, then written."""

    on: datetime  # aware, UTC
    kind: str  # encounter type
    reason: str
    well_child: int | None = None  # index into WELL_CHILD
    complaint: Complaint | None = None
    status: str = "signed"
    id: uuid.UUID = field(default_factory=new_id)
    notes: list[str] = field(default_factory=list)  # plan lines for medication events
    vitals: dict[str, Any] | None = None


@dataclass
class ChartRows:
    """Rows of a batch of charts by table, in insert order (dicts of column values)."""

    encounters: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    vitals: list[dict[str, Any]] = field(default_factory=list)
    signatures: list[dict[str, Any]] = field(default_factory=list)  # content_sha256 filled later
    problems: list[dict[str, Any]] = field(default_factory=list)
    allergies: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    medications: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    immunizations: list[dict[str, Any]] = field(default_factory=list)


class PatientChart:
    """Plans one patient's chart and adds its rows to ``rows``."""

    def __init__(self, rows: ChartRows, staff: Staff, patient_id: uuid.UUID, born: date, sex: str,
                 *, today: date, zone: ZoneInfo, rng: random.Random) -> None:
        self.rows, self.staff, self.patient_id = rows, staff, patient_id
        self.born, self.sex, self.today, self.zone, self.rng = born, sex, today, zone, rng
        self.conditions: list[Condition] = []
        self.onsets: dict[str, date] = {}
        self.diagnosed: dict[str, int] = {}  # condition code -> index of the visit
        self.allergy_state = "none_recorded"  # or "no_known", "listed"
        self.allergens: list[str] = []
        self.visits: list[_Visit] = []
        # A steady build: a height percentile for life and an adult BMI that drifts.
        self.height_z = max(-1.5, min(1.5, rng.gauss(0, 1)))
        self.weight_z = max(-1.5, min(1.5, rng.gauss(0, 1)))
        self.adult_bmi = rng.uniform(20, 29) + rng.choice((0, 0, 0, 3, 6))
        self.habits = (f"{rng.choice(('Never smoker.', 'Never smoker.', 'Former smoker.'))} "
                       f"{rng.choice(('No alcohol.', 'Alcohol socially.', 'Walks daily.'))}")

    # -- the plan --

    def age_on(self, day: date) -> float:
        return (day - self.born).days / 365.25

    @property
    def age(self) -> float:
        return self.age_on(self.today)

    def build(self) -> None:
        self._choose_conditions()
        self._choose_allergies()
        self._plan_visits()
        self._diagnose()
        for condition in self.conditions:
            if condition.code in self.diagnosed:
                self._treat(condition, self.diagnosed[condition.code])
        self._write_visits()
        self._write_lists()
        self._write_immunizations()

    def _choose_conditions(self) -> None:
        age = self.age
        for condition in CHRONIC:
            if condition.code == "E66.9":
                chance = 0.7 if self.adult_bmi >= 30 and age >= 12 else 0.0
            else:
                chance = condition.chance(age, self.sex)
                if condition.code == "R73.03" and "E11.9" in self.onsets:
                    chance = 0.0
                if condition.code in ("E11.9", "I10") and self.adult_bmi >= 30:
                    chance *= 1.6
            if self.rng.random() < chance:
                if condition.code == "F17.210":
                    self.habits = "Smokes about half a pack a day. " + self.habits.split(" ", 2)[2]
                earliest = max(condition.min_age, age - 20, 0.2)
                onset_age = self.rng.uniform(earliest, age) if age > earliest else age
                self.onsets[condition.code] = min(
                    self.today, self.born + timedelta(days=int(onset_age * 365.25)))
                self.conditions.append(condition)

    def _choose_allergies(self) -> None:
        roll = self.rng.random()
        self.allergy_state = ("none_recorded" if roll < 1 / 3 else
                              "no_known" if roll < 2 / 3 else "listed")
        if self.allergy_state == "listed":
            fitting = [a for a in ALLERGENS if self.age >= a.min_age]
            count = self.rng.choice((1, 1, 1, 2, 2, 3))
            self.allergens = [a.allergen for a in self.rng.sample(fitting, count)]

    def _local(self, day: date, hour: float | None = None, *, open_days: bool = True
               ) -> datetime:
        if open_days and day.weekday() >= 5:  # the clinic is closed at weekends
            day -= timedelta(days=day.weekday() - 4)
        if hour is None:
            hour = self.rng.choice((8, 8.5, 9, 9.5, 10, 10.5, 11, 13, 13.5, 14, 14.5, 15, 16))
        local = datetime.combine(day, time(int(hour), int(hour % 1 * 60)), tzinfo=self.zone)
        return local.astimezone(UTC)

    def _plan_visits(self) -> None:
        rng, age = self.rng, self.age
        if age < 18 and rng.random() < 0.5:
            first = self.born + timedelta(days=rng.randint(3, 5))  # born into the practice
        else:
            years = min(age, max(0.3, MAX_YEARS * rng.random() ** 1.5))
            first = self.today - timedelta(days=int(years * 365.25))
        first = max(min(first, self.today - timedelta(days=1)), self.born)
        planned: list[_Visit] = []
        for index, (days, label) in enumerate(WELL_CHILD):
            on = self.born + timedelta(days=days + rng.randint(0, 10))
            if first <= on < self.today and (days < 3 * 365 or rng.random() < 0.6):
                planned.append(_Visit(self._local(on), "annual_physical",
                                      f"Well-child check, {label}", well_child=index))
        span = (self.today - first).days
        adult_years = [year for year in range(int(span / 365.25) + 1)
                       if self.age_on(first + timedelta(days=int(year * 365.25))) >= 18]
        for year in adult_years:
            if rng.random() < (0.6 if age >= 65 else 0.35):
                on = first + timedelta(days=int(year * 365.25) + rng.randint(0, 300))
                if on < self.today:
                    label = "Annual wellness visit" if self.age_on(on) >= 65 else "Annual physical"
                    planned.append(_Visit(self._local(on), "annual_physical", label))
        onsets = sorted(self.onsets[c.code] for c in self.conditions if c.follow_up)
        if onsets:
            since = max(first + timedelta(days=30), onsets[0])
            for _ in range(int((self.today - since).days / 365.25 * 0.8)):
                on = since + timedelta(days=rng.randint(0, (self.today - since).days - 1))
                planned.append(self._follow_up(on))
        acute_rate = 0.4 if age < 12 else 0.15
        for _ in range(max(0, round(span / 365.25 * acute_rate * rng.uniform(0.5, 1.5)))):
            on = first + timedelta(days=rng.randint(0, max(0, span - 1)))
            fitting = [c for c in ACUTE if c.fits(self.age_on(on), self.sex)]
            if fitting:
                complaint = rng.choice(fitting)
                planned.append(_Visit(self._local(on), "office", complaint.reason,
                                      complaint=complaint))
        planned.sort(key=lambda visit: visit.on)
        new = _Visit(self._local(first), "new_patient",
                     "New patient: establish care" if age >= 18 or first > self.born + timedelta(
                         days=30) else "Newborn visit: establish care")
        if planned and planned[0].on.date() <= first + timedelta(days=14):
            new = planned.pop(0)  # the first well-child visit opens the chart
            new.kind = "new_patient"
        cap = rng.randint(max(1, MAX_ENCOUNTERS - 4), MAX_ENCOUNTERS) if len(planned) > 10 \
            else MAX_ENCOUNTERS
        if len(planned) > cap - 1:
            kept = sorted(rng.sample(range(len(planned)), cap - 1))
            planned = [planned[i] for i in kept]
        self.visits = [new, *planned]
        self._set_statuses()

    def _follow_up(self, on: date) -> _Visit:
        known = [c.words for c in self.conditions
                 if c.follow_up and self.onsets[c.code] <= on - timedelta(days=60)]
        reason = "Follow-up: " + ", ".join(known[:3]) if known else "Follow-up visit"
        if on >= date(2020, 4, 1) and self.rng.random() < 0.25:
            return _Visit(self._local(on), "telehealth", reason.replace(
                "Follow-up:", "Telehealth follow-up:"))
        if self.age_on(on) >= 85 and self.rng.random() < 0.4:
            return _Visit(self._local(on), "home_visit", reason.replace("Follow-up:",
                                                                        "Home visit:"))
        return _Visit(self._local(on), "follow_up", reason)

    def _set_statuses(self) -> None:
        rng = self.rng
        for visit in self.visits[1:]:
            if rng.random() < 0.03:
                visit.status = "cancelled"
        on = self.today - timedelta(days=rng.randint(1, 3))
        if on > self.visits[0].on.date() and rng.random() < 0.06:
            # A visit of the last days not finished yet: the note is still being written.
            visit = self._follow_up(on) if self.conditions and self.age >= 18 else _Visit(
                self._local(on), "office", "Checkup requested by the family"
                if self.age < 18 else "Routine visit")
            if visit.kind == "office":
                fitting = [c for c in ACUTE if c.fits(self.age, self.sex)]
                if fitting:
                    visit.complaint = rng.choice(fitting)
                    visit.reason = visit.complaint.reason
            visit.status = rng.choice(("draft", "in_progress", "in_progress"))
            self.visits.append(visit)
            self.visits.sort(key=lambda planned: planned.on)
        if len(self.visits) > MAX_ENCOUNTERS:
            del self.visits[1]

    def _diagnose(self) -> None:
        """Each condition is noted at the first finished visit on or after its onset (at the
        first visit if it began before the chart)."""
        signed = [i for i, v in enumerate(self.visits) if v.status == "signed"]
        for condition in self.conditions:
            onset = self.onsets[condition.code]
            found = next((i for i in signed if self.visits[i].on.date() >= onset), None)
            if found is not None:
                self.diagnosed[condition.code] = found

    # -- the visits --

    def _write_visits(self) -> None:
        for index, visit in enumerate(self.visits):
            self._write_visit(index, visit)

    def _known(self, index: int) -> list[Condition]:
        return [c for c in self.conditions
                if c.code in self.diagnosed and self.diagnosed[c.code] <= index]

    def _write_visit(self, index: int, visit: _Visit) -> None:
        staff, day = self.staff, visit.on.date()
        age = self.age_on(day)
        known = self._known(index)
        encounter: dict[str, Any] = tracked(staff.clinic_id, visit.id, visit.on, staff.physician)
        encounter.update(
            patient_id=self.patient_id, provider_id=staff.physician, encounter_type=visit.kind,
            status="in_progress" if visit.status == "signed" else visit.status,
            version=1 if visit.status == "draft" else 2, starts_at=visit.on, facility=FACILITY,
            specialty=SPECIALTY, reason=visit.reason, subjective="", objective="",
            assessment="", plan="", review_of_systems={}, cancelled_reason=None)
        self.rows.encounters.append(encounter)
        if visit.status == "cancelled":
            encounter["cancelled_reason"] = self.rng.choice(_CANCEL_REASONS)
            return
        vitals = None
        if visit.kind != "telehealth" and (visit.status != "draft" or self.rng.random() < 0.5):
            vitals = visit.vitals = self._vitals(visit, age, known)
        if visit.status == "draft":
            return
        encounter["subjective"] = self._subjective(visit, age, known)
        encounter["objective"] = self._objective(visit, age, known, vitals)
        encounter["review_of_systems"] = self._review(visit, age, known)
        if visit.status == "in_progress":
            return
        encounter["assessment"], encounter["plan"] = self._assessment_plan(index, visit, age,
                                                                           known)
        signed_at = visit.on + timedelta(minutes=self.rng.randint(25, 240))
        self.rows.signatures.append({
            **tracked(staff.clinic_id, new_id(), signed_at, staff.physician),
            "record_type": "encounter", "record_id": visit.id, "patient_id": self.patient_id,
            "signer_id": staff.physician, "printed_name": staff.physician_name,
            "meaning": "authorship", "signed_at": signed_at, "content_sha256": "",
            "canonical_version": signing.CANONICAL_VERSION})

    def _person(self, age: float) -> str:
        noun = {"female": ("woman", "girl"), "male": ("man", "boy")}.get(self.sex,
                                                                        ("patient", "child"))
        if age < 1 / 12:
            return f"{max(1, int(age * 365.25))}-day-old infant"
        if age < 2:
            return f"{int(age * 12)}-month-old {noun[1]}"
        return f"{int(age)}-year-old {noun[0] if age >= 18 else noun[1]}"

    def _subjective(self, visit: _Visit, age: float, known: list[Condition]) -> str:
        person = self._person(age)
        history = "; ".join(c.words for c in known) or "no chronic conditions"
        if visit.well_child is not None or (age < 18 and visit.kind == "new_patient"):
            guardian = self.rng.choice(("mother", "father", "both parents", "grandmother"))
            text = (f"{person.capitalize()} brought by {guardian} for a well-child visit. "
                    + ("Feeding well, normal wet diapers and stools. " if age < 1 else
                       "Eating a varied diet, sleeping well. " if age < 5 else
                       "Doing well at school; active most days. "))
            return text + ("No concerns today." if not known else f"Known: {history}.")
        if visit.complaint is not None:
            return (f"{person.capitalize()} with {visit.complaint.history}. "
                    f"Past history: {history}.")
        if visit.kind == "new_patient":
            return (f"{person.capitalize()} establishing care after moving to the area. "
                    f"History: {history}. {self._habits(age)}")
        if visit.kind == "annual_physical":
            return (f"{person.capitalize()} for a yearly examination. Feels well overall. "
                    f"History: {history}. {self._habits(age)}")
        updates = " ".join(c.interval for c in known if c.follow_up) or "No new concerns."
        where = ("Seen by video from home." if visit.kind == "telehealth" else
                 "Seen at home." if visit.kind == "home_visit" else "")
        return f"{person.capitalize()} for follow-up of {history}. {updates} {where}".strip()

    def _habits(self, age: float) -> str:
        return "" if age < 18 else self.habits

    def _objective(self, visit: _Visit, age: float, known: list[Condition],
                   vitals: dict[str, Any] | None) -> str:
        lines = [_vitals_line(vitals)] if vitals else []
        if visit.kind == "telehealth":
            lines.append("Video visit: alert, in no distress, speaking full sentences.")
        else:
            lines.append("General: well-appearing, no distress." if age >= 1 else
                         "General: alert, vigorous, well hydrated; fontanelle soft and flat.")
            if visit.complaint is not None:
                lines.append(visit.complaint.exam)
            lines.append("Heart: regular rate and rhythm, no murmur. Lungs: clear bilaterally."
                         if not any(c.code == "I48.91" for c in known) else
                         "Heart: irregularly irregular rhythm, no murmur. Lungs: clear.")
            lines += [c.exam for c in known if c.exam]
            if visit.kind in ("annual_physical", "new_patient"):
                lines.append("Abdomen: soft, non-tender. Skin: no rash. Neuro: grossly normal."
                             if age >= 2 else "Abdomen: soft, no masses. Hips: stable.")
        return "\n".join(lines)

    def _review(self, visit: _Visit, age: float,
                known: list[Condition]) -> dict[str, dict[str, str]]:
        negatives = ROS_NEGATIVE_YOUNG if age < 5 else ROS_NEGATIVE
        systems = list(negatives)
        if visit.kind not in ("annual_physical", "new_patient"):
            systems = sorted(self.rng.sample(systems, min(len(systems), self.rng.randint(4, 7))))
        review = {system: {"finding": "negative", "note": negatives[system]}
                  for system in systems}
        for condition in known:
            if condition.ros is not None and (age >= 5 or condition.ros[0] in negatives):
                review[condition.ros[0]] = {"finding": "positive", "note": condition.ros[1]}
        if visit.complaint is not None:
            system, note = visit.complaint.ros
            review[system] = {"finding": "positive", "note": note}
        return review

    def _assessment_plan(self, index: int, visit: _Visit, age: float,
                         known: list[Condition]) -> tuple[str, str]:
        items: list[str] = []
        plans: list[str] = []
        new = [c for c in known if self.diagnosed[c.code] == index]
        child = visit.well_child is not None or (visit.kind == "new_patient" and age < 18)
        if child or visit.kind in ("annual_physical", "new_patient"):
            code, title = EXAMS[(child, bool(new))]
            items.append(f"{title} ({code})" + (
                ": growing and developing normally." if child and not new else "."))
            plans.append("Anticipatory guidance given; immunizations per schedule; next "
                         "well-child visit as scheduled." if child else
                         "Age-appropriate screening reviewed; labs: CBC, CMP, lipid panel.")
        if visit.complaint is not None:
            complaint = visit.complaint
            items.append(f"{complaint.title} ({complaint.code}): {complaint.assessment}")
            plans.append(complaint.plan)
            course = self._course(index, visit, complaint)
            if course is not None:
                plans.append(f"Start {course.text}.")
        for condition in known:
            status = "newly diagnosed" if condition in new else condition.status_words
            vitals = visit.vitals
            if (condition.code == "I10" and vitals is not None and condition not in new
                    and (vitals["systolic"] >= 140 or vitals["diastolic"] >= 90)):
                status = (f"above goal today ({vitals['systolic']}/{vitals['diastolic']}); "
                          "recheck at home")
            items.append(f"{condition.title} ({condition.code}): {status}.")
            plans.append(condition.plan)
        plans += visit.notes
        if visit.kind in ("follow_up", "telehealth", "home_visit") and known:
            plans.append(f"Return in {self.rng.choice((3, 3, 4, 6))} months.")
        assessment = "\n".join(f"{n}. {item}" for n, item in enumerate(items, 1))
        return assessment or "Well visit; no active problems.", "\n".join(
            f"- {line}" for line in plans if line)

    def _course(self, index: int, visit: _Visit, complaint: Complaint) -> Drug | None:
        """A short treatment for the complaint: started at the visit, completed when done."""
        course = complaint.course
        if course is None:
            return None
        if any(a in course.avoid_with for a in self.allergens):
            course = complaint.alternative
        if course is None or (complaint.code == "M54.50" and any(
                c.code in ("I48.91", "N18.30") for c in self._known(index))):
            return None
        drug = course.for_age(self.age_on(visit.on.date()))
        start = visit.on.date()
        end = start + timedelta(days=complaint.days)
        self._medication(drug, start=start, visit=visit, end=end if end < self.today else None,
                         finish=("completed", None))
        return drug

    def _vitals(self, visit: _Visit, age: float, known: list[Condition]) -> dict[str, Any]:
        rng = self.rng
        codes = {c.code for c in known}
        height, weight = self._build_on(visit.on.date())
        fever = visit.complaint is not None and visit.complaint.fever and rng.random() < 0.7
        temperature = (Decimal(rng.randint(381, 392) if age < 12 else rng.randint(378, 386))
                       if fever else Decimal(rng.randint(364, 372))) / 10
        if age < 1:
            pulse, breaths = rng.randint(110, 150), rng.randint(28, 38)
        elif age < 5:
            pulse, breaths = rng.randint(90, 125), rng.randint(22, 30)
        elif age < 12:
            pulse, breaths = rng.randint(70, 105), rng.randint(18, 24)
        else:
            pulse, breaths = rng.randint(58, 88), rng.randint(12, 18)
        if "I48.91" in codes:
            pulse = rng.randint(72, 104)
        pulse += 12 if fever else 0
        systolic = diastolic = None
        if age >= 3:
            if age < 12:
                systolic, diastolic = rng.randint(92, 112), rng.randint(55, 72)
            elif "I10" in codes:
                systolic, diastolic = rng.randint(122, 148), rng.randint(74, 92)
            else:
                systolic = rng.randint(104, 126) + (6 if age >= 65 else 0)
                diastolic = rng.randint(64, 82)
        complaint_pain = visit.complaint.pain if visit.complaint is not None else 0
        row = {
            **tracked(self.staff.clinic_id, new_id(), visit.on + timedelta(minutes=8),
                       self.staff.assistant),
            "patient_id": self.patient_id, "encounter_id": visit.id,
            "taken_at": visit.on + timedelta(minutes=8), "height_cm": height,
            "weight_kg": weight, "bmi": bmi(weight, height), "temperature_c": temperature,
            "pulse": pulse, "respiration": breaths, "systolic": systolic,
            "diastolic": diastolic,
            "spo2": rng.randint(92, 95) if "J44.9" in codes else rng.randint(96, 100),
            "head_circumference_cm": self._head(age) if age < 2 else None,
            "waist_circumference_cm": None,
            "pain": rng.randint(max(0, complaint_pain - 1), complaint_pain + 1)
            if complaint_pain else (0 if age >= 5 else None),
            "note": "Seated, left arm" if systolic is not None and rng.random() < 0.2 else None,
        }
        if visit.kind == "annual_physical" and age >= 18 and row["bmi"] is not None:
            base = Decimal(55) + row["bmi"] * (Decimal("1.45") if self.sex == "female"
                                                else Decimal("1.3"))
            row["waist_circumference_cm"] = base.quantize(Decimal("0.1"))
        self.rows.vitals.append(row)
        return row

    def _build_on(self, day: date) -> tuple[Decimal, Decimal]:
        """Height (cm) and weight (kg) on ``day``: growth curve medians scaled by the patient's
        percentiles for children; a fixed height and a drifting BMI for adults."""
        age = self.age_on(day)
        adult_height = {"female": 162.0, "male": 176.0}.get(self.sex, 169.0) \
            + 6.8 * self.height_z
        if age >= 18:
            height = adult_height - max(0.0, age - 70) * 0.15
            drift = (self.today - day).days / 365.25 * self.rng.uniform(-0.15, 0.05)
            weight = (self.adult_bmi - drift) * (height / 100) ** 2
        else:
            height = min(interpolate(HEIGHT, age) * (1 + 0.04 * self.height_z), adult_height)
            weight = (interpolate(WEIGHT, age) * (1 + 0.04 * self.height_z) ** 2
                      * (1 + 0.08 * self.weight_z))
            if age >= 12:
                weight = max(weight, (self.adult_bmi - 4) * (height / 100) ** 2)
        weight *= 1 + self.rng.uniform(-0.01, 0.01)
        step = "0.001" if age < 2 else "0.1"
        return (Decimal(f"{height:.1f}"), Decimal(str(weight)).quantize(Decimal(step)))

    def _head(self, age: float) -> Decimal:
        return Decimal(f"{interpolate(HEAD_CIRCUMFERENCE, age) * (1 + 0.03 * self.height_z):.1f}")

    # -- the lists --

    def _write_lists(self) -> None:
        staff, rng = self.staff, self.rng
        for condition in self.conditions:
            index = self.diagnosed.get(condition.code)
            if index is None:
                continue
            visit = self.visits[index]
            self.rows.problems.append({
                **tracked(staff.clinic_id, new_id(), visit.on, staff.physician),
                "patient_id": self.patient_id, "encounter_id": visit.id,
                "code_system": "ICD-10-CM", "code": condition.code, "title": condition.title,
                "status": condition.problem_status, "onset_on": self.onsets[condition.code],
                "resolved_on": None, "notes": None})
        for visit in self.visits:
            complaint = visit.complaint
            if complaint is not None and visit.status == "signed" and rng.random() < 0.3:
                resolved = visit.on.date() + timedelta(days=complaint.days + 4)
                done = resolved < self.today
                self.rows.problems.append({
                    **tracked(staff.clinic_id, new_id(), visit.on, staff.physician),
                    "patient_id": self.patient_id, "encounter_id": visit.id,
                    "code_system": "ICD-10-CM", "code": complaint.code,
                    "title": complaint.title, "status": "resolved" if done else "active",
                    "onset_on": visit.on.date() - timedelta(days=2),
                    "resolved_on": resolved if done else None, "notes": None})
        self._write_allergies()

    def _treat(self, condition: Condition, index: int) -> None:
        """The condition's medication from the visit it was noted in; later visits may change
        the dose or switch to another drug (with the reason)."""
        if condition.drug is None:
            return
        first = self.visits[index]
        drug = condition.drug.for_age(self.age_on(first.on.date()))
        later = [v for v in self.visits[index + 1:] if v.status == "signed"]
        first.notes.append(f"Start {drug.text}.")
        if condition.switch is not None and later and self.rng.random() < 0.25:
            reason, replacement = condition.switch
            visit = self.rng.choice(later)
            self._medication(drug, start=first.on.date(), visit=first, end=visit.on.date(),
                             finish=("discontinued", reason), finish_visit=visit)
            visit.notes.append(f"Stop {drug.name} ({_lower_first(reason)}); start "
                               f"{replacement.text}.")
            self._medication(replacement, start=visit.on.date(), visit=visit)
            return
        changed = None
        if condition.titrate is not None and later and self.rng.random() < 0.3:
            changed = self.rng.choice(later)
            changed.notes.append(f"Increase {drug.name} to {condition.titrate[0]} "
                                 f"{drug.unit}: {_lower_first(condition.titrate[1])}.")
        self._medication(drug, start=first.on.date(), visit=first, titrate=(
            (changed, condition.titrate) if changed is not None and condition.titrate else None))

    def _medication(
        self, drug: Drug, *, start: date, visit: _Visit, end: date | None = None,
        finish: tuple[str, str | None] | None = None, finish_visit: _Visit | None = None,
        titrate: tuple[_Visit, tuple[str, str]] | None = None,
    ) -> None:
        staff = self.staff
        medication_id = new_id()
        row: dict[str, Any] = {
            **tracked(staff.clinic_id, medication_id, visit.on, staff.physician),
            "patient_id": self.patient_id, "encounter_id": visit.id, "name": drug.name,
            "dose": None if drug.dose is None else Decimal(drug.dose),
            "dose_unit": drug.unit, "route": drug.route, "frequency": drug.frequency,
            "start_on": start, "end_on": None, "prescriber_id": staff.physician,
            "prescriber_name": None, "status": "active", "status_reason": None,
            "instructions": drug.instructions}
        self._history(row, "started", visit.on + timedelta(minutes=30), None)
        if titrate is not None:
            when, (dose, reason) = titrate
            row["dose"], row["version"] = Decimal(dose), row["version"] + 1
            row["updated_at"] = when.on + timedelta(minutes=30)
            self._history(row, "changed", row["updated_at"], reason)
        if finish is not None and end is not None:
            status, reason = finish
            stopped_at = (finish_visit.on + timedelta(minutes=30) if finish_visit is not None
                          else self._local(end, 12, open_days=False))
            row.update(status=status, status_reason=reason, end_on=end,
                       version=row["version"] + 1, updated_at=stopped_at)
            self._history(row, status, stopped_at, reason)
        self.rows.medications.append(row)

    def _history(self, row: dict[str, Any], change: str, at: datetime,
                 reason: str | None) -> None:
        """The history row with the medication as it stood after the change (the same JSON
        snapshot ``medications._record`` keeps)."""
        after = {name: row[name] for name in _SNAPSHOT}
        after["dose"] = None if row["dose"] is None else format(plain_dose(row["dose"]), "f")
        for name in ("start_on", "end_on", "prescriber_id"):
            after[name] = None if row[name] is None else str(row[name])
        self.rows.history.append({
            **tracked(self.staff.clinic_id, new_id(), at, self.staff.physician),
            "medication_id": row["id"], "patient_id": self.patient_id, "change": change,
            "changed_at": at, "reason": reason, "after": after})

    def _write_allergies(self) -> None:
        staff = self.staff
        first = self.visits[0].on
        if self.allergy_state == "none_recorded":
            return
        for allergen in ALLERGENS:
            if allergen.allergen not in self.allergens:
                continue
            onset = None
            if self.rng.random() < 0.5:
                onset = self.born + timedelta(days=self.rng.randint(
                    int(allergen.min_age * 365), max(int(allergen.min_age * 365),
                                                     (first.date() - self.born).days)))
            self.rows.allergies.append({
                **tracked(staff.clinic_id, new_id(), first, staff.nurse),
                "patient_id": self.patient_id, "allergen": allergen.allergen,
                "allergen_type": allergen.allergen_type, "reaction": allergen.reaction,
                "severity": allergen.severity, "onset_on": onset, "status": "active",
                "notes": None})
        self.rows.reviews.append({
            **tracked(staff.clinic_id, new_id(), first, staff.nurse),
            "patient_id": self.patient_id,
            "no_known_allergies": self.allergy_state == "no_known", "reviewed_at": first})

    def _write_immunizations(self) -> None:
        staff, rng = self.staff, self.rng
        by_well_child = {v.well_child: v for v in self.visits
                         if v.well_child is not None and v.status == "signed"}
        first = self.visits[0].on.date()
        at_visit: dict[uuid.UUID, list[str]] = {}
        # A child's whole record (doses before the chart reported from the registry); an
        # adult's childhood doses only if given here.
        childhood = [shot for shot in child_vaccinations(self.born, self.today, rng)
                     if self.age < 18 or shot.on >= first]
        given: list[Vaccination] = [
            *childhood,
            *adult_vaccinations(self.born, first, self.today, rng,
                                chronic=bool(self.conditions))]
        for shot in given:
            visit = by_well_child.get(shot.well_child) if shot.well_child is not None else None
            on = visit.on.date() if visit is not None else shot.on
            if on > self.today or on < self.born:
                continue
            here = on >= first
            vaccine = find_vaccine(shot.cvx)
            if vaccine is None:
                raise LookupError(f"CVX {shot.cvx} is not in cvx.toml")
            at = visit.on if visit is not None else self._local(on)
            self.rows.immunizations.append({
                **tracked(staff.clinic_id, new_id(), at, staff.nurse),
                "patient_id": self.patient_id,
                "encounter_id": visit.id if visit is not None else None,
                "cvx_code": vaccine.cvx, "vaccine": vaccine.name, "administered_on": on,
                "lot_number": f"{rng.choice('ABCDEFHJKLMPRSTUW')}{rng.randint(10000, 99999)}"
                if here else None,
                "manufacturer": shot.manufacturer if here else None,
                "route": shot.route, "site": shot.site if here else None,
                "administered_by_id": staff.nurse if here else None,
                "administered_by": None if here else rng.choice(
                    ("Previous pediatrician", "County health department", "Pharmacy",
                     "Outside record")),
                "notes": None if here else "Reported from the immunization registry"})
            if visit is not None:
                lot = self.rows.immunizations[-1]["lot_number"]
                site = f", {shot.site.replace('_', ' ')}" if shot.site else ""
                at_visit.setdefault(visit.id, []).append(
                    f"{vaccine.name} (CVX {vaccine.cvx}), lot {lot}, {shot.route}{site}")
        for visit in self.visits:
            if visit.id in at_visit:
                self.rows.notes.append({
                    **tracked(staff.clinic_id, new_id(), visit.on + timedelta(minutes=40),
                               staff.nurse),
                    "patient_id": self.patient_id, "encounter_id": visit.id,
                    "note_type": "nursing", "title": "Immunizations given",
                    "body": "\n".join(at_visit[visit.id]) + "\nVaccine information statements "
                    "given to the parent. Observed 15 minutes: no reaction."})


_SNAPSHOT = ("name", "dose", "dose_unit", "route", "frequency", "start_on", "end_on",
             "prescriber_id", "prescriber_name", "status", "status_reason", "instructions")


def _lower_first(text: str) -> str:
    """"Dry cough" -> "dry cough", but "ACE inhibitor" stays."""
    return text if text[1:2].isupper() else text[:1].lower() + text[1:]


def tracked(clinic_id: uuid.UUID, row_id: uuid.UUID, at: datetime,
             by: uuid.UUID) -> dict[str, Any]:
    """The columns every row carries (DESIGN §3), dated when it happened in the story."""
    at = min(at, utcnow())
    return {"id": row_id, "clinic_id": clinic_id, "created_at": at, "updated_at": at,
            "created_by": by, "updated_by": by, "version": 1, "deleted_at": None}


def _vitals_line(vitals: dict[str, Any]) -> str:
    parts = []
    if vitals["systolic"] is not None:
        parts.append(f"BP {vitals['systolic']}/{vitals['diastolic']}")
    parts += [f"HR {vitals['pulse']}", f"RR {vitals['respiration']}",
              f"T {vitals['temperature_c']} °C", f"SpO2 {vitals['spo2']}% on room air",
              f"Ht {vitals['height_cm']} cm", f"Wt {plain_dose(vitals['weight_kg'])} kg"]
    if vitals["bmi"] is not None:
        parts.append(f"BMI {vitals['bmi']}")
    if vitals["head_circumference_cm"] is not None:
        parts.append(f"HC {vitals['head_circumference_cm']} cm")
    return "Vitals: " + ", ".join(parts) + "."
