"""A fresh database full of made-up patients, for benchmarks of patient search at scale.

    .venv/bin/python bench/patient_data.py                              # 1,000,000 on PostgreSQL
    .venv/bin/python bench/patient_data.py --database-url sqlite        # 100,000 in /tmp
    .venv/bin/python bench/patient_data.py --patients 20000 --reuse

The same seed gives the same patients. The database is dropped and created anew (PostgreSQL)
or the file replaced (SQLite), migrated with Alembic, loaded in bulk (COPY on PostgreSQL,
executemany in large transactions on SQLite), then ANALYZEd. On PostgreSQL the secondary
indexes are dropped for the load and built again afterwards: building a trigram GIN index
once is many times faster than maintaining it row by row.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import os
import random
import sqlite3
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.engine import make_url

from openward.migrate import upgrade
from openward.patients.mrn import luhn_check_digit
from openward.patients.search_keys import DEFAULT_PHONE_REGION, phone_key

try:
    from openward.patients.service import search_name
except ImportError:  # the service does not expose it yet: the same rule, replicated

    def search_name(given_name: str, family_name: str) -> str:
        text = unicodedata.normalize("NFKD", f"{given_name} {family_name}".casefold())
        return " ".join("".join(c for c in text if not unicodedata.combining(c)).split())


DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/openward_bench"
DEFAULT_SQLITE_URL = "sqlite+aiosqlite:////tmp/openward_bench.sqlite3"
DEFAULT_PATIENTS = {"postgresql": 1_000_000, "sqlite": 100_000}
SEED = 20261124
CHUNK = 50_000
console = Console()


def _names(block: str) -> list[str]:
    """Names split on whitespace; one of several words is written with "_" for its spaces."""
    return [name.replace("_", " ") for name in block.split()]


# Names from many languages, most common first within each list (the draw is Zipf-like, so
# "García" or "Maria" get thousands of namesakes and the tail a handful each).
FEMALE = _names(
    """
Maria María Anna Sofia Emma Olivia Fatima Aisha Mia Chloé Zoë Léa Hannah Sarah Laura
Julia Ana Ewa Agnieszka Małgorzata Zofia Katarzyna Françoise Hélène Amélie Élodie Inès
Mónica Lucía Inês Conceição Noémie Björk Åsa Sigríður Mårta Lena Jana Tereza
Žaneta Věra Ayşe Elif Zeynep Gülşen Thị_Lan Lan Mai Thảo Ngọc Mei Yuki Haruka Sakura
Priya Ananya Lakshmi Ngozi Chiamaka Adaeze Amara Nadia Leila Yasmin Noor Olga Irina
Natalia Svetlana Ioana Ștefania Andreea Eszter Zsófia Réka Dóra Chiara Giulia Francesca
Bárbara Raquel Lúcia Siobhán Aoife Niamh Saoirse Maëlle Anaïs Cécile Gaëlle Renée Dagný
Kateřina Ivana Marija Ljiljana Đurđa Zoé Paula Carmen Rosa Pilar Dolores Ángela Begoña
Elena Victoria Isabel Beatriz Sara Alice Grace Chloe Emily Charlotte Amelia Ava Isla Freya
"""
)
MALE = _names(
    """
José Mohammed Muhammad Juan Luis Carlos Jean Pierre Michel Lukas Łukasz Jakub Piotr Paweł
Krzysztof Tomasz Grzegorz Wojciech Jörg Jürgen Günther Björn Søren Ólafur Þór Håkan André
Jérôme Gaël Loïc Benoît François Noël Raphaël Thibault Joaquín Andrés Martín Sebastián
Rubén Ramón Jesús Óscar Íñigo João Sérgio Antônio Gonçalo Tomáš Jiří Lukáš Ondřej Dušan
Mehmet Ahmet Mustafa Çağrı Oğuz Emre Minh Đức Bảo Hùng Wei Hiroshi Takeshi Kenji Rahul
Arjun Vikram Sanjay Chukwuemeka Oluwaseun Babajide Kwame Omar Ali Hassan Youssef Ivan
Dmitri Sergei Nikolai Mihai Ștefan Răzvan László Gábor Zoltán Péter Giovanni Luca Marco
Niccolò Séamus Seán Pádraig Eoin Fionnán Stanisław Zbigniew Bartłomiej Mikołaj Władysław
David Daniel Michael James John Robert William Thomas Oliver Jack Harry Noah Leo Liam Adam
"""
)
FAMILY = _names(
    """
