"""Bad inputs a new user might give, run through the installed `costplan` command: exit code and first line.

Usage: python benchmarks/bad_inputs.py [--markdown]

Every case must end with exit 0, 1, 2 or 3 and a clear first line: exit 70 is an internal error
(a bug). The table is what issue 12's closing note lists. Nothing here talks to anything but the
built-in emulator on loopback; each case runs in a fresh temporary data dir.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ONE = "services:\n  - {name: api, countMin: 2, cpuMhz: 500, memoryMB: 512}\n"
CSV = "provider,instance_type,vcpus,memory_gb,monthly_price\nAcme,small,2,4,20\nAcme,medium,4,8,38\n"
ENVS = (
    "environment_uuid,provider,instance_type,vcpus,memory_gb,monthly_price\n"
    "env-staging,AWS,t3,2,4,20\nenv-prod,Azure,b2,2,4,30\n"
)
PINNED = (
    "services:\n  - {name: api, countMin: 1, cpuMhz: 500, memoryMB: 512, constraints: {providers: [AWS]}}\n"
    "  - {name: db, countMin: 1, cpuMhz: 500, memoryMB: 512, constraints: {providers: [Azure]}}\n"
)


def spec(body: str) -> str:
    return "services:\n  - {name: api, " + body + "}\n"


# (label, arguments, files to write {name: text or bytes}, extra environment)
CASES: list[tuple[str, list[str], dict[str, str | bytes], dict[str, str]]] = [
    ("binary services file", ["plan", "s.yaml"], {"s.yaml": b"\x89PNG\r\n\x1a\n\x00\xff"}, {}),
    ("empty services file", ["plan", "s.yaml"], {"s.yaml": ""}, {}),
    ("services: (null)", ["plan", "s.yaml"], {"s.yaml": "services:\n"}, {}),
    ("services: []", ["plan", "s.yaml"], {"s.yaml": "services: []\n"}, {}),
    ("top-level typo service:", ["plan", "s.yaml"], {"s.yaml": "service: []\n"}, {}),
    ("typo countmax", ["plan", "s.yaml"], {"s.yaml": spec("countMin: 1, countmax: 4, cpuMhz: 1, memoryMB: 1")}, {}),
    ("typo sprad", ["plan", "s.yaml"], {"s.yaml": spec("countMin: 1, cpuMhz: 1, memoryMB: 1, sprad: true")}, {}),
    (
        "typo contraints",
        ["plan", "s.yaml"],
        {"s.yaml": spec("countMin: 1, cpuMhz: 1, memoryMB: 1, contraints: {providers: [Azure]}")},
        {},
    ),
    (
        "countMin 1e30 (JSON)",
        ["plan", "s.json"],
        {"s.json": '[{"name": "a", "countMin": 1e30, "cpuMhz": 1, "memoryMB": 1}]'},
        {},
    ),
    ("cpuMhz 1.0e+30 (YAML)", ["plan", "s.yaml"], {"s.yaml": spec("countMin: 1, cpuMhz: 1.0e+30, memoryMB: 1")}, {}),
    ("memoryMB -5", ["plan", "s.yaml"], {"s.yaml": spec("countMin: 1, cpuMhz: 1, memoryMB: -5")}, {}),
    ("countMin 'two'", ["plan", "s.yaml"], {"s.yaml": spec("countMin: two, cpuMhz: 1, memoryMB: 1")}, {}),
    ("countMin 1.5", ["plan", "s.yaml"], {"s.yaml": spec("countMin: 1.5, cpuMhz: 1, memoryMB: 1")}, {}),
    ("memoryMB .nan", ["plan", "s.yaml"], {"s.yaml": spec("countMin: 1, cpuMhz: 1, memoryMB: .nan")}, {}),
    (
        "countMin > countMax",
        ["plan", "s.yaml"],
        {"s.yaml": spec("countMin: 3, countMax: 2, cpuMhz: 1, memoryMB: 1")},
        {},
    ),
    (
        "duplicate service names",
        ["plan", "s.yaml"],
        {"s.yaml": ONE + "  - {name: api, countMin: 1, cpuMhz: 1, memoryMB: 1}\n"},
        {},
    ),
    (
        "service without a name",
        ["plan", "s.yaml"],
        {"s.yaml": "services:\n  - {countMin: 1, cpuMhz: 1, memoryMB: 1}\n"},
        {},
    ),
    ("invalid YAML", ["plan", "s.yaml"], {"s.yaml": "services: [\n  - name: a\n    countMin: [1"}, {}),
    ("invalid JSON", ["plan", "s.json"], {"s.json": "{oops"}, {}),
    ("missing services file", ["plan", "nope.yaml"], {}, {}),
    ("services file is a directory", ["plan", "."], {}, {}),
    ("NUL bytes in YAML", ["plan", "s.yaml"], {"s.yaml": b"services:\x00\x00"}, {}),
    (
        "constraints.providers: 3",
        ["plan", "s.yaml"],
        {"s.yaml": spec("countMin: 1, cpuMhz: 1, memoryMB: 1, constraints: {providers: 3}")},
        {},
    ),
    (
        "constraints typo provider",
        ["plan", "s.yaml"],
        {"s.yaml": spec("countMin: 1, cpuMhz: 1, memoryMB: 1, constraints: {provider: [AWS]}")},
        {},
    ),
    (
        "pinned to unknown provider",
        ["plan", "s.yaml", "--catalogue", "c.csv"],
        {"s.yaml": spec("countMin: 1, cpuMhz: 1, memoryMB: 1, constraints: {providers: [Nowhere]}"), "c.csv": CSV},
        {},
    ),
    ("config typo api_ulr", ["--config", "c.toml", "providers"], {"c.toml": 'api_ulr = "https://x/v1"\n'}, {}),
    (
        "config section typo [pricse]",
        ["--config", "c.toml", "providers"],
        {"c.toml": "[pricse.discounts]\nA = 1\n"},
        {},
    ),
    ("COSTPLAN_TIMEOUT=nan", ["providers"], {}, {"COSTPLAN_TIMEOUT": "nan"}),
    ("COSTPLAN_TIMEOUT=-1", ["providers"], {}, {"COSTPLAN_TIMEOUT": "-1"}),
    ("COSTPLAN_CONCURRENCY=0", ["providers"], {}, {"COSTPLAN_CONCURRENCY": "0"}),
    ("COSTPLAN_MAX_RETRIES=1e30", ["providers"], {}, {"COSTPLAN_MAX_RETRIES": "1e30"}),
    ('currency = "euro"', ["--config", "c.toml", "providers"], {"c.toml": 'currency = "euro"\n'}, {}),
    ("--profile that is not there", ["--profile", "staging", "providers"], {}, {}),
    ("--config that is not there", ["--config", "nope.toml", "providers"], {}, {}),
    (
        "[currency] rates bad key",
        ["--config", "c.toml", "plan", "s.yaml", "--catalogue", "c.csv"],
        {"c.toml": "[currency]\nrates = { USD = 0.9 }\n", "s.yaml": ONE, "c.csv": CSV},
        {},
    ),
    (
        "catalogue row with 1e9 vCPUs",
        ["plan", "s.yaml", "--catalogue", "c.csv", "--time-limit", "2"],
        {"s.yaml": ONE, "c.csv": CSV + "Acme,huge,1000000000,4,20\n"},
        {},
    ),
    ("catalogue price 1e30", ["catalogue", "c.csv"], {"c.csv": CSV + "Acme,pricey,2,4,1e30\n"}, {}),
    ("catalogue missing columns", ["catalogue", "c.csv"], {"c.csv": "provider,instance_type,cpus\nA,b,2\n"}, {}),
    ("catalogue text in vcpus", ["catalogue", "c.csv"], {"c.csv": CSV + "Acme,odd,two,4,20\n"}, {}),
    ("catalogue .txt file", ["catalogue", "c.txt"], {"c.txt": CSV}, {}),
    ("catalogue that is not there", ["catalogue", "nope.csv"], {}, {}),
    (
        "catalogue USD, plan in EUR (sandbox: illustrative rate)",
        ["plan", "s.yaml", "--catalogue", "c.csv"],
        {
            "s.yaml": ONE,
            "c.csv": CSV.replace("monthly_price\n", "monthly_price,currency\n")
            .replace("20\n", "20,USD\n")
            .replace("38\n", "38,USD\n"),
        },
        {},
    ),
    (
        "catalogue USD, plan in EUR, rates = {}",
        ["--config", "c.toml", "plan", "s.yaml", "--catalogue", "c.csv"],
        {
            "s.yaml": ONE,
            "c.toml": "[currency]\nrates = {}\n",
            "c.csv": CSV.replace("monthly_price\n", "monthly_price,currency\n")
            .replace("20\n", "20,USD\n")
            .replace("38\n", "38,USD\n"),
        },
        {},
    ),
    (
        "services pinned to two environments",
        ["plan", "s.yaml", "--catalogue", "c.csv"],
        {"s.yaml": PINNED, "c.csv": ENVS},
        {},
    ),
    (
        "plan --provider Nowhere",
        ["plan", "s.yaml", "--catalogue", "c.csv", "--provider", "Nowhere"],
        {"s.yaml": ONE, "c.csv": CSV},
        {},
    ),
    ("plan --time-limit 0", ["plan", "s.yaml", "--time-limit", "0"], {"s.yaml": ONE}, {}),
    ("plan --headroom 1.5", ["plan", "s.yaml", "--headroom", "1.5"], {"s.yaml": ONE}, {}),
    (
        "plan --save into /proc",
        ["plan", "s.yaml", "--catalogue", "c.csv", "--time-limit", "2", "--save", "/proc/x/plan.json"],
        {"s.yaml": ONE, "c.csv": CSV},
        {},
    ),
    ("catalogue --sort nope", ["catalogue", "c.csv", "--sort", "nope"], {"c.csv": CSV}, {}),
    ("catalogue --name 're:['", ["catalogue", "c.csv", "--name", "re:["], {"c.csv": CSV}, {}),
    ("catalogue --provider Acm (typo)", ["catalogue", "c.csv", "--provider", "Acm"], {"c.csv": CSV}, {}),
    ("emulator serve --port 99999", ["emulator", "serve", "--port", "99999"], {}, {}),
    ("demo --out-dir /proc/x", ["demo", "--out-dir", "/proc/x"], {}, {}),
    ("report --out /nonexistent/dir/x.html", ["report", "catalogue", "--out", "/nonexistent/dir/x.html"], {}, {}),
    ("report plan: not JSON", ["report", "plan", "p.json", "--out", "x.html"], {"p.json": "{oops"}, {}),
    ("report plan: tampered cost", ["report", "plan", "p.json", "--out", "x.html"], {"p.json": "TAMPER:cost"}, {}),
    ("report plan: bound above cost", ["report", "plan", "p.json", "--out", "x.html"], {"p.json": "TAMPER:bound"}, {}),
    ("provision: tampered cost", ["provision", "p.json"], {"p.json": "TAMPER:cost"}, {}),
]


def plan_json() -> dict[str, object]:
    """A real plan to tamper with (made once, by the library, from a hand-made catalogue)."""
    import pandas as pd

    from costplan.models import CATALOGUE_DTYPES, ServiceSpec
    from costplan.planner import PlanOptions, make_plan

    row = {
        "environment_uuid": "env",
        "provider_uuid": "p",
        "provider": "Acme",
        "instance_type_uuid": "t",
        "instance_type": "small",
        "vcpus": 2,
        "memory_gb": 4.0,
        "ssd_gb": 0.0,
        "hourly_price": 20 / 720,
        "reserved_hourly_price": None,
        "monthly_price": 20.0,
        "price_per_vcpu_month": 10.0,
        "price_per_gb_month": 5.0,
        "currency": "EUR",
        "collected_at": pd.Timestamp("2026-01-01", tz="UTC"),
    }
    frame = pd.DataFrame([row], columns=list(CATALOGUE_DTYPES)).astype(CATALOGUE_DTYPES)
    return make_plan(frame, [ServiceSpec("api", 2, 2, 500, 512)], PlanOptions(time_limit=2)).to_dict()


def tamper(plan: dict[str, object], how: str) -> str:
    edited = json.loads(json.dumps(plan))
    if how == "cost":
        edited["monthly_cost"] = 9.0
    else:
        edited["lower_bound"] = float(edited["monthly_cost"]) + 50  # type: ignore[arg-type]
    return json.dumps(edited)


def run(
    case: tuple[str, list[str], dict[str, str | bytes], dict[str, str]], plan: dict[str, object]
) -> tuple[int, str]:
    _, args, files, extra = case
    with tempfile.TemporaryDirectory() as directory:
        here = Path(directory)
        for name, content in files.items():
            if isinstance(content, str) and content.startswith("TAMPER:"):
                content = tamper(plan, content.split(":", 1)[1])
            data = content if isinstance(content, bytes) else content.encode()
            (here / name).write_bytes(data)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LAYEROPS_", "COSTPLAN_"))}
        env.update({"COSTPLAN_DATA_DIR": str(here / "data"), "XDG_CONFIG_HOME": str(here / "config"), **extra})
        result = subprocess.run(
            [sys.executable, "-m", "costplan", *args], cwd=here, env=env, capture_output=True, text=True, timeout=120
        )
    lines = [
        line.strip()
        for line in (result.stderr + "\n" + result.stdout).splitlines()
        if line.strip() and not line.startswith(("costplan: no LayerOps API key", "Usage:", "Try '"))
    ]
    errors = [line for line in lines if line.startswith(("Error", "costplan: internal"))]
    return result.returncode, (errors or lines or [""])[0]


def main() -> int:
    markdown = "--markdown" in sys.argv
    plan = plan_json()
    began = time.monotonic()
    rows = [(case[0], *run(case, plan)) for case in CASES]
    width = max(len(r[0]) for r in rows)
    if markdown:
        print("| input | exit | first line |\n|---|---|---|")
    for label, code, line in rows:
        shown = line if len(line) <= 150 else line[:147] + "..."
        print(
            f"| {label} | {code} | {shown.replace('|', '/')} |" if markdown else f"{label:<{width}}  {code:>3}  {shown}"
        )
    bugs = [r for r in rows if r[1] not in (0, 1, 2, 3)]
    print(
        f"\n{len(rows)} bad inputs in {time.monotonic() - began:.0f} s; internal errors (exit not 0-3): {len(bugs)}",
        file=sys.stderr,
    )
    return 1 if bugs else 0


if __name__ == "__main__":
    raise SystemExit(main())
