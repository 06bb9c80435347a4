"""Turn raw source cells into staged rows: raw and normalised values side by side.

A value that cannot be understood is kept raw, set to NULL in its normalised column,
and reported as a reject with the file, sheet, row, column and a Chinese reason.  A row
is dropped whole only when it cannot be reconciled at all (no name, for instance).
"""
from __future__ import annotations

import re
import unicodedata

import pandas as pd

from flows.config import KIND_FIELDS, SourceConfig
from flows.normalize.dates import ACCEPTED_FORMS, parse_dated, parse_month
from flows.normalize.ids import clean_id_text, normalize_id
from flows.normalize.names import name_key, name_pinyin, normalize_name
from flows.sources.readers import SourceFile

STAGED_COMMON = ["source", "source_label", "file", "sheet", "row_number", "name_raw", "name", "name_key", "name_pinyin",
                 "id_number_raw", "id_clean", "id_number", "id_status", "id_sex", "id_birth_date"]
REJECT_COLUMNS = ["source", "file", "sheet", "row", "column", "value", "reason"]
DATE_FIELDS = ("birth_date", "death_date", "deregistration_date", "change_date", "cremation_date",
               "assistance_date")
MONTH_FIELDS = ("enrolled_month", "gradual_exit_month")
NUMBER_FIELDS = ("monthly_amount", "household_size", "income_monthly")
POVERTY_TYPES = ("未脱贫建档立卡", "边缘户", "脱贫监测户")
SEX_VALUES = {"男": "男", "女": "女", "1": "男", "2": "女", "M": "男", "F": "女", "男性": "男", "女性": "女"}
POPULATION_STATUS = ("正常", "死亡", "迁出")


