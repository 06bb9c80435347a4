"""The ID block of fuzzy death matching (sql/matching/id_candidates.sql) finds exactly the
pairs whose IDs differ only within two adjacent positions, through nine window keys."""
from __future__ import annotations

import random

import duckdb

from flows.warehouse import run_sql


def _near(a: str, b: str) -> bool:
    differing = [i for i in range(18) if a[i] != b[i]]
    return len(differing) <= 1 or (len(differing) == 2 and differing[1] == differing[0] + 1)


def test_window_keys_find_every_pair_one_typo_or_transposition_apart_and_no_other():
    rng = random.Random(5)
    bases = ["".join(rng.choice("0123456789") for _ in range(17)) + rng.choice("0123456789X") for _ in range(30)]
    deaths = []
    for base in bases:
        for _ in range(6):   # substitutions, transpositions, two digits changed (adjacent or not)
            chars, kind = list(base), rng.randrange(4)
            i = rng.randrange(17)
            j = i + 1 if kind != 3 else rng.randrange(18)
            if kind == 0:
                chars[i] = str((int(chars[i]) + 1) % 10) if chars[i].isdigit() else "0"
            elif kind == 1:
                chars[i], chars[j] = chars[j], chars[i]
            else:
                for k in (i, j):
                    chars[k] = str((int(chars[k]) + 3) % 10) if chars[k].isdigit() else "1"
            deaths.append("".join(chars))
    deaths += bases[:5]                       # the same ID: DECEASED_PAID's, unless invalid
    rows = [("member", k, b, b if k % 2 else None) for k, b in enumerate(bases)]
    rows += [("death", k, d, d if k % 3 else None) for k, d in enumerate(deaths)]
    con = duckdb.connect()
    con.execute("create table match_sides (side varchar, key bigint, id_text varchar, id_number varchar)")
    con.executemany("insert into match_sides values (?, ?, ?, ?)", rows)
    con.execute("alter table match_sides add column id_full_length boolean")
    con.execute("update match_sides set id_full_length = length(id_text) = 18")
    run_sql(con, "matching/id_candidates")
    found = set(con.execute("select member_key, evidence_id from id_candidates").fetchall())
    members = [(key, text, valid) for side, key, text, valid in rows if side == "member"]
    records = [(key, text, valid) for side, key, text, valid in rows if side == "death"]
    expected = {(m, d) for m, m_text, m_valid in members for d, d_text, d_valid in records
                if _near(m_text, d_text) and (m_valid is None or m_valid != d_valid)}
    assert found == expected
    assert len(expected) > 100   # the world holds such pairs: the test can fail
