"""Catalogue snapshots on disk, catalogue files made by hand, and the difference between two catalogues.

A snapshot is one Parquet file, `catalogue-<collected_at UTC>.parquet`, in a directory
(default `settings.data_dir / "snapshots"`). Its quality table, missing providers, currency,
source and notices travel inside it, as JSON under the Parquet schema metadata key
`costplan`: one file is replaced atomically, so the rows and their report cannot disagree.

Writing goes to a hidden temporary file in the same directory, is flushed and fsynced, then
renamed over the final name with `os.replace`: a crash leaves either the complete snapshot
or no snapshot, plus at worst a stray `.catalogue-*.tmp` that is never taken for one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from costplan.catalogue import MISSING_COLUMNS, MISSING_DTYPES, Catalogue, empty_missing
from costplan.config import Settings, public_url
from costplan.errors import CatalogueError, InputError
from costplan.files import atomic_writer
from costplan.normalise import (
    DERIVED_UUID_NOTE,
    QUALITY_COLUMNS,
    QUALITY_DTYPES,
    PriceRules,
    apply_prices,
    complete_frame,
    empty_quality,
)

SNAPSHOT_DIRNAME = "snapshots"
METADATA_KEY = b"costplan"
FORMAT_VERSION = 1
_NAME = re.compile(r"^catalogue-(\d{8}T\d{12}Z)(?:-(\d+))?\.parquet$")
_STAMP = "%Y%m%dT%H%M%S%fZ"
_FILE_KINDS = (".parquet", ".pq", ".csv", ".json")


def snapshot_dir(settings: Settings | None = None) -> Path:
    """Where snapshots go by default: `<data_dir>/snapshots`."""
    return Path((settings or Settings()).data_dir) / SNAPSHOT_DIRNAME


def list_snapshots(directory: str | Path) -> list[Path]:
    """Snapshots in `directory`, oldest first by collection time (temporary files are never listed)."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        match = _NAME.match(path.name)
        if match and path.is_file():
            found.append((match.group(1), int(match.group(2) or 0), path))
    return [path for _, _, path in sorted(found)]


def latest_snapshot(directory: str | Path) -> Path | None:
    snapshots = list_snapshots(directory)
    return snapshots[-1] if snapshots else None


