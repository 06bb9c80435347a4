"""The one declaration of each source kind: its fields and their types, the fields a file
must have, and the reject rules its rows go through.

Everything that depends on a kind reads it from here: the config's validation
(flows/config.py), reading (flows/sources/ingest.py: the required headers), staging
(flows/normalize/staging.py: typed norm_<kind> tables, the values parsed per type and
the rejects), and the tests.  A source of a kind is a [sources.NAME] block in the config
(its files and header -> field mapping); several sources may share a kind (公安 and 火化
are both `deaths`).

Field types: text (cleaned: NFKC, spaces collapsed), date (day, or month only, with its
precision beside it), month, number (amounts and counts; 元/人 and thousands commas
allowed), sex (男/女 from the codes registries use), enum (one of `values`).  Every kind
also has `name` and `id_number` (COMMON_COLUMNS): a row without a name is never imported.
"""
from __future__ import annotations

from dataclasses import dataclass

from flows.normalize.dates import ACCEPTED_FORMS

TEXT, DATE, MONTH, NUMBER, SEX, ENUM = "text", "date", "month", "number", "sex", "enum"

# Why a value of a type was set to NULL (the row itself is imported).
TYPE_REJECTS = {
    DATE: f"日期无法识别（该字段置空，其余信息已导入）；{ACCEPTED_FORMS}",
    MONTH: "年月无法识别（该字段置空，其余信息已导入）；接受的写法：2020-05、2020年5月、202005",
    NUMBER: "不是数字（该字段置空，其余信息已导入）",
    SEX: "性别应为 男 或 女（该字段置空）",
}
REJECT_NO_NAME = "姓名为空，整行未导入"
REJECT_COLUMNS = ["source", "file", "sheet", "row", "column", "value", "reason"]


@dataclass(frozen=True)
class Field:
    name: str
    type: str = TEXT
    values: tuple[str, ...] = ()   # enum: the accepted values


@dataclass(frozen=True)
class Check:
    """A reject rule beyond a field's type, applied in declaration order after the type
    rejects: the field is empty (or, with `values`, holds another value)."""

    field: str
    reason: str
    values: tuple[str, ...] = ()   # accepted values; empty: any value, but not none
    drops_row: bool = True         # False: a value outside `values` is only set to NULL


@dataclass(frozen=True)
class SourceKind:
    """One kind of registry: its canonical fields (a source maps a subset, the rest stay
    NULL), the fields without which a file cannot be read at all, its reject rules, and
    whether every run needs a source of this kind (with rows in it)."""

    fields: tuple[Field, ...]
    required: tuple[str, ...]
    checks: tuple[Check, ...] = ()
    needed: bool = False
    never_empty: bool = False
    township_from_config: bool = False   # an empty 乡镇 is the config's township_label
    # A registry of every resident (a city's is ten million rows) keeps in norm_<kind> only
    # the columns its readers take from every row, and the rows whose (field, value) is
    # `deaths_when` whole in norm_<kind>_deaths, the death evidence: a narrower working set.
    narrow_columns: tuple[str, ...] = ()
    deaths_when: tuple[str, str] | None = None

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


POPULATION_STATUS = ("正常", "死亡", "迁出")
POVERTY_TYPES = ("未脱贫建档立卡", "边缘户", "脱贫监测户")

