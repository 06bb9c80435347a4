-- suspect_candidates: pairs (roster member, death record) worth scoring as the same person
-- although their IDs do not match exactly.  Blocking keeps this linear in the inputs:
--   birth  — same birth date (from the ID, else the 出生日期 column);
--   id     — the IDs agree everywhere but one digit, or but two adjacent digits (a typo
--            or a transposition), compared on the cleaned text so a bad check digit still
--            blocks (the 18-digit form of a 15-digit ID).
-- Excluded: exact ID matches (those are DECEASED_PAID's), deaths after the run month,
-- and members already found DECEASED_PAID.
-- Inputs: stg_roster, stg_death_evidence, rule_hits.  Parameters: $month_end.
create or replace table suspect_candidates as
with members as (
    select member_key, name, name_pinyin, id_number, coalesce(id_number, id_clean) as id_text,
           coalesce(id_birth_date, birth_date) as birth_date
    from stg_roster
    where member_key not in (select member_key from rule_hits where rule = 'DECEASED_PAID')
),
deaths as (
    select evidence_id, name, name_pinyin, id_number, coalesce(id_number, id_clean) as id_text, birth_date, death_date
    from stg_death_evidence
    where coalesce(death_date, $month_end) <= $month_end
),
positions as (
    select unnest(range(0, 18)) as pos
),
member_id_keys as (
    select m.member_key, p.pos, left(m.id_text, p.pos) || '__' || substr(m.id_text, p.pos + 3) as id_key
    from members m, positions p
    where length(m.id_text) = 18 and p.pos < 17
    union all
    select m.member_key, p.pos, left(m.id_text, p.pos) || '_' || substr(m.id_text, p.pos + 2)
    from members m, positions p
    where length(m.id_text) = 18
),
death_id_keys as (
    select d.evidence_id, p.pos, left(d.id_text, p.pos) || '__' || substr(d.id_text, p.pos + 3) as id_key
    from deaths d, positions p
    where length(d.id_text) = 18 and p.pos < 17
    union all
    select d.evidence_id, p.pos, left(d.id_text, p.pos) || '_' || substr(d.id_text, p.pos + 2)
    from deaths d, positions p
    where length(d.id_text) = 18
),
by_id as (
    select distinct mk.member_key, dk.evidence_id
    from member_id_keys mk join death_id_keys dk using (id_key)
),
by_birth as (
    select m.member_key, d.evidence_id
    from members m join deaths d on d.birth_date = m.birth_date
),
pairs as (
    select member_key, evidence_id, 'id' as block from by_id
    union all
    select member_key, evidence_id, 'birth' from by_birth
),
final as (
    select
        p.member_key, p.evidence_id,
        bool_or(p.block = 'id') as id_block,
        bool_or(p.block = 'birth') as birth_block
    from pairs p
    join members m using (member_key)
    join deaths d using (evidence_id)
    where m.id_number is null or m.id_number is distinct from d.id_number
    group by p.member_key, p.evidence_id
)
select * from final;