def write_snapshot(
    catalogue: Catalogue, directory: str | Path | None = None, *, settings: Settings | None = None
) -> Path:
    """Write `catalogue` as a new snapshot, atomically; returns its path."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    directory = Path(directory) if directory is not None else snapshot_dir(settings)
    directory.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(catalogue.frame, preserve_index=False)
    metadata = dict(table.schema.metadata or {})
    metadata[METADATA_KEY] = json.dumps(_metadata(catalogue), default=str).encode("utf-8")
    table = table.replace_schema_metadata(metadata)

    target = _free_name(directory, catalogue.collected_at or datetime.now(UTC))
    with atomic_writer(target, binary=True) as handle:
        pq.write_table(table, handle)
    return target


def _metadata(catalogue: Catalogue) -> dict[str, Any]:
    return {
        "format": FORMAT_VERSION,
        "currency": catalogue.currency,
        "source": public_url(catalogue.source),
        "collected_at": catalogue.collected_at.isoformat() if catalogue.collected_at else None,
        "notices": list(catalogue.notices),
        "quality": _records(catalogue.quality),
        "missing": _records(catalogue.missing),
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in frame.to_dict("records")]


def _free_name(directory: Path, collected_at: datetime) -> Path:
    """`catalogue-<stamp>.parquet`, or `-1`, `-2`... when a snapshot of that instant exists."""
    stamp = collected_at.astimezone(UTC).strftime(_STAMP)
    path, counter = directory / f"catalogue-{stamp}.parquet", 0
    while path.exists():
        counter += 1
        path = directory / f"catalogue-{stamp}-{counter}.parquet"
    return path


def load_catalogue(
    path: str | Path | None = None,
    *,
    settings: Settings | None = None,
    prices: PriceRules | Mapping[str, Any] | None = None,
) -> Catalogue:
    """A catalogue from a snapshot (the latest in a directory by default) or a CSV, Parquet or JSON file.

    A hand-made file (a what-if catalogue) needs `provider`, `instance_type`, `vcpus`,
    `memory_gb` and `monthly_price` or `hourly_price`; the rest is derived or left empty, and
    unusable rows go to the quality table. JSON is a list of row objects (what
    `costplan catalogue --output json` prints). `prices` re-applies negotiated prices from the
    list prices.
    """
    target = Path(path).expanduser() if path is not None else snapshot_dir(settings)
    if target.is_dir() or path is None:
        snapshot = latest_snapshot(target)
        if snapshot is None:
            raise CatalogueError(f"there is no catalogue snapshot in {target}: run `costplan collect` first")
        target = snapshot
    if not target.is_file():
        raise InputError(f"catalogue file {target} does not exist")
    currency = settings.currency if settings is not None else None
    catalogue = _read(target, currency)
    if prices is not None:
        rules = prices if isinstance(prices, PriceRules) else PriceRules.from_config(prices)
        frame, notices = apply_prices(catalogue.frame, rules)
        catalogue = Catalogue(
            frame=frame,
            quality=catalogue.quality,
            missing=catalogue.missing,
            collected_at=catalogue.collected_at,
            currency=catalogue.currency,
            source=catalogue.source,
            notices=catalogue.notices + tuple(notices),
        )
    return catalogue


def _read(path: Path, currency: str | None) -> Catalogue:
    suffix = path.suffix.lower()
    meta: dict[str, Any] = {}
    try:
        if suffix in (".parquet", ".pq"):
            import pyarrow.parquet as pq

            table = pq.read_table(path)
            raw = (table.schema.metadata or {}).get(METADATA_KEY)
            meta = json.loads(raw) if raw else {}
            frame = table.to_pandas()
        elif suffix == ".csv":
            frame = pd.read_csv(path, dtype={"provider_uuid": "string", "instance_type_uuid": "string"})
        elif suffix == ".json":
            frame = _json_frame(json.loads(path.read_text(encoding="utf-8")), path)
        else:
            raise InputError(f"{path}: a catalogue file must end in {', '.join(_FILE_KINDS)}")
    except InputError:
        raise
    except Exception as error:  # pyarrow, pandas and json each raise their own: all mean "unreadable"
        raise InputError(f"cannot read catalogue file {path}: {error}") from None

    kind = "snapshot" if meta else "catalogue file"
    _check_finite(frame, f"{kind} {path}")
    collected_at = _instant(meta.get("collected_at"))
    currency = meta.get("currency") or currency or Settings().currency
    frame, own_quality = complete_frame(frame, currency=currency, collected_at=collected_at, origin=f"{kind} {path}")
    derived = int(frame["source_note"].str.contains(DERIVED_UUID_NOTE, regex=False).fillna(False).sum())
    notices = list(meta.get("notices", ()))
    if derived and not meta:
        notices.append(
            f"{derived} rows of {path} have no provider_uuid / instance_type_uuid: derived from the provider and "
            "instance type names (uuid5), the same on every read"
        )
    quality = _frame(meta.get("quality", []), QUALITY_COLUMNS, QUALITY_DTYPES, empty_quality)
    if not own_quality.empty:
        quality = own_quality if quality.empty else pd.concat([quality, own_quality], ignore_index=True)
    return Catalogue(
        frame=frame,
        quality=quality,
        missing=_frame(meta.get("missing", []), MISSING_COLUMNS, MISSING_DTYPES, empty_missing),
        collected_at=collected_at,
        currency=currency,
        source=f"{kind} {path}"
        + (f" (collected from {public_url(str(meta['source']))})" if meta.get("source") else ""),
        notices=tuple(notices),
    )


def _check_finite(frame: pd.DataFrame, origin: str) -> None:
    """inf or -inf is no price or size: refuse the file, naming the column and the row."""
    import numpy as np

    for column in frame.columns:
        values = frame[column]
        if not pd.api.types.is_float_dtype(values):
            continue
        bad = np.isinf(values.to_numpy(dtype=float, na_value=np.nan))
        if bad.any():
            row = int(bad.argmax())
            name = frame["instance_type"].iloc[row] if "instance_type" in frame.columns else row
            raise InputError(
                f"{origin}: column {column} holds {values.iloc[row]} in row {row} ({name}): not a usable number; "
                "fix that row or collect a fresh snapshot"
            )


def _json_frame(document: Any, path: Path) -> pd.DataFrame:
    rows = document.get("catalogue") if isinstance(document, dict) else document
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise InputError(f'{path}: a JSON catalogue is a list of row objects (or {{"catalogue": [...]}})')
    return pd.DataFrame(rows)


def _frame(
    records: list[dict[str, Any]],
    columns: tuple[str, ...],
    dtypes: Mapping[str, str],
    empty: Callable[[], pd.DataFrame],
) -> pd.DataFrame:
    if not records:
        return empty()
    return pd.DataFrame(records, columns=list(columns)).astype(dict(dtypes))


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# --- diff --------------------------------------------------------------------------------------

DIFF_COLUMNS = (
    "change",
    "provider_uuid",
    "provider",
    "instance_type_uuid",
    "instance_type",
    "old_hourly_price",
    "new_hourly_price",
    "old_monthly_price",
    "new_monthly_price",
    "change_pct",
)
_CHANGE_ORDER = {"removed": 0, "added": 1, "price": 2}


def diff(old: pd.DataFrame | Catalogue, new: pd.DataFrame | Catalogue) -> pd.DataFrame:
    """Instance types added, removed, or whose effective price changed from `old` to `new`.

    Rows are keyed by (provider_uuid, instance_type_uuid), falling back to the names where a
    hand-made catalogue has no uuids. `change_pct` is the monthly price change in percent. A row
    whose currency changed cannot be compared: that is a `CatalogueError`.
    """
    old_frame = old.frame if isinstance(old, Catalogue) else old
    new_frame = new.frame if isinstance(new, Catalogue) else new
    merged = pd.merge(
        _keyed(old_frame),
        _keyed(new_frame),
        on=["_provider", "_type"],
        how="outer",
        suffixes=("_old", "_new"),
        indicator=True,
    )
    # Each row states its own currency: a price is compared only with a price in the same currency.
    both = merged[merged["_merge"] == "both"]
    moved = both[both["currency_old"].astype("string") != both["currency_new"].astype("string")]
    if not moved.empty:
        pairs = sorted(set(moved["currency_old"].astype(str)) | set(moved["currency_new"].astype(str)))
        raise CatalogueError(
            f"cannot compare catalogues priced in different currencies ({', '.join(pairs)}): "
            f"{len(moved)} instance types changed currency, e.g. {moved.iloc[0]['provider_new']} "
            f"{moved.iloc[0]['instance_type_new']}"
        )
    change = merged["_merge"].map({"left_only": "removed", "right_only": "added", "both": "price"})
    result = pd.DataFrame(
        {
            "change": change.astype("string"),
            "provider_uuid": merged["provider_uuid_new"].fillna(merged["provider_uuid_old"]),
            "provider": merged["provider_new"].fillna(merged["provider_old"]),
            "instance_type_uuid": merged["instance_type_uuid_new"].fillna(merged["instance_type_uuid_old"]),
            "instance_type": merged["instance_type_new"].fillna(merged["instance_type_old"]),
            "old_hourly_price": merged["hourly_price_old"],
            "new_hourly_price": merged["hourly_price_new"],
            "old_monthly_price": merged["monthly_price_old"],
            "new_monthly_price": merged["monthly_price_new"],
        }
    )
    delta = result["new_monthly_price"] - result["old_monthly_price"]
    result["change_pct"] = (delta / result["old_monthly_price"] * 100).round(2)
    moved = ((delta.abs() > 1e-9) | ((result["new_hourly_price"] - result["old_hourly_price"]).abs() > 1e-9)).fillna(
        False
    )
    result = result[(result["change"] != "price") | moved.astype(bool)]
    order = result["change"].map(_CHANGE_ORDER)
    result = result.assign(_order=order).sort_values(["_order", "provider", "instance_type"], kind="stable")
    return result.drop(columns="_order").reset_index(drop=True)[list(DIFF_COLUMNS)]


def _keyed(frame: pd.DataFrame) -> pd.DataFrame:
    columns = [
        "provider_uuid",
        "provider",
        "instance_type_uuid",
        "instance_type",
        "hourly_price",
        "monthly_price",
        "currency",
    ]
    keyed = frame[columns].copy()
    keyed["_provider"] = frame["provider_uuid"].fillna(frame["provider"]).astype("string")
    keyed["_type"] = frame["instance_type_uuid"].fillna(frame["instance_type"]).astype("string")
    return keyed.drop_duplicates(["_provider", "_type"])