def raw_table(files: list[SourceFile]) -> pd.DataFrame:
    """All sheets of all files of one source, as text, with their lineage columns."""
    frames = []
    for file in files:
        for sheet in file.sheets:
            cells = sheet.cells.copy()
            cells["_file"] = file.path.name
            cells["_sheet"] = sheet.sheet
            cells["_id_number_is_number"] = sheet.numeric_cells["id_number"].to_numpy()
            frames.append(cells)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def stage_source(source: SourceConfig, cells: pd.DataFrame, *, township_label: str = "") -> tuple[pd.DataFrame, pd.DataFrame]:
    """The raw table of one source -> (staged rows, rejects)."""
    fields = list(source.columns)
    if cells.empty or "_row" not in cells:
        return empty_staged(source.kind), pd.DataFrame(columns=REJECT_COLUMNS)
    rejects: list[dict] = []

    def reject(mask: pd.Series, field: str, reason: str) -> None:
        for _, row in cells.loc[mask, ["_file", "_sheet", "_row", field]].iterrows():
            rejects.append({"source": source.name, "file": row["_file"], "sheet": row["_sheet"],
                            "row": int(row["_row"]), "column": source.columns[field],
                            "value": row[field], "reason": reason})

    staged = pd.DataFrame({
        "source": source.name,
        "source_label": source.label,
        "file": cells["_file"],
        "sheet": cells["_sheet"],
        "row_number": cells["_row"].astype("int64"),
    })

    # Names: a row without a name cannot be matched or shown to a village head.
    staged["name_raw"] = cells["name"]
    staged["name"] = _map_unique(cells["name"], normalize_name)
    staged["name_key"] = _map_unique(staged["name"], name_key)
    staged["name_pinyin"] = _map_unique(staged["name"], lambda n: name_pinyin(n) if n else None)
    no_name = staged["name"].isna()
    reject(no_name, "name", "姓名为空，整行未导入")

    # IDs: invalid IDs stay (INVALID_ID is a finding, not a read error).
    staged["id_number_raw"] = cells["id_number"]
    id_keys = list(zip(cells["id_number"], cells["_id_number_is_number"].astype(bool)))
    results = {key: normalize_id(key[0], from_number=key[1]) for key in set(id_keys)}
    staged["id_clean"] = _map_unique(cells["id_number"], lambda v: clean_id_text(v) or None)
    staged["id_number"] = [results[k].id_number for k in id_keys]
    staged["id_status"] = [results[k].status for k in id_keys]
    staged["id_sex"] = [results[k].sex for k in id_keys]
    staged["id_birth_date"] = pd.to_datetime(pd.Series([results[k].birth_date for k in id_keys], dtype=object)).dt.date

    for field in fields:
        if field in ("name", "id_number"):
            continue
        raw = cells[field]
        if field in DATE_FIELDS:
            # The value and how precisely it is known (day, or only the month) side by side.
            dated = _map_unique(raw, parse_dated)
            parsed = dated.map(lambda d: d[0] if d else None)
            bad = raw.notna() & parsed.isna()
            reject(bad & ~no_name, field, f"日期无法识别（该字段置空，其余信息已导入）；{ACCEPTED_FORMS}")
            staged[field] = pd.to_datetime(pd.Series(list(parsed), dtype=object)).dt.date
            staged[precision_column(field)] = dated.map(lambda d: d[1] if d else None)
        elif field in MONTH_FIELDS:
            parsed = _map_unique(raw, parse_month)
            bad = raw.notna() & parsed.isna()
            reject(bad & ~no_name, field, "年月无法识别（该字段置空，其余信息已导入）；接受的写法：2020-05、2020年5月、202005")
            staged[field] = pd.to_datetime(pd.Series(list(parsed), dtype=object)).dt.date
        elif field in NUMBER_FIELDS:
            parsed = pd.to_numeric(_map_unique(raw, _number_text), errors="coerce")
            bad = raw.notna() & parsed.isna()
            reject(bad & ~no_name, field, "不是数字（该字段置空，其余信息已导入）")
            staged[field] = parsed
        elif field == "sex":
            mapped = _map_unique(raw, lambda v: SEX_VALUES.get(_clean_text(v) or ""))
            reject(raw.notna() & mapped.isna() & ~no_name, field, "性别应为 男 或 女（该字段置空）")
            staged[field] = mapped
        else:
            staged[field] = _map_unique(raw, _clean_text)
    if source.kind == "population" and "status" in staged:
        unknown = staged["status"].notna() & ~staged["status"].isin(POPULATION_STATUS)
        reject(unknown & ~no_name, "status", "人员状态应为 正常、死亡 或 迁出（该字段置空）")
        staged.loc[unknown, "status"] = None
    if source.kind == "poverty":
        bad_type = ~staged["household_type"].isin(POVERTY_TYPES) & ~no_name
        reject(bad_type, "household_type", "户类型应为 未脱贫建档立卡、边缘户 或 脱贫监测户，整行未导入")
        no_name = no_name | bad_type
    if source.kind == "roster":
        no_household = staged["household_id"].isna() & ~no_name
        reject(no_household, "household_id", "户编号为空，整行未导入")
        no_name = no_name | no_household
    if source.kind in ("roster", "poverty"):
        # A roster or ledger of one township often has no 乡镇 column: the config names it.
        township = staged["township"] if "township" in staged else pd.Series(None, index=staged.index, dtype=object)
        staged["township"] = township.fillna(township_label)
        no_village = staged["village"].isna() & ~no_name
        reject(no_village, "village", "村（社区）为空，整行未导入")
        no_name = no_name | no_village

    staged = staged[~no_name].reset_index(drop=True)
    columns = staged_columns(source.kind)
    for field in columns:
        if field not in staged:
            staged[field] = None
    return staged[columns], pd.DataFrame(rejects, columns=REJECT_COLUMNS)


def precision_column(field: str) -> str:
    """birth_date -> birth_date_precision ('day' | 'month')."""
    return f"{field}_precision"


def staged_columns(kind: str) -> list[str]:
    fields = list(KIND_FIELDS[kind])
    return STAGED_COMMON + fields + [precision_column(f) for f in fields if f in DATE_FIELDS]


def empty_staged(kind: str) -> pd.DataFrame:
    return pd.DataFrame(columns=staged_columns(kind))


def _map_unique(values: pd.Series, function) -> pd.Series:
    """Apply `function` once per distinct value: registry columns repeat a lot."""
    uniques = values.dropna().unique()
    lookup = {value: function(value) for value in uniques}
    return values.map(lookup).astype(object).where(values.notna(), None)


def _clean_text(value: object) -> str | None:
    if value is None:
        return None
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(value))).strip()
    return text or None


def _number_text(value: object) -> float | None:
    text = (_clean_text(value) or "").replace(",", "").replace("元", "").replace("人", "")
    try:
        return float(text)
    except ValueError:
        return None


def staged_arrow(staged: pd.DataFrame):
    """The staged rows with explicit types, so an empty or all-NULL column keeps its type."""
    import pyarrow as pa

    def arrow_type(column: str):
        if column in DATE_FIELDS or column in MONTH_FIELDS or column == "id_birth_date":
            return pa.date32()
        if column in NUMBER_FIELDS:
            return pa.float64()
        if column == "row_number":
            return pa.int64()
        return pa.string()

    schema = pa.schema([(c, arrow_type(c)) for c in staged.columns])
    frame = staged.astype(object).where(staged.notna(), None)
    return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
