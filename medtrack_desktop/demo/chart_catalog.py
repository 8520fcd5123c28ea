"""What the demo charts are made of: conditions with their medications, acute complaints,
allergens, the review of systems in words, the well-child schedule and the vaccines by age.

Codes are real: ICD-10-CM titles as the code set prints them (a test checks each against
``icd10.get_code``), CVX codes from ``resources/seed/cvx.toml``. Doses are ordinary adult (or
child) doses of the drugs named; the demo is not clinical advice.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise


@dataclass(frozen=True)
class Drug:
    name: str
    dose: str | None
    unit: str | None
    route: str
    frequency: str
    instructions: str | None = None
    child: Drug | None = None  # the form and dose given under 12
    avoid_with: tuple[str, ...] = ()  # allergens that rule it out

    def for_age(self, age: float) -> Drug:
        return self.child if self.child is not None and age < 12 else self

    @property
    def text(self) -> str:
        dose = f"{self.dose} {self.unit} " if self.dose else ""
        return f"{self.name} {dose}{self.route} {self.frequency}"


@dataclass(frozen=True)
class Condition:
    """A chronic condition: how likely by age (and sex), how it is treated and followed."""

    code: str
    title: str  # the ICD-10-CM title
    words: str  # how a note names it
    odds: tuple[tuple[float, float], ...]  # (age, probability) points, linear between
    plan: str
    drug: Drug | None = None
    sex_weights: tuple[float, float] = (1.0, 1.0)  # female, male
    min_age: float = 0
    switch: tuple[str, Drug] | None = None  # why the first drug is stopped, and what follows
    titrate: tuple[str, str] | None = None  # a higher dose, and why
    exam: str | None = None
    ros: tuple[str, str] | None = None  # a positive finding of the review of systems
    interval: str = ""  # what the patient reports at follow-up
    status_words: str = "stable on current treatment"
    problem_status: str = "chronic"
    follow_up: bool = True

    def chance(self, age: float, sex: str) -> float:
        if age < self.min_age:
            return 0.0
        female, male = self.sex_weights
        weight = female if sex == "female" else male if sex == "male" else (female + male) / 2
        return min(1.0, interpolate(self.odds, age) * weight)


@dataclass(frozen=True)
class Complaint:
    """The reason for an acute visit and what was found and done."""

    reason: str
    code: str
    title: str
    ages: tuple[float, float]
    history: str
    exam: str
    assessment: str
    plan: str
    ros: tuple[str, str]
    fever: bool = False
    pain: int = 0
    course: Drug | None = None
    alternative: Drug | None = None
    days: int = 10
    sex: str | None = None

    def fits(self, age: float, sex: str) -> bool:
        return self.ages[0] <= age < self.ages[1] and self.sex in (None, sex)


@dataclass(frozen=True)
class Allergen:
    allergen: str
    allergen_type: str
    reaction: str
    severity: str | None
    min_age: float = 0


@dataclass(frozen=True)
class Vaccination:
    cvx: str
    on: date
    route: str
    site: str | None
    manufacturer: str
    well_child: int | None = None  # given at this WELL_CHILD visit when it took place


def interpolate(points: Sequence[tuple[float, float]], x: float) -> float:
    """Linear between the points, the last value after them, 0 before the first."""
    if x < points[0][0]:
        return 0.0
    for (x0, y0), (x1, y1) in pairwise(points):
        if x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return points[-1][1]


_ONCE = "once daily"
_TWICE = "twice daily"
_PENICILLINS = ("Penicillin", "Amoxicillin")

CHRONIC: tuple[Condition, ...] = (
    Condition(
        "I10", "Essential (primary) hypertension", "hypertension",
        ((20, 0.02), (40, 0.15), (55, 0.35), (65, 0.5), (80, 0.65)),
        "Home blood pressure log; goal below 130/80; low-salt diet; BMP yearly.",
        Drug("Lisinopril", "10", "mg", "oral", _ONCE), min_age=20,
        switch=("Dry cough on ACE inhibitor", Drug("Losartan", "50", "mg", "oral", _ONCE)),
        titrate=("20", "Blood pressure above goal on 10 mg"),
        interval="Home readings mostly 120s-130s over 80s.", status_words="controlled"),
    Condition(
        "E11.9", "Type 2 diabetes mellitus without complications", "type 2 diabetes",
        ((25, 0.01), (40, 0.06), (55, 0.14), (65, 0.2), (85, 0.2)),
        "A1c every 3-6 months; yearly eye and foot exams, urine albumin.",
        Drug("Metformin", "500", "mg", "oral", _TWICE, "Take with meals"), min_age=20,
        titrate=("1000", "A1c 7.6 %, above goal"),
        exam="Feet: monofilament sensation intact, pulses 2+, no ulcers.",
        interval="Checks sugars a few times a week; no lows.",
        status_words="A1c at goal on metformin"),
    Condition(
        "E78.5", "Hyperlipidemia, unspecified", "hyperlipidemia",
        ((25, 0.02), (40, 0.12), (55, 0.3), (70, 0.4)),
        "Lipid panel yearly; diet and exercise reviewed.",
        Drug("Atorvastatin", "20", "mg", "oral", "once daily at bedtime"), min_age=25,
        switch=("Muscle aches on atorvastatin",
                Drug("Rosuvastatin", "10", "mg", "oral", _ONCE)),
        status_words="LDL at goal on statin"),
    Condition(
        "E03.9", "Hypothyroidism, unspecified", "hypothyroidism",
        ((15, 0.01), (40, 0.05), (60, 0.09), (80, 0.1)),
        "TSH 6-8 weeks after any dose change, then yearly.",
        Drug("Levothyroxine", "50", "mcg", "oral", "once daily before breakfast",
             "On an empty stomach, 30 minutes before food"),
        sex_weights=(1.6, 0.4), min_age=12, titrate=("75", "TSH 6.8 mIU/L, above range"),
        interval="Energy better since starting levothyroxine.", status_words="euthyroid"),
    Condition(
        "K21.9", "Gastro-esophageal reflux disease without esophagitis", "GERD",
        ((12, 0.01), (30, 0.07), (50, 0.12), (80, 0.12)),
        "Avoid late meals; raise the head of the bed; step down PPI when settled.",
        Drug("Omeprazole", "20", "mg", "oral", "once daily before breakfast"), min_age=12,
        ros=("gastrointestinal", "Heartburn after large meals, better on omeprazole."),
        problem_status="active", status_words="symptoms controlled"),
    Condition(
        "F32.A", "Depression, unspecified", "depression",
        ((13, 0.01), (20, 0.07), (60, 0.06), (85, 0.05)),
        "PHQ-9 at each visit; counseling referral; safety plan reviewed.",
        Drug("Sertraline", "50", "mg", "oral", _ONCE), sex_weights=(1.3, 0.7), min_age=13,
        switch=("Nausea and poor sleep on sertraline",
                Drug("Escitalopram", "10", "mg", "oral", _ONCE)),
        ros=("psychiatric", "Mood improving; sleeping better; no thoughts of self-harm."),
        problem_status="active", status_words="improving, PHQ-9 down to 8"),
    Condition(
        "F41.1", "Generalized anxiety disorder", "generalized anxiety",
        ((14, 0.02), (30, 0.07), (60, 0.04), (85, 0.03)),
        "Cognitive behavioral therapy; GAD-7 at follow-up.",
        Drug("Buspirone", "7.5", "mg", "oral", _TWICE), sex_weights=(1.4, 0.6), min_age=14,
        ros=("psychiatric", "Worry less constant; sleeping through most nights."),
        problem_status="active", status_words="better with therapy and buspirone"),
    Condition(
        "M17.9", "Osteoarthritis of knee, unspecified", "knee osteoarthritis",
        ((45, 0.02), (60, 0.12), (75, 0.25), (90, 0.3)),
        "Quadriceps strengthening, weight management; acetaminophen before NSAIDs.",
        Drug("Acetaminophen", "500", "mg", "oral", "every 6 hours as needed for pain",
             "No more than 3,000 mg a day"), min_age=40,
        exam="Knees: crepitus both sides, no effusion, full extension.",
        ros=("musculoskeletal", "Knee pain on stairs; morning stiffness under 30 minutes."),
        status_words="pain manageable, walking daily"),
    Condition(
        "J45.909", "Unspecified asthma, uncomplicated", "asthma",
        ((2, 0.04), (6, 0.09), (18, 0.08), (60, 0.06), (90, 0.05)),
        "Asthma action plan reviewed; inhaler and spacer technique checked.",
        Drug("Albuterol HFA 90 mcg/actuation", "2", "puffs", "inhaled",
             "every 4-6 hours as needed for wheeze", "Use with a spacer"), min_age=2,
        ros=("respiratory", "Occasional wheeze with colds; rescue inhaler twice a month."),
        status_words="well controlled"),
    Condition(
        "J30.9", "Allergic rhinitis, unspecified", "allergic rhinitis",
        ((2, 0.04), (10, 0.12), (40, 0.1), (80, 0.05)),
        "Allergen avoidance; saline rinses in season.",
        Drug("Cetirizine", "10", "mg", "oral", _ONCE,
             child=Drug("Cetirizine oral solution 1 mg/mL", "5", "mL", "oral", _ONCE)),
        min_age=2, ros=("allergic", "Sneezing and itchy eyes in spring."),
        problem_status="active", status_words="seasonal, controlled", follow_up=False),
    Condition(
        "L20.9", "Atopic dermatitis, unspecified", "eczema",
        ((0.3, 0.1), (5, 0.08), (12, 0.04), (30, 0.02), (60, 0.01)),
        "Fragrance-free emollient twice daily; short lukewarm baths.",
        Drug("Hydrocortisone 2.5 % cream", None, None, "topical",
             "twice daily to affected areas", "Thin layer, up to 7 days at a time"),
        exam="Skin: dry, lichenified patches in the elbow creases.",
        ros=("integumentary", "Dry itchy patches in the elbow creases."),
        problem_status="active", status_words="flares in winter", follow_up=False),
    Condition(
        "F90.9", "Attention-deficit hyperactivity disorder, unspecified type", "ADHD",
        ((6, 0.08), (17, 0.08), (25, 0.04), (50, 0.02)),
        "School reports reviewed; appetite, sleep and growth checked.",
        Drug("Methylphenidate ER", "18", "mg", "oral", "once daily in the morning"),
        sex_weights=(0.6, 1.4), min_age=6,
        interval="Teacher reports better focus; appetite lower at lunch.",
        status_words="doing better at school"),
    Condition(
        "I48.91", "Unspecified atrial fibrillation", "atrial fibrillation",
        ((55, 0.01), (70, 0.06), (85, 0.1)),
        "Rate control and anticoagulation continued; CBC and creatinine yearly.",
        Drug("Apixaban", "5", "mg", "oral", _TWICE), min_age=50,
        ros=("cardiovascular", "Occasional palpitations; no chest pain or fainting."),
        status_words="rate controlled, anticoagulated"),
    Condition(
        "N40.0", "Benign prostatic hyperplasia without lower urinary tract symptoms", "BPH",
        ((50, 0.1), (65, 0.3), (85, 0.45)),
        "Symptoms reviewed; PSA discussed.",
        Drug("Tamsulosin", "0.4", "mg", "oral", "once daily at bedtime"),
        sex_weights=(0.0, 1.0), min_age=50, status_words="stable", follow_up=False),
    Condition(
        "M81.0", "Age-related osteoporosis without current pathological fracture",
        "osteoporosis", ((55, 0.03), (65, 0.12), (85, 0.25)),
        "Calcium and vitamin D; fall prevention; DEXA in 2 years.",
        Drug("Alendronate", "70", "mg", "oral", "once weekly",
             "With a full glass of water; stay upright 30 minutes"),
        sex_weights=(1.0, 0.15), min_age=50, follow_up=False),
    Condition(
        "E55.9", "Vitamin D deficiency, unspecified", "vitamin D deficiency",
        ((18, 0.04), (60, 0.08), (90, 0.1)),
        "Recheck 25-OH vitamin D in 3 months.",
        Drug("Cholecalciferol", "2000", "units", "oral", _ONCE), min_age=18,
        problem_status="active", status_words="on replacement", follow_up=False),
    Condition(
        "G43.909", "Migraine, unspecified, not intractable, without status migrainosus",
        "migraine", ((12, 0.03), (25, 0.1), (50, 0.07), (70, 0.03)),
        "Headache diary; triggers reviewed.",
        Drug("Sumatriptan", "50", "mg", "oral", "at onset of migraine; may repeat once "
             "after 2 hours"), sex_weights=(1.5, 0.5), min_age=12,
        ros=("neurological", "Two or three migraines a month, relieved by sumatriptan."),
        problem_status="active", status_words="episodic", follow_up=False),
    Condition(
        "J44.9", "Chronic obstructive pulmonary disease, unspecified", "COPD",
        ((45, 0.01), (60, 0.05), (75, 0.08)),
        "Spirometry yearly; pulmonary rehab offered; vaccines up to date.",
        Drug("Tiotropium Respimat 2.5 mcg/actuation", "2", "puffs", "inhaled", _ONCE),
        min_age=40, ros=("respiratory", "Breathless on hills; no change in sputum."),
        exam="Lungs: diminished breath sounds, no wheeze.", status_words="stable, no "
        "exacerbations this year"),
    Condition(
        "E66.9", "Obesity, unspecified", "obesity", ((12, 0.0),),
        "Nutrition counseling; 150 minutes of activity a week; weight goal set.",
        min_age=12, problem_status="active", status_words="weight discussed",
        follow_up=False),
    Condition(
        "R73.03", "Prediabetes", "prediabetes", ((25, 0.02), (45, 0.08), (70, 0.1)),
        "A1c yearly; diet and activity counseling.", min_age=25, problem_status="active",
        status_words="A1c 5.9 %", follow_up=False),
    Condition(
        "F17.210", "Nicotine dependence, cigarettes, uncomplicated", "tobacco use",
        ((18, 0.08), (40, 0.1), (70, 0.06), (90, 0.03)),
        "Counseled on quitting (3 minutes); quitline number given.",
        min_age=18, problem_status="active", status_words="not ready to quit",
        follow_up=False),
    Condition(
        "N18.30", "Chronic kidney disease, stage 3 unspecified", "CKD stage 3",
        ((60, 0.03), (75, 0.08), (90, 0.12)),
        "eGFR and urine albumin every 6 months; avoid NSAIDs.", min_age=55,
        status_words="eGFR stable at 48"),
)

# Rough medians by age in years (CDC/WHO growth charts, both sexes): height cm, weight kg,
# head circumference cm. Good enough for plausible demo values, not for clinical use.
HEIGHT = ((0, 50), (1 / 6, 58), (1 / 3, 63), (0.5, 67), (0.75, 71), (1, 75), (1.5, 81),
          (2, 87), (3, 95), (4, 102), (5, 109), (8, 127), (10, 138), (12, 150), (14, 162),
          (16, 168), (18, 170))
WEIGHT = ((0, 3.4), (1 / 6, 5.2), (1 / 3, 6.7), (0.5, 7.7), (0.75, 8.8), (1, 9.8),
          (1.5, 11), (2, 12.3), (3, 14.3), (4, 16.3), (5, 18.4), (8, 25.5), (10, 32),
          (12, 40), (14, 50), (16, 58), (18, 64))
HEAD_CIRCUMFERENCE = ((0, 34.5), (1 / 6, 39), (1 / 3, 41), (0.5, 43), (0.75, 44.5),
                      (1, 46), (1.5, 47.5), (2, 48.3))

# The code of a checkup: (a child, something found) -> (code, title).
EXAMS: dict[tuple[bool, bool], tuple[str, str]] = {
    (True, False): ("Z00.129", "Encounter for routine child health examination without "
                               "abnormal findings"),
    (True, True): ("Z00.121", "Encounter for routine child health examination with abnormal "
                              "findings"),
    (False, False): ("Z00.00", "Encounter for general adult medical examination without "
                               "abnormal findings"),
    (False, True): ("Z00.01", "Encounter for general adult medical examination with abnormal "
                              "findings"),
}

_AMOXICILLIN_CHILD = Drug("Amoxicillin oral suspension 400 mg/5 mL", "5", "mL", "oral",
                          _TWICE, "For 10 days", avoid_with=_PENICILLINS)
_AZITHROMYCIN_CHILD = Drug("Azithromycin oral suspension 200 mg/5 mL", "4", "mL", "oral",
                           _ONCE, "For 5 days")
ACUTE: tuple[Complaint, ...] = (
    Complaint(
        "Fever and ear pain", "H66.90", "Otitis media, unspecified, unspecified ear", (0.5, 8),
        "2 days of fever and ear pulling; no vomiting",
        "Ears: right tympanic membrane bulging and red; left normal.",
        "acute otitis media, right.", "Return if not better in 48-72 hours.",
        ("ent", "Ear pain, fever."), fever=True, pain=4,
        course=Drug("Amoxicillin", "500", "mg", "oral", "three times daily", "For 10 days",
                    child=_AMOXICILLIN_CHILD, avoid_with=_PENICILLINS),
        alternative=Drug("Azithromycin", "250", "mg", "oral", _ONCE, "For 5 days",
                         child=_AZITHROMYCIN_CHILD), days=10),
    Complaint(
        "Cough and runny nose", "J06.9", "Acute upper respiratory infection, unspecified",
        (0.3, 100), "4 days of cough, runny nose and mild sore throat",
        "Nose: congested. Throat: mildly red. Lungs: clear, no increased work of breathing.",
        "viral, no sign of pneumonia.",
        "Fluids, rest, saline; honey for cough if over 1 year; return if fever beyond 3 days "
        "or breathing is hard.", ("respiratory", "Cough and congestion."), fever=True,
        days=7),
    Complaint(
        "Sore throat", "J02.9", "Acute pharyngitis, unspecified", (3, 60),
        "2 days of sore throat and fever; no cough",
        "Throat: tonsils enlarged and red, no exudate. Neck: tender anterior nodes. "
        "Rapid strep negative.", "likely viral; throat culture sent.",
        "Salt-water gargles, acetaminophen or ibuprofen; we call if the culture is positive.",
        ("ent", "Sore throat, painful swallowing."), fever=True, pain=5, days=7),
    Complaint(
        "Sinus pressure and congestion", "J01.90", "Acute sinusitis, unspecified", (18, 90),
        "12 days of facial pressure, thick nasal discharge, worse after initial improvement",
        "Nose: purulent discharge; maxillary sinuses tender.", "bacterial sinusitis likely.",
        "Nasal saline irrigation; return if fever or eye swelling.",
        ("ent", "Facial pressure, thick nasal discharge."), pain=4,
        course=Drug("Amoxicillin-clavulanate", "875", "mg", "oral", _TWICE, "For 7 days",
                    avoid_with=_PENICILLINS),
        alternative=Drug("Doxycycline", "100", "mg", "oral", _TWICE, "For 7 days"), days=7),
    Complaint(
        "Cough for 10 days", "J20.9", "Acute bronchitis, unspecified", (18, 100),
        "10 days of cough with clear sputum after a cold; no fever now",
        "Lungs: scattered rhonchi that clear with cough; no crackles.",
        "no pneumonia on exam; antibiotics not indicated.",
        "Fluids; honey and warm drinks; return if breathless or febrile.",
        ("respiratory", "Productive cough."), days=14),
    Complaint(
        "Burning with urination", "N39.0", "Urinary tract infection, site not specified",
        (16, 90), "2 days of burning and frequency; no fever or back pain",
        "Abdomen: mild suprapubic tenderness; no CVA tenderness. Urine dip: leukocytes and "
        "nitrites positive.", "uncomplicated cystitis.",
        "Fluids; urine culture sent; return if fever or flank pain.",
        ("genitourinary", "Dysuria and frequency."), pain=3,
        course=Drug("Nitrofurantoin monohydrate/macrocrystals", "100", "mg", "oral", _TWICE,
                    "With food, for 5 days"), days=5, sex="female"),
    Complaint(
        "Low back pain", "M54.50", "Low back pain, unspecified", (20, 80),
        "back pain for a week after lifting boxes; no leg weakness, numbness or bladder change",
        "Back: paraspinal tenderness, straight-leg raise negative, strength and reflexes "
        "normal.", "mechanical strain, no red flags.",
        "Stay active; heat; physical therapy exercises given.",
        ("musculoskeletal", "Low back pain without radiation."), pain=6,
        course=Drug("Naproxen", "500", "mg", "oral", _TWICE, "With food, for 10 days"),
        days=10),
    Complaint(
        "Right ankle injury", "S93.401A",
        "Sprain of unspecified ligament of right ankle, initial encounter", (8, 50),
        "rolled the right ankle playing sports yesterday; able to walk with a limp",
        "Right ankle: swelling over the ATFL, no bony tenderness (Ottawa rules negative).",
        "sprain, no fracture suspected.", "Rest, ice, compression, elevation; brace; "
        "return if not improving in 2 weeks.", ("musculoskeletal", "Right ankle pain."),
        pain=5, days=14),
    Complaint(
        "Headache", "R51.9", "Headache, unspecified", (12, 60),
        "3 days of band-like headache, worse at the end of the workday; no vision change",
        "Neuro: cranial nerves intact, no papilledema, normal gait.",
        "tension-type features, normal neuro exam.",
        "Sleep, hydration, screen breaks; headache diary.", ("neurological", "Headache."),
        pain=4, days=7),
    Complaint(
        "Right knee pain", "M25.561", "Pain in right knee", (30, 75),
        "right knee pain for 3 weeks after starting to run; no locking or giving way",
        "Right knee: no effusion, tender at the medial joint line, ligaments stable.",
        "overuse; no instability.", "Relative rest, ice; quadriceps exercises.",
        ("musculoskeletal", "Right knee pain with activity."), pain=4, days=21),
    Complaint(
        "Acne", "L70.0", "Acne vulgaris", (12, 25),
        "acne on the face and upper back for a year, not better with washes",
        "Skin: comedones and inflammatory papules on forehead and cheeks, no cysts.",
        "moderate inflammatory acne.", "Gentle cleanser, non-comedogenic moisturizer.",
        ("integumentary", "Acne on face and back."),
        course=Drug("Adapalene 0.1 % gel", None, None, "topical", "once daily at bedtime",
                    "Pea-sized amount to the whole face"), days=90),
    Complaint(
        "Constipation", "K59.00", "Constipation, unspecified", (2, 10),
        "hard, painful stools every 3-4 days for a month",
        "Abdomen: soft, stool palpable in the left lower quadrant.", "functional constipation.",
        "More fruit, water and fiber; toilet routine after meals.",
        ("gastrointestinal", "Infrequent hard stools."), pain=2,
        course=Drug("Polyethylene glycol 3350", "8.5", "g", "oral", _ONCE,
                    "Mixed in 4 oz of water, for 14 days"), days=14),
)

ALLERGENS: tuple[Allergen, ...] = (
    Allergen("Penicillin", "drug", "Hives", "moderate"),
    Allergen("Sulfamethoxazole-trimethoprim (sulfa)", "drug", "Rash", "mild"),
    Allergen("Amoxicillin", "drug", "Rash", "mild"),
    Allergen("Codeine", "drug", "Nausea and vomiting", "mild", min_age=12),
    Allergen("Ibuprofen", "drug", "Hives and facial swelling", "moderate", min_age=2),
    Allergen("Peanuts", "food", "Anaphylaxis", "severe", min_age=1),
    Allergen("Shellfish", "food", "Hives and lip swelling", "moderate", min_age=3),
    Allergen("Eggs", "food", "Hives", "mild", min_age=0.5),
    Allergen("Latex", "environmental", "Contact dermatitis", "mild", min_age=5),
    Allergen("Bee stings", "environmental", "Anaphylaxis", "severe", min_age=3),
    Allergen("Cat dander", "environmental", "Sneezing, itchy eyes", "mild", min_age=2),
    Allergen("Adhesive tape", "other", "Skin blistering", None, min_age=5),
)

ROS_NEGATIVE: dict[str, str] = {
    "constitutional": "No fever, chills, fatigue or weight change.",
    "eyes": "No vision change or eye pain.",
    "ent": "No ear pain, sore throat or congestion.",
    "cardiovascular": "No chest pain, palpitations or leg swelling.",
    "respiratory": "No cough, wheeze or shortness of breath.",
    "gastrointestinal": "No abdominal pain, nausea, vomiting, diarrhea or constipation.",
    "genitourinary": "No dysuria, frequency or blood in urine.",
    "musculoskeletal": "No joint pain or swelling.",
    "integumentary": "No rash or new skin lesions.",
    "neurological": "No headache, dizziness, numbness or weakness.",
    "psychiatric": "No depressed mood or anxiety.",
    "endocrine": "No heat or cold intolerance, excessive thirst or urination.",
    "hematologic": "No easy bruising or bleeding.",
    "allergic": "No seasonal allergy symptoms.",
}
ROS_NEGATIVE_YOUNG: dict[str, str] = {
    "constitutional": "Active, feeding well, no fever.",
    "ent": "No ear pulling or nasal discharge.",
    "respiratory": "No cough or noisy breathing.",
    "gastrointestinal": "No vomiting or diarrhea; normal stools.",
    "genitourinary": "Normal wet diapers.",
    "integumentary": "No rash.",
}

# Well-child visits: (age in days, label).
WELL_CHILD: tuple[tuple[int, str], ...] = (
    (4, "newborn"), (61, "2 months"), (122, "4 months"), (183, "6 months"),
    (274, "9 months"), (365, "12 months"), (456, "15 months"), (548, "18 months"),
    (730, "2 years"), (913, "30 months"),
    *((round(years * 365.25) + 1, f"{years} years") for years in range(3, 18)),
)
_AT = {label: index for index, (_days, label) in enumerate(WELL_CHILD)}

# The childhood schedule (CDC, simplified): at which well-child visit, which vaccine.
_CHILD_SCHEDULE: tuple[tuple[str, str, str, str | None, str], ...] = (
    ("newborn", "08", "intramuscular", "right_thigh", "Merck"),
    *((label, cvx, route, site, maker) for label in ("2 months", "4 months", "6 months")
      for cvx, route, site, maker in (
          ("110", "intramuscular", "left_thigh", "GlaxoSmithKline"),
          ("48", "intramuscular", "right_thigh", "Sanofi Pasteur"),
          ("PCV", "intramuscular", "left_thigh", "Pfizer"),
          ("116", "oral", "mouth", "Merck"))),
    ("12 months", "03", "subcutaneous", "left_arm", "Merck"),
    ("12 months", "21", "subcutaneous", "right_arm", "Merck"),
    ("12 months", "83", "intramuscular", "left_thigh", "GlaxoSmithKline"),
    ("15 months", "20", "intramuscular", "left_thigh", "Sanofi Pasteur"),
    ("15 months", "48", "intramuscular", "right_thigh", "Sanofi Pasteur"),
    ("15 months", "PCV", "intramuscular", "left_thigh", "Pfizer"),
    ("18 months", "83", "intramuscular", "left_thigh", "GlaxoSmithKline"),
    ("4 years", "130", "intramuscular", "left_deltoid", "Sanofi Pasteur"),
    ("4 years", "94", "subcutaneous", "right_arm", "Merck"),
    ("11 years", "115", "intramuscular", "left_deltoid", "GlaxoSmithKline"),
    ("11 years", "165", "intramuscular", "right_deltoid", "Merck"),
    ("11 years", "114", "intramuscular", "left_deltoid", "Sanofi Pasteur"),
    ("12 years", "165", "intramuscular", "right_deltoid", "Merck"),
    ("16 years", "136", "intramuscular", "left_deltoid", "GlaxoSmithKline"),
)


def _pcv(on: date) -> str:
    return "216" if on >= date(2023, 7, 1) else "133"  # PCV20 replaced PCV13 for infants


def child_vaccinations(born: date, today: date, rng: random.Random) -> Iterator[Vaccination]:
    """The childhood doses due by today (a few missed), each at its well-child visit."""
    for label, cvx, route, site, maker in _CHILD_SCHEDULE:
        index = _AT[label]
        on = born + timedelta(days=WELL_CHILD[index][0] + rng.randint(0, 10))
        if on < today and rng.random() < 0.96:
            yield Vaccination(_pcv(on) if cvx == "PCV" else cvx, on, route, site, maker, index)
    for season in _seasons(max(born + timedelta(days=183), today - timedelta(days=3 * 365)),
                           today):
        if rng.random() < 0.5:
            yield Vaccination("150", season + timedelta(days=rng.randint(0, 40)),
                              "intramuscular", "left_thigh" if season - born < timedelta(
                                  days=3 * 365) else "left_deltoid", "Sanofi Pasteur")


def adult_vaccinations(born: date, first: date, today: date, rng: random.Random, *,
                       chronic: bool) -> Iterator[Vaccination]:
    """Adult doses over the chart's years: influenza most autumns, Tdap, COVID-19 in 2021,
    shingles from 50, pneumococcal from 65."""
    adult_from = born + timedelta(days=18 * 365 + 5)
    start = max(first, adult_from)
    if start >= today:
        return
    age_now = (today - born).days / 365.25
    flu = 0.4 + (0.3 if age_now >= 65 or chronic else 0.0)
    for season in _seasons(max(start, today - timedelta(days=6 * 365)), today):
        if rng.random() < flu:
            cvx = "205" if (season - born).days >= 65 * 365 else rng.choice(("150", "171"))
            yield Vaccination(cvx, season + timedelta(days=rng.randint(0, 50)),
                              "intramuscular", "left_deltoid", "Seqirus")
    if rng.random() < 0.6:
        yield Vaccination("115", start + timedelta(days=rng.randint(0, (today - start).days)),
                          "intramuscular", "left_deltoid", "GlaxoSmithKline")
    covid = date(2021, 4, 1) + timedelta(days=rng.randint(0, 60))
    if start <= covid < today and rng.random() < 0.7:
        yield Vaccination("208", covid, "intramuscular", "left_deltoid", "Pfizer")
        yield Vaccination("208", covid + timedelta(days=21), "intramuscular", "left_deltoid",
                          "Pfizer")
    shingles = max(start, born + timedelta(days=50 * 365 + 30), date(2018, 3, 1))
    if shingles < today - timedelta(days=200) and rng.random() < 0.5:
        yield Vaccination("187", shingles, "intramuscular", "right_deltoid", "GlaxoSmithKline")
        yield Vaccination("187", shingles + timedelta(days=rng.randint(60, 180)),
                          "intramuscular", "right_deltoid", "GlaxoSmithKline")
    pneumo = max(start, born + timedelta(days=65 * 365 + 30), date(2022, 1, 1))
    if pneumo < today and rng.random() < 0.6:
        yield Vaccination("216", pneumo, "intramuscular", "right_deltoid", "Pfizer")


def _seasons(start: date, end: date) -> Iterator[date]:
    """1 October of each flu season between the two dates."""
    for year in range(start.year, end.year + 1):
        season = date(year, 10, 1)
        if start <= season < end - timedelta(days=50):
            yield season
