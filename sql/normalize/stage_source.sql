-- stage_source: one source's raw_<source> rows normalised, raw and normalised side by
-- side, with what its rejects and norm rows need (only that: {stage_columns} are the raw cells,
-- lineage and cleaned text).  One row per raw row (_pos = its place).
-- A temporary table: it is read twice and dropped, and the warehouse's encrypted storage
-- would double its cost (DuckDB spills it, encrypted, under memory_limit).
-- Inputs: raw_<source>; the distinct-value maps _nfkc, _names, _dated, _month, _number,
-- _sex, _id_py_<source> (flows/normalize/staging.py); _id_regions (every county code ever
-- in use, python-stdnum's list with history).  Macros: normalize/macros.sql.
-- Filled in by flows/normalize/staging.py: {stage}, {raw}, {nfkc_columns} (n_<field>, the
-- NFKC form of each text field), {nfkc_joins}, {name}, {id_text}, {cleaned_columns}
-- (v_<field> of text fields), {id_py_join} (IDs normalised in Python, when any), {mapped_columns} and {joins} (v_<field>,
-- p_<field> of dates, months, amounts and sex from their maps).
-- Parameters: $first_row, $end_row (the slice of raw rowids staged).
create or replace temp table {stage} as
with base as (
    select r.rowid as _pos, r.*, {nfkc_columns}
    from {raw} r {nfkc_joins}
    where r.rowid >= $first_row and r.rowid < $end_row
),
cleaned as (
    select *, {name} as _name, {id_text} as _id_t, {cleaned_columns} from base
),
shaped as (
    select *, case when id_shape_ok(_id_t) then id_upgrade(_id_t) end as _id18 from cleaned
),
checked as (
    select *, id_born(id_born_raw(_id18)) as _id_born, id_check(_id18) = substr(_id18, 18, 1) as _id_check_ok
    from shaped
),
statused as (
    select c.*, p.raw as _py_raw, p.id_clean as _py_clean, p.id_number as _py_number, p.status as _py_status,
           p.sex as _py_sex, p.birth_date as _py_birth,
           id_status(c._id_t, c._id18, c._id_born, c._id_check_ok, c._id_number_is_number, g.code is not null)
               as _sql_status
    from checked c
    {id_py_join}
    left join _id_regions g on g.code = substr(c._id18, 1, 6)
),
final as (
    select {stage_columns}, nm.name_key as _name_key, nm.name_pinyin as _name_pinyin,
           case when _py_raw is not null then _py_clean else nullif(_id_t, '') end as _id_clean,
           case when _py_raw is not null then _py_status else _sql_status end as _id_status,
           case when _py_raw is not null then _py_number when _sql_status = 'valid' then _id18 end as _id_number,
           case when _py_raw is not null then _py_sex
                when _sql_status = 'valid' then case when id_digit(_id18, 17) % 2 = 1 then '男' else '女' end end
               as _id_sex,
           case when _py_raw is not null then _py_birth when _sql_status = 'valid' then _id_born end
               as _id_birth_date
           {mapped_columns}
    from statused c
    left join _names nm on nm.name = c._name
    {joins}
)
select * from final;