SOURCE_KIND_SPECS: dict[str, SourceKind] = {
    # 低保/特困在册人员名册: one row per household member
    "roster": SourceKind(
        (Field("county"), Field("township"), Field("village"), Field("household_id"), Field("head_name"),
         Field("head_id_number"), Field("sex", SEX), Field("birth_date", DATE), Field("relation"),
         Field("benefit_type"), Field("household_size", NUMBER), Field("monthly_amount", NUMBER),
         Field("enrolled_month", MONTH), Field("gradual_exit_month", MONTH), Field("health"), Field("phone")),
        ("village", "household_id", "name", "id_number", "monthly_amount"),
        checks=(Check("household_id", "户编号为空，整行未导入"),
                Check("village", "村（社区）为空，整行未导入")),
        needed=True, never_empty=True, township_from_config=True),
    # 公安死亡注销, 火化记录 …: a small township may have no deaths in a month
    "deaths": SourceKind(
        (Field("sex", SEX), Field("birth_date", DATE), Field("death_date", DATE), Field("deregistration_date", DATE),
         Field("reason"), Field("address"), Field("police_station"), Field("cremation_date", DATE),
         Field("funeral_home")),
        ("name", "id_number", "death_date"), needed=True),
    # 计生全员人口
    "population": SourceKind(
        (Field("sex", SEX), Field("birth_date", DATE), Field("address"), Field("household_no"), Field("relation"),
         Field("status", ENUM, POPULATION_STATUS), Field("change_date", DATE)),
        ("name", "id_number", "status"),
        checks=(Check("status", "人员状态应为 正常、死亡 或 迁出（该字段置空）", POPULATION_STATUS, drops_row=False),),
        needed=True, never_empty=True,
        # what stg_population's readers take (the rules, source health, deliveries by township)
        narrow_columns=("source", "source_label", "name", "name_pinyin", "id_number", "address", "status",
                        "change_date"),
        deaths_when=("status", "死亡")),
    # 建档立卡/边缘户/监测户 名单 (the notice's 附件1-3 ledgers are built from it)
    "poverty": SourceKind(
        (Field("township"), Field("village"), Field("household_size", NUMBER), Field("relation"), Field("health"),
         Field("poverty_cause"), Field("income_monthly", NUMBER), Field("household_type", ENUM, POVERTY_TYPES),
         Field("phone")),
        ("village", "name", "id_number", "household_type"),
        checks=(Check("household_type", "户类型应为 未脱贫建档立卡、边缘户 或 脱贫监测户，整行未导入", POVERTY_TYPES),
                Check("village", "村（社区）为空，整行未导入")),
        township_from_config=True),
    # 临时救助 records: who received temporary assistance
    "assistance": SourceKind(
        (Field("township"), Field("village"), Field("assistance_type"), Field("assistance_date", DATE)),
        ("name", "id_number")),
}

SOURCE_KINDS = tuple(SOURCE_KIND_SPECS)
REQUIRED_KINDS = tuple(k for k, spec in SOURCE_KIND_SPECS.items() if spec.needed)
KIND_FIELDS = {k: spec.field_names for k, spec in SOURCE_KIND_SPECS.items()}
REQUIRED_FIELDS = {k: spec.required for k, spec in SOURCE_KIND_SPECS.items()}

# Lineage and the two fields every kind has, before the kind's own fields in norm_<kind>.
COMMON_COLUMNS = ["source", "source_label", "file", "sheet", "row_number", "name_raw", "name", "name_key",
                  "name_pinyin", "id_number_raw", "id_clean", "id_number", "id_status", "id_sex", "id_birth_date"]


def field_type(kind: str, field: str) -> str:
    """The type of `field` in `kind` (name and id_number are read apart: `text` here)."""
    for declared in SOURCE_KIND_SPECS[kind].fields:
        if declared.name == field:
            return declared.type
    return TEXT


def precision_column(field: str) -> str:
    """birth_date -> birth_date_precision ('day' | 'month')."""
    return f"{field}_precision"


def staged_columns(kind: str) -> list[str]:
    """The columns of norm_<kind>, in order."""
    fields = SOURCE_KIND_SPECS[kind].fields
    return COMMON_COLUMNS + [f.name for f in fields] + [precision_column(f.name) for f in fields if f.type == DATE]


def norm_columns(kind: str) -> list[str]:
    """The columns of norm_<kind> (staged_columns, or only the kind's narrow_columns)."""
    narrow = SOURCE_KIND_SPECS[kind].narrow_columns
    return [c for c in staged_columns(kind) if c in narrow] if narrow else staged_columns(kind)


def norm_tables(kind: str) -> dict[str, list[str]]:
    """The tables a kind is staged into, each with its columns: norm_<kind>, and for a kind
    with deaths_when its death rows whole in norm_<kind>_deaths."""
    tables = {f"norm_{kind}": norm_columns(kind)}
    if SOURCE_KIND_SPECS[kind].deaths_when:
        tables[f"norm_{kind}_deaths"] = staged_columns(kind)
    return tables


def column_type(kind: str, column: str) -> str:
    """The DuckDB type of a norm_<kind> column."""
    if column == "row_number":
        return "bigint"
    if column == "id_birth_date":
        return "date"
    declared = field_type(kind, column)
    if declared in (DATE, MONTH):
        return "date"
    if declared == NUMBER:
        return "double"
    return "varchar"