García Smith Müller Nguyễn Wang Kowalski Martin Fernández González Rodríguez López
Martínez Sánchez Pérez Gómez Díaz Hernández Álvarez Jiménez Ruiz Lefèvre Dubois Moreau
Lefebvre Bernard Durand Girard Rousseau Mercier Faure Bonnet François Lemaître Bouché
Schmidt Schneider Fischer Weber Meyer Wagner Becker Schäfer Köhler Hoffmann Schröder
Krüger Groß Jäger Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański Woźniak
Dąbrowski Kozłowski Jankowski Mazur Wojciechowski Kwiatkowski Krawczyk Piotrowski
Grabowski Nowakowski Pawłowski Michalski Nowak Dvořák Novák Svoboda Procházka Kučera
Veselý Horák Němec Černý Pokorný Hájek Yılmaz Kaya Demir Şahin Çelik Yıldız Yıldırım
Öztürk Aydın Özdemir Arslan Doğan Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ
Hồ Ngô Dương Lý Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sato Suzuki Takahashi
Tanaka Watanabe Itō Yamamoto Nakamura Kobayashi Katō Patel Sharma Singh Kumar Gupta
Reddy Iyer Nair Okafor Okonkwo Adeyemi Eze Mensah Boateng Haddad Khalil Mansour
Al-Hashimi El-Amin Ivanov Smirnov Kuznetsov Popov Sokolov Popescu Ionescu Dumitru
Ștefănescu Nagy Kovács Tóth Szabó Horváth Varga Rossi Russo Ferrari Esposito Bianchi
Romano Colombo Ricci Marino Greco Bruno Gallo Conti Silva Santos Oliveira Sousa
Rodrigues Ferreira Pereira Costa Gonçalves Magalhães Conceição Ó_Briain O'Brien
Ní_Bhriain MacCárthaigh Murphy Kelly Jensen Nielsen Hansen Pedersen Andersen Sørensen
Jónsdóttir Guðmundsson Ólafsdóttir Þórsson Johansson Andersson Lindqvist Åkesson
Öberg Häkkinen Virtanen Mäkinen Järvinen van_der_Berg de_la_Cruz Jones Williams Brown
Taylor Davies Evans Wilson Johnson Walker Thompson White Roberts Wright Robinson
"""
)


COLUMNS = (
    "mrn",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "phone",
    "email",
    "is_active",
    "created_at",
    "updated_at",
    "national_id",
    "blood_group",
    "name_search",
    "phone_digits",
    "phone_e164",
)
PHONE_FORMATS = (  # as people write them; # is a digit
    "+34 ### ### ###",
    "+33 # ## ## ## ##",
    "+49 ### #######",
    "+48 ###-###-###",
    "+44 #### ######",
    "(###) ###-####",
    "###.###.####",
    "+84 ## ### ####",
    "0### ### ## ##",
    "+91 ##### #####",
)
BLOOD_GROUPS = ("O+", "A+", "B+", "AB+", "O-", "A-", "B-", "AB-")
DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
SEXES = ("female", "male", "other", "unknown")
SEX_CUTS = (0.495, 0.99, 0.995)  # cumulative shares of the first three


@dataclass(frozen=True)
class Target:
    """Where the patients go: the SQLAlchemy URL and what a sync driver needs."""

    url: str
    dialect: str

    @classmethod
    def parse(cls, url: str | None) -> Target:
        if url in (None, "", "postgresql", "pg"):
            url = DEFAULT_PG_URL
        elif url == "sqlite":
            url = DEFAULT_SQLITE_URL
        return cls(url=url, dialect=make_url(url).get_backend_name())

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def sqlite_path(self) -> str:
        path = make_url(self.url).database
        if not path or path == ":memory:":
            raise SystemExit("an SQLite benchmark needs a file path in the URL")
        return path

    @property
    def database(self) -> str:
        return make_url(self.url).database or "openward_bench"

    def conninfo(self, dbname: str | None = None) -> str:
        url = make_url(self.url)
        parts = {
            "host": url.host or "127.0.0.1",
            "port": url.port or 5432,
            "user": url.username or "postgres",
            "password": url.password,
            "dbname": dbname or url.database,
        }
        return " ".join(f"{k}={v}" for k, v in parts.items() if v is not None)


# ---------------------------------------------------------------- the patients


def _zipf_weights(count: int, exponent: float = 0.9) -> list[float]:
    return list(itertools.accumulate(1 / (rank + 1) ** exponent for rank in range(count)))


@cache
def _search_key(given: str, family: str) -> str:
    return search_name(given, family)


# Letters that NFKD does not take apart, spelt out for e-mail addresses.
_ASCII = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "ı": "i"})


@cache
def _email_stem(given: str, family: str) -> str:
    ascii_name = _search_key(given, family).translate(_ASCII).encode("ascii", "ignore").decode()
    return ".".join(ascii_name.replace("'", "").split())


def _phone(rng: random.Random) -> tuple[str, str]:
    pattern = PHONE_FORMATS[rng.randrange(len(PHONE_FORMATS))]
    digits = f"{rng.randrange(10**9, 10**10):010d}"
    it = iter(digits)
    written = "".join(next(it, "0") if ch == "#" else ch for ch in pattern)
    return written, "".join(ch for ch in written if ch.isdigit())


def rows(count: int, seed: int = SEED) -> Iterator[tuple[object, ...]]:
    """`count` patients as tuples in COLUMNS order, the same ones for the same seed.

    Dates and times are Python objects; each loader writes them its own way.
    """
    rng = random.Random(seed)
    # Unique MRNs and national ids: samples of distinct numbers.
    payloads = rng.sample(range(100_000_000, 1_000_000_000), count)
    id_numbers = iter(rng.sample(range(10_000_000, 100_000_000), count))
    female_cum, male_cum, family_cum = (
        _zipf_weights(len(FEMALE)),
        _zipf_weights(len(MALE)),
        _zipf_weights(len(FAMILY)),
    )
    born_from = date(1925, 1, 1).toordinal()
    born_span = date(2025, 12, 31).toordinal() - born_from
    registered_from = datetime(2016, 1, 1, tzinfo=UTC)
    registered_span = 10 * 365 * 86400
    for index in range(count):
        sex = SEXES[bisect.bisect(SEX_CUTS, rng.random())]
        if sex in ("female", "male"):
            names = FEMALE if sex == "female" else MALE
        else:
            names = FEMALE if rng.random() < 0.5 else MALE
        cum = female_cum if names is FEMALE else male_cum
        given = rng.choices(names, cum_weights=cum)[0]
        if rng.random() < 0.08:  # a second given name now and then
            given = f"{given} {rng.choices(names, cum_weights=cum)[0]}"
        family = rng.choices(FAMILY, cum_weights=family_cum)[0]
        payload = str(payloads[index])
        mrn = payload + luhn_check_digit(payload)
        phone = phone_digits = email = national_id = None
        if rng.random() < 0.9:
            phone, phone_digits = _phone(rng)
        if rng.random() < 0.45:
            email = f"{_email_stem(given, family)}{rng.randrange(1000)}@example.org"
        if rng.random() < 0.35:
            number = next(id_numbers)
            national_id = f"{number:08d}{DNI_LETTERS[number % 23]}"
        created = registered_from + timedelta(seconds=rng.randrange(registered_span))
        yield (
            mrn,
            given,
            family,
            date.fromordinal(born_from + rng.randrange(born_span)),
            sex,
            phone,
            email,
            rng.random() >= 0.02,  # one in fifty records deactivated
            created,
            created,
            national_id,
            BLOOD_GROUPS[rng.randrange(8)] if rng.random() < 0.6 else None,
            _search_key(given, family),
            phone_digits,
            phone_key(phone, DEFAULT_PHONE_REGION),  # the region the benchmark's settings keep
        )


def _chunks(count: int, seed: int) -> Iterator[list[tuple[object, ...]]]:
    batch: list[tuple[object, ...]] = []
    for row in rows(count, seed):
        batch.append(row)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


# ---------------------------------------------------------------- PostgreSQL


def _pg_count(target: Target) -> int | None:
    import psycopg

    try:
        with psycopg.connect(target.conninfo(), connect_timeout=5) as conn:
            return conn.execute("SELECT count(*) FROM patients").fetchone()[0]
    except psycopg.Error:
        return None


def _pg_text(value: object) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value)  # names, digits and dates: no tab, newline or backslash in any of them


def _pg_load(target: Target, count: int, seed: int) -> None:
    import psycopg
    from psycopg import sql

    name = target.database
    with psycopg.connect(target.conninfo("postgres"), autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    started = time.perf_counter()
    upgrade(target.url)
    console.print(f"migrated {name} in {time.perf_counter() - started:.1f} s")

    with psycopg.connect(target.conninfo()) as conn:
        # Indexes that back no constraint are dropped for the load and rebuilt after it.
        indexes = conn.execute(
            """
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.tablename = 'patients' AND i.schemaname = current_schema()
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
            ORDER BY i.indexname
            """
        ).fetchall()
        for index_name, _definition in indexes:
            conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(index_name)))
        # TRUNCATE in the same transaction lets COPY write frozen rows: no hint-bit rewrite
        # (and no VACUUM) on the first read of a million fresh rows.
        conn.execute("TRUNCATE patients CASCADE")
        copy_sql = sql.SQL("COPY patients ({}) FROM STDIN WITH (FREEZE)").format(
            sql.SQL(", ").join(map(sql.Identifier, COLUMNS))
        )
        started = time.perf_counter()
        with _progress() as progress, conn.cursor() as cursor, cursor.copy(copy_sql) as copy:
            task = progress.add_task("COPY patients", total=count)
            for batch in _chunks(count, seed):
                copy.write("".join("\t".join(map(_pg_text, row)) + "\n" for row in batch).encode())
                progress.advance(task, len(batch))
        console.print(f"copied {count:,} rows in {time.perf_counter() - started:.1f} s")

        conn.execute("SET maintenance_work_mem = '512MB'")
        for index_name, definition in indexes:
            started = time.perf_counter()
            conn.execute(definition)
            console.print(f"  index {index_name:32s} {time.perf_counter() - started:6.1f} s")
        conn.commit()
    with psycopg.connect(target.conninfo(), autocommit=True) as conn:
        started = time.perf_counter()
        conn.execute("VACUUM (ANALYZE) patients")  # sets the visibility map for index-only scans
        conn.execute("ANALYZE")
        console.print(f"vacuum + analyze {time.perf_counter() - started:.1f} s")


# ---------------------------------------------------------------- SQLite


def _sqlite_count(target: Target) -> int | None:
    if not os.path.exists(target.sqlite_path):
        return None
    try:
        with sqlite3.connect(target.sqlite_path) as conn:
            return conn.execute("SELECT count(*) FROM patients").fetchone()[0]
    except sqlite3.Error:
        return None


def _sqlite_value(value: object) -> object:
    if isinstance(value, datetime):  # SQLAlchemy's own storage format for naive UTC times
        return value.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def _sqlite_load(target: Target, count: int, seed: int) -> None:
    path = target.sqlite_path
    for suffix in ("", "-wal", "-shm", "-journal"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    started = time.perf_counter()
    upgrade(target.url)
    console.print(f"migrated {path} in {time.perf_counter() - started:.1f} s")
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-262144")  # 256 MiB for the index b-trees
        insert = (
            f"INSERT INTO patients ({', '.join(COLUMNS)}) "
            f"VALUES ({', '.join('?' for _ in COLUMNS)})"
        )
        started = time.perf_counter()
        with _progress() as progress:
            task = progress.add_task("INSERT patients", total=count)
            for batch in _chunks(count, seed):
                conn.execute("BEGIN")
                conn.executemany(insert, ([_sqlite_value(v) for v in row] for row in batch))
                conn.execute("COMMIT")
                progress.advance(task, len(batch))
        console.print(f"inserted {count:,} rows in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        conn.execute("ANALYZE")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        console.print(f"analyze {time.perf_counter() - started:.1f} s")
    finally:
        conn.close()


# ---------------------------------------------------------------- entry points


def existing_patients(target: Target) -> int | None:
    """Patients already in the target database; None when it or its table does not exist."""
    return _sqlite_count(target) if target.is_sqlite else _pg_count(target)


def ensure(url: str | None, patients: int | None, *, reuse: bool, seed: int = SEED) -> Target:
    """A database holding the benchmark patients: loaded anew unless reusable."""
    target = Target.parse(url)
    count = patients or DEFAULT_PATIENTS.get(target.dialect, 100_000)
    if reuse:
        have = existing_patients(target)
        if have is not None and have >= count:
            console.print(f"reusing {target.dialect} database: {have:,} patients (>= {count:,})")
            return target
    console.print(f"loading {count:,} patients into {target.dialect} ({target.url})")
    started = time.perf_counter()
    if target.is_sqlite:
        _sqlite_load(target, count, seed)
    else:
        _pg_load(target, count, seed)
    console.print(f"[bold]database ready in {time.perf_counter() - started:.1f} s")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        help=f"default {DEFAULT_PG_URL}; 'sqlite' means {DEFAULT_SQLITE_URL}",
    )
    parser.add_argument("--patients", type=int, help="default 1,000,000 (PostgreSQL), 100,000")
    parser.add_argument("--reuse", action="store_true", help="keep a database big enough")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    ensure(args.database_url, args.patients, reuse=args.reuse, seed=args.seed)


if __name__ == "__main__":
    main()
