"""ICD-10 search speed: the real `icd10.search()` the diagnosis type-ahead and the
encounter form call.

    .venv/bin/python bench/icd10_search_bench.py
    .venv/bin/python bench/icd10_search_bench.py --runs 50 --limit 12

Prints the one-off index build, then p50/p95 per query and over all queries, and the first
result of each. The target is under 50 ms per query; it asserts nothing.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

from openward.clinical import icd10

# What clinicians type: whole terms, the first letters of one, codes, and the words of
# longer descriptions; single letters are the type-ahead's worst case.
QUERIES = (
    "hypertension",
    "hypert",
    "diabetes",
    "type 2 diab",
    "asthma",
    "i10",
    "E11",
    "e11.9",
    "J45",
    "copd",
    "uti",
    "back pain",
    "chest pain",
    "depression",
    "migraine",
    "otitis media",
    "fracture femur",
    "haemorrhage",
    "pneumonia",
    "malaria",
    "ca",
    "of",
    "a",
)


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(len(ordered) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="timed calls per query")
    parser.add_argument("--limit", type=int, default=20, help="results asked for")
    args = parser.parse_args()

    started = time.perf_counter()
    icd10.warm_up()
    print(f"index build (once per process): {(time.perf_counter() - started) * 1000:.0f} ms")
    print(f"{'query':<16} {'p50 ms':>8} {'p95 ms':>8}  first result")
    every: list[float] = []
    for query in QUERIES:
        samples = []
        found: list[icd10.Code] = []
        for _ in range(args.runs):
            started = time.perf_counter()
            found = icd10.search(query, args.limit)
            samples.append((time.perf_counter() - started) * 1000)
        every.extend(samples)
        first = f"{found[0].code} {found[0].description}" if found else "(none)"
        print(f"{query!r:<16} {statistics.median(samples):8.2f} {_p95(samples):8.2f}  {first[:60]}")
    print(f"{'all queries':<16} {statistics.median(every):8.2f} {_p95(every):8.2f}")


if __name__ == "__main__":
    main()
