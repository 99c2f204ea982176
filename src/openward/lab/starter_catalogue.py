"""The laboratory's starter catalogue: the tests, analytes, reference ranges and critical
limits a new hospital begins with, and `seed_catalogue`, which adds the ones it lacks.

Units are SI throughout (mmol/L, µmol/L, g/L, ×10⁹/L; HbA1c in IFCC mmol/mol), as most
hospital laboratories outside the United States report them. Reference ranges are common
adult ranges (sex-specific where it matters, with a few children's ranges); critical limits
follow widely used critical-value lists. A hospital reviews both against its own analysers
before going live."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.lab.models import LabAnalyte, LabReferenceRange, LabTest

D = Decimal


@dataclass(frozen=True)
class Range:
    """A range replacing the default for one sex and/or age band (age_max exclusive)."""

    low: str | None
    high: str | None
    sex: str | None = None
    age_min: int | None = None
    age_max: int | None = None


@dataclass(frozen=True)
class Analyte:
    code: str
    name: str
    unit: str = ""
    low: str | None = None
    high: str | None = None
    critical_low: str | None = None
    critical_high: str | None = None
    normal_text: str | None = None
    ranges: tuple[Range, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Test:
    code: str
    name: str
    specimen: str
    price: str
    turnaround_hours: int
    analytes: tuple[Analyte, ...]


def _negative(code: str, name: str) -> Analyte:
    return Analyte(code, name, normal_text="negative")


CATALOGUE: tuple[Test, ...] = (
    Test(
        "CBC",
        "Complete blood count",
        "Blood (EDTA)",
        "12.00",
        4,
        (
            Analyte(
                "WBC",
                "White blood cells",
                "×10⁹/L",
                "4.0",
                "11.0",
                "1.0",
                "30.0",
                ranges=(Range("5.0", "15.0", age_min=1, age_max=12),),
            ),
            Analyte(
                "RBC",
                "Red blood cells",
                "×10¹²/L",
                "4.0",
                "5.6",
                ranges=(Range("4.5", "5.9", sex="male"), Range("3.8", "5.2", sex="female")),
            ),
            Analyte(
                "HGB",
                "Haemoglobin",
                "g/L",
                "120",
                "170",
                "70",
                "200",
                ranges=(
                    Range("130", "175", sex="male", age_min=16),
                    Range("120", "155", sex="female", age_min=16),
                    Range("110", "145", age_min=1, age_max=16),
                ),
            ),
            Analyte(
                "HCT",
                "Haematocrit",
                "L/L",
                "0.36",
                "0.50",
                "0.20",
                "0.60",
                ranges=(
                    Range("0.40", "0.52", sex="male", age_min=16),
                    Range("0.36", "0.47", sex="female", age_min=16),
                ),
            ),
            Analyte("MCV", "Mean cell volume", "fL", "80", "100"),
            Analyte("MCH", "Mean cell haemoglobin", "pg", "27", "33"),
            Analyte("PLT", "Platelets", "×10⁹/L", "150", "400", "20", "1000"),
        ),
    ),
    Test(
        "BMP",
        "Basic metabolic panel",
        "Serum",
        "18.00",
        4,
        (
            Analyte("GLU", "Glucose", "mmol/L", "3.9", "6.0", "2.5", "25.0"),
            Analyte(
                "UREA",
                "Urea",
                "mmol/L",
                "2.5",
                "7.8",
                critical_high="35.0",
                ranges=(Range("1.8", "6.4", age_min=1, age_max=16),),
            ),
            Analyte(
                "CREA",
                "Creatinine",
                "µmol/L",
                "45",
                "110",
                critical_high="700",
                ranges=(
                    Range("62", "106", sex="male", age_min=16),
                    Range("44", "80", sex="female", age_min=16),
                    Range("20", "60", age_min=1, age_max=16),
                ),
            ),
            Analyte("NA", "Sodium", "mmol/L", "135", "145", "120", "160"),
            Analyte("K", "Potassium", "mmol/L", "3.5", "5.1", "2.8", "6.2"),
            Analyte("CL", "Chloride", "mmol/L", "98", "107"),
            Analyte("HCO3", "Bicarbonate", "mmol/L", "22", "29", "10", "40"),
            Analyte("CA", "Calcium", "mmol/L", "2.15", "2.55", "1.75", "3.25"),
        ),
    ),
    Test(
        "LIPID",
        "Lipid panel",
        "Serum",
        "20.00",
        24,
        (
            Analyte("CHOL", "Total cholesterol", "mmol/L", None, "5.0", critical_high="15.0"),
            Analyte("LDL", "LDL cholesterol", "mmol/L", None, "3.0"),
            Analyte(
                "HDL",
                "HDL cholesterol",
                "mmol/L",
                "1.0",
                None,
                ranges=(Range("1.0", None, sex="male"), Range("1.2", None, sex="female")),
            ),
            Analyte("TRIG", "Triglycerides", "mmol/L", None, "1.7", critical_high="11.3"),
        ),
    ),
    Test(
        "HBA1C",
        "HbA1c (glycated haemoglobin)",
        "Blood (EDTA)",
        "15.00",
        24,
        (Analyte("HBA1C", "HbA1c", "mmol/mol", "20", "41"),),
    ),
    Test(
        "UA",
        "Urinalysis",
        "Urine (midstream)",
        "8.00",
        2,
        (
            _negative("UPRO", "Protein"),
            _negative("UGLU", "Glucose (urine)"),
            _negative("UKET", "Ketones"),
            _negative("UBLD", "Blood (urine)"),
            _negative("ULEU", "Leukocytes"),
            _negative("UNIT", "Nitrite"),
            Analyte("USG", "Specific gravity", "", "1.005", "1.030"),
            Analyte("UPH", "pH", "", "4.5", "8.0"),
        ),
    ),
    Test(
        "TSH",
        "Thyroid-stimulating hormone",
        "Serum",
        "16.00",
        24,
        (
            Analyte(
                "TSH",
                "TSH",
                "mIU/L",
                "0.4",
                "4.0",
                ranges=(Range("0.7", "6.0", age_min=1, age_max=12),),
            ),
        ),
    ),
    Test(
        "LFT",
        "Liver function panel",
        "Serum",
        "20.00",
        6,
        (
            Analyte(
                "ALT",
                "Alanine aminotransferase (ALT)",
                "U/L",
                "7",
                "40",
                critical_high="1000",
                ranges=(Range("10", "50", sex="male"), Range("7", "35", sex="female")),
            ),
            Analyte("AST", "Aspartate aminotransferase (AST)", "U/L", "10", "40"),
            Analyte(
                "ALP",
                "Alkaline phosphatase",
                "U/L",
                "30",
                "130",
                ranges=(Range("100", "390", age_min=1, age_max=16),),
            ),
            Analyte(
                "GGT",
                "Gamma-glutamyl transferase",
                "U/L",
                "6",
                "55",
                ranges=(Range("10", "71", sex="male"), Range("6", "42", sex="female")),
            ),
            Analyte("BILI", "Bilirubin (total)", "µmol/L", "3", "21", critical_high="300"),
            Analyte("ALB", "Albumin", "g/L", "35", "50", "15"),
        ),
    ),
    Test(
        "CRP",
        "C-reactive protein",
        "Serum",
        "10.00",
        4,
        (Analyte("CRP", "C-reactive protein", "mg/L", None, "5"),),
    ),
    Test(
        "COAG",
        "Prothrombin time / INR",
        "Blood (citrate)",
        "12.00",
        2,
        (
            Analyte("PT", "Prothrombin time", "s", "11.0", "13.5", critical_high="40"),
            Analyte("INR", "INR", "", "0.8", "1.2", critical_high="5.0"),
        ),
    ),
    Test(
        "TROP",
        "High-sensitivity troponin I",
        "Serum",
        "25.00",
        1,
        (
            Analyte(
                "TROPI",
                "Troponin I (high-sensitivity)",
                "ng/L",
                None,
                "26",
                critical_high="64",
                ranges=(Range(None, "34", sex="male"), Range(None, "16", sex="female")),
            ),
        ),
    ),
)


def _d(text: str | None) -> Decimal | None:
    return None if text is None else D(text)


async def seed_catalogue(db: AsyncSession) -> int:
    """Add the starter tests a hospital lacks (matched by code; existing ones untouched).
    Returns how many tests were added."""
    existing = set(await db.scalars(select(LabTest.code)))
    added = 0
    for spec in CATALOGUE:
        if spec.code in existing:
            continue
        test = LabTest(
            code=spec.code,
            name=spec.name,
            specimen=spec.specimen,
            price=D(spec.price),
            turnaround_hours=spec.turnaround_hours,
            is_active=True,
        )
        db.add(test)
        await db.flush()
        for position, a in enumerate(spec.analytes):
            analyte = LabAnalyte(
                test_id=test.id,
                code=a.code,
                name=a.name,
                unit=a.unit,
                low=_d(a.low),
                high=_d(a.high),
                critical_low=_d(a.critical_low),
                critical_high=_d(a.critical_high),
                normal_text=a.normal_text,
                position=position,
            )
            db.add(analyte)
            await db.flush()
            for r in a.ranges:
                db.add(
                    LabReferenceRange(
                        analyte_id=analyte.id,
                        sex=r.sex,
                        age_min_years=r.age_min,
                        age_max_years=r.age_max,
                        low=_d(r.low),
                        high=_d(r.high),
                    )
                )
        added += 1
    await db.flush()
    return added
