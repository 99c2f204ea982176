"""The import contracts, written for import-linter from the installed domains (their order
and `layer` in app.DOMAINS), so a new domain is covered without editing a contract file.
`python -m tests.core.import_contracts` prints the configuration."""

from __future__ import annotations

from itertools import groupby
from pathlib import Path

from openward.app import DOMAINS

SRC = Path(__file__).resolve().parents[2] / "src" / "openward"
FOUNDATION = ["openward.core", "openward.db", "openward.config"]
WEB = "openward.web"


def _wiring() -> list[str]:
    """The top-level modules that assemble the rest: app, asgi, cli, demo, catalogues, ..."""
    return sorted(
        f"openward.{p.stem}" for p in SRC.glob("*.py") if p.stem not in {"__init__", "config", "db"}
    )


def _lines(name: str, values: list[str]) -> str:
    return f"{name} =\n" + "".join(f"    {v}\n" for v in values)


def configuration() -> str:
    domains = [f"openward.{d.name}" for d in DOMAINS]
    wiring = _wiring()
    parts = [
        "[importlinter]\nroot_package = openward\n",
        # An annotation under TYPE_CHECKING is not a dependency at run time.
        "exclude_type_checking_imports = True\n",
        "[importlinter:contract:foundation]\n"
        "name = The foundation (core, db, config) imports no domain, no pages and no wiring\n"
        "type = forbidden\n"
        + _lines("source_modules", FOUNDATION)
        + _lines("forbidden_modules", [*domains, WEB, *wiring]),
        "[importlinter:contract:web]\n"
        "name = The web layout imports no domain and no wiring\n"
        "type = forbidden\n"
        + _lines("source_modules", [WEB])
        + _lines("forbidden_modules", [*domains, *wiring]),
        "[importlinter:contract:layers]\n"
        "name = Domains import downwards only\n"
        "type = layers\n"
        + _lines(
            "layers",
            [
                " | ".join(f"openward.{d.name}" for d in group)
                for _layer, group in groupby(
                    sorted(DOMAINS, key=lambda d: -d.layer), key=lambda d: d.layer
                )
            ]
            + [WEB],
        ),
        "[importlinter:contract:wiring]\n"
        "name = Nothing below the wiring imports the app, the CLI or the demo\n"
        "type = forbidden\n"
        + _lines("source_modules", [*domains, WEB, *FOUNDATION])
        + _lines("forbidden_modules", wiring),
        "[importlinter:contract:acyclic]\n"
        "name = No import cycles between domain packages\n"
        "type = acyclic_siblings\n"
        "ancestors = openward\n"
        "depth = 1\n"
        # core, db and config are one foundation (settings, engine, errors, private files).
        + _lines(
            "ignore_imports",
            [
                "openward.config -> openward.core.private_files",
                "openward.db -> openward.core.private_files",
                "openward.db -> openward.core.errors",
            ],
        ),
    ]
    for domain in DOMAINS:
        package = SRC / domain.name
        own = [
            f"openward.{domain.name}.{part}"
            for part in ("api", "pages", "models")
            if (package / f"{part}.py").exists() or (package / part).is_dir()
        ]
        if own:
            parts.append(
                f"[importlinter:contract:own-{domain.name}]\n"
                f"name = Only {domain.name} uses its own routes, pages and models\n"
                "type = protected\n"
                + _lines("protected_modules", own)
                + _lines("allowed_importers", [f"openward.{domain.name}"])
            )
    return "\n".join(parts)


if __name__ == "__main__":
    print(configuration())
