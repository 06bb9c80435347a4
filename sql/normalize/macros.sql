-- normalize_macros: the set-wise form of flows/normalize (ids.py, names.py, staging.clean_text).
-- NFKC in SQL covers the characters registry files carry: nfkc_fast maps full-width ASCII
-- (U+FF01-FF5E) and the ideographic space as NFKC does; every other character in
-- nfkc_unsafe's complement is its own NFKC form (checked when this file was written).  A
-- value with any other character is normalised in Python, once per distinct value
-- (_nfkc, flows/normalize/staging.py).  WS is Python's \s (str.isspace()), spelled out
-- because RE2's \s is ASCII only.  Each cleaning first asks whether there is anything to
-- clean (most values have nothing: translate and regexp_replace cost far more than a match).
-- Temporary macros: nothing is stored in the warehouse.
create or replace temp macro nfkc_fast(x) as case when regexp_matches(x, '[\x{FF01}-\x{FF5E}\x{3000}]') then translate(x, '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else x end;
create or replace temp macro nfkc_wide(x) as regexp_matches(x, '[\x{FF01}-\x{FF5E}\x{3000}]');
-- nfkc_odd: a character outside the safe set or a full-width one; a value without one is
-- neither unsafe nor wide (one regexp answers both for almost every value: nfkc_probe).
create or replace temp macro nfkc_odd(x) as regexp_matches(x, '[^\x{9}\x{A}\x{D}\x{20}-\x{7E}\x{B7}\x{2014}\x{2022}\x{25A0}-\x{25A1}\x{25CB}\x{3001}-\x{3003}\x{3007}-\x{3011}\x{3400}-\x{4DBF}\x{4E00}-\x{9FFF}]');
create or replace temp macro nfkc_unsafe(x) as regexp_matches(x, '[^\x{9}\x{A}\x{D}\x{20}-\x{7E}\x{B7}\x{2014}\x{2022}\x{25A0}-\x{25A1}\x{25CB}\x{3000}-\x{3003}\x{3007}-\x{3011}\x{3400}-\x{4DBF}\x{4E00}-\x{9FFF}\x{FF01}-\x{FF5E}]');
create or replace temp macro text_clean(t) as case when regexp_matches(t, '[\t\n\x0B\f\r\x1C-\x1F \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}]') then nullif(regexp_replace(regexp_replace(t, '[\t\n\x0B\f\r\x1C-\x1F \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}]+', ' ', 'g'), '^ | $', '', 'g'), '') else nullif(t, '') end;
create or replace temp macro name_clean(t) as case when regexp_matches(t, '[\t\n\x0B\f\r\x1C-\x1F \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{B7}\x{2022}\x{2027}\x{30FB}\x{FF0E}\x{2219}\x{22C5}\x{B8}\x{387}\x{318D}\x{119E}\x{2E31}\x{A78F}.\x{2022}]') then nullif(regexp_replace(regexp_replace(regexp_replace(t, '[\t\n\x0B\f\r\x1C-\x1F \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}]+', '', 'g'), '[\x{B7}\x{2022}\x{2027}\x{30FB}\x{FF0E}\x{2219}\x{22C5}\x{B8}\x{387}\x{318D}\x{119E}\x{2E31}\x{A78F}.\x{2022}]', '·', 'g'), '^·+|·+$', '', 'g'), '') else nullif(t, '') end;
create or replace temp macro id_text(t) as case when regexp_matches(t, '[a-z\t\n\x0B\f\r\x1C-\x1F \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\-_''"`]') then regexp_replace(upper(t), '[\t\n\x0B\f\r\x1C-\x1F \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\-_''"`]', '', 'g') else t end;
create or replace temp macro id_non_ascii(t) as regexp_matches(t, '[^\x00-\x7F]');
create or replace temp macro id_digit(s, i) as cast(substr(s, i, 1) as integer);
-- GB 11643's check character: the 17 digits as one number and its digits by arithmetic (a
-- city's 10M IDs: half the time of 17 one-character casts).  Only ever given 17 digits and more.
create or replace temp macro id_check_of(n) as substr('10X98765432', 1 + ((n // 10000000000000000 % 10) * 7 + (n // 1000000000000000 % 10) * 9 + (n // 100000000000000 % 10) * 10 + (n // 10000000000000 % 10) * 5 + (n // 1000000000000 % 10) * 8 + (n // 100000000000 % 10) * 4 + (n // 10000000000 % 10) * 2 + (n // 1000000000 % 10) * 1 + (n // 100000000 % 10) * 6 + (n // 10000000 % 10) * 3 + (n // 1000000 % 10) * 7 + (n // 100000 % 10) * 9 + (n // 10000 % 10) * 10 + (n // 1000 % 10) * 5 + (n // 100 % 10) * 8 + (n // 10 % 10) * 4 + (n // 1 % 10) * 2) % 11, 1);
create or replace temp macro id_check(s) as id_check_of(cast(substr(s, 1, 17) as bigint));
create or replace temp macro id_shape_ok(t) as regexp_full_match(t, '\d{17}[\dX]|\d{15}');
create or replace temp macro id_upgrade(t) as case when length(t) = 15 then substr(t, 1, 6) || '19' || substr(t, 7) || id_check(substr(t, 1, 6) || '19' || substr(t, 7)) else t end;
create or replace temp macro id_born_raw(t18) as try_cast(substr(t18, 7, 4) || '-' || substr(t18, 11, 2) || '-' || substr(t18, 13, 2) as date);
create or replace temp macro id_born(d) as case when d between date '1880-01-01' and current_date then d end;
create or replace temp macro id_status(t, t18, born, check_ok, from_number, region_known) as case when t is null or t in ('', 'NAN', 'NONE', 'NULL') then 'empty' when (contains(t, 'E') or contains(t, '.')) and (regexp_full_match(t, '\d(\.\d+)?E\+?\d+') or regexp_full_match(t, '\d{15,18}\.0+')) then 'corrupted' when from_number and length(t) = 18 then 'corrupted' when t18 is null then case when length(t) in (15, 18) then 'bad_chars' else 'bad_length' end when born is null then 'bad_birth_date' when not region_known then 'unknown_region' when not check_ok then case when t18 like '%000' then 'corrupted' else 'bad_check_digit' end else 'valid' end;
