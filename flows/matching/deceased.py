"""Score candidate (roster member, death record) pairs: is this the same person?

SQL finds the candidates by blocking (sql/matching/suspect_candidates.sql); this module
weighs the evidence that SQL does poorly: name edit distance and homophones (rapidfuzz,
pypinyin), ID typos and transpositions, and the evidence *against* — a living, exactly
matching population record, or a death record carrying another valid ID.  Reporting a
living person as dead is the worst error this tool can make, so a conflicting valid ID
weighs heavily.
"""
from __future__ import annotations

import duckdb
import pandas as pd
from rapidfuzz.distance import OSA, Levenshtein

from flows.warehouse import query_sql, replace_table

# Evidence weights.  A score of 1.0 would be an exact ID match (DECEASED_PAID's job).
SAME_BIRTH_SAME_NAME = 0.92
SAME_BIRTH_HOMOPHONE = 0.90
SAME_BIRTH_NEAR_NAME = 0.85
NEAR_ID_SAME_NAME = 0.95
NEAR_ID_HOMOPHONE = 0.92
NEAR_ID_NEAR_NAME = 0.86
NEAR_ID_OTHER_NAME = 0.50
BOTH_BLOCKS_BONUS = 0.04
ALIVE_IN_POPULATION = 0.04      # a living exact population record: evidence against
CONFLICTING_VALID_ID = 0.15     # the death record names another valid ID
CONFLICT_AND_ALIVE = 0.35       # … and the member is alive under their own ID

SCORED_COLUMNS = ["member_key", "evidence_id", "score", "name_similarity", "id_distance", "detail"]


def score_candidates(con: duckdb.DuckDBPyConnection, *, name_floor: float) -> int:
    """Build table suspect_scores from suspect_candidates; returns the pairs scored."""
    pairs = query_sql(con, "matching/suspect_pairs")
    scored = score_pairs(pairs, name_floor=name_floor)
    replace_table(con, "suspect_scores", scored)
    return len(pairs)


def score_pairs(pairs: pd.DataFrame, *, name_floor: float) -> pd.DataFrame:
    """Plain scoring of a pairs frame (columns of sql/matching/suspect_pairs.sql)."""
    if pairs.empty:
        return pd.DataFrame(columns=SCORED_COLUMNS).astype({"score": float, "name_similarity": float})
    pairs = pairs.astype(object).where(pairs.notna(), None)
    rows = [_score(pair, name_floor) for pair in pairs.itertuples(index=False)]
    return pd.DataFrame(rows, columns=SCORED_COLUMNS)


def _score(p, name_floor: float) -> tuple:
    member_name, death_name = p.member_name or "", p.death_name or ""
    name_sim = Levenshtein.normalized_similarity(member_name, death_name)
    homophone = bool(p.member_pinyin) and p.member_pinyin == p.death_pinyin
    same_name = member_name == death_name
    near_name = name_sim >= name_floor
    id_distance = _id_distance(p.member_id_text, p.death_id_text)
    near_id = id_distance == 1
    same_birth = p.member_birth is not None and p.member_birth == p.death_birth

    if near_id:
        score = (NEAR_ID_SAME_NAME if same_name else NEAR_ID_HOMOPHONE if homophone
                 else NEAR_ID_NEAR_NAME if near_name else NEAR_ID_OTHER_NAME)
        if same_birth:
            score += BOTH_BLOCKS_BONUS
    elif same_birth:
        score = (SAME_BIRTH_SAME_NAME if same_name else SAME_BIRTH_HOMOPHONE if homophone
                 else SAME_BIRTH_NEAR_NAME if near_name else 0.0)
    else:
        score = 0.0

    conflicting_id = bool(p.member_id_valid and p.death_id_valid and not near_id)
    if conflicting_id:
        score -= CONFLICT_AND_ALIVE if p.alive_in_population else CONFLICTING_VALID_ID
    elif p.alive_in_population:
        score -= ALIVE_IN_POPULATION
    score = round(max(0.0, min(score, 0.99)), 3)
    return (p.member_key, p.evidence_id, score, round(name_sim, 3), id_distance,
            _explain(same_name, homophone, name_sim, near_id, id_distance, same_birth,
                     conflicting_id, p.alive_in_population, bool(p.death_id_valid)))


def _id_distance(a: str | None, b: str | None) -> int | None:
    """1 for one wrong digit or two swapped neighbours, larger otherwise; None if absent."""
    if not a or not b:
        return None
    return OSA.distance(a, b)


def _explain(same_name, homophone, name_sim, near_id, id_distance, same_birth, conflicting_id, alive,
             death_id_valid) -> str:
    parts = []
    if same_name:
        parts.append("姓名相同")
    elif homophone:
        parts.append("姓名同音")
    else:
        parts.append(f"姓名相似度{name_sim:.2f}")
    if same_birth:
        parts.append("出生日期相同")
    if near_id:
        parts.append("身份证号仅差一位或两位相邻数字颠倒")
    elif id_distance is not None and death_id_valid:
        parts.append(f"身份证号相差{id_distance}位")
    elif id_distance is not None:
        parts.append("死亡记录身份证号无效（可能录错或被Excel损坏）")
    else:
        parts.append("死亡记录无身份证号")
    if conflicting_id:
        parts.append("死亡记录为另一有效身份证号（反证）")
    if alive:
        parts.append("户籍人口库显示本人状态正常（反证）")
    return "，".join(parts)
