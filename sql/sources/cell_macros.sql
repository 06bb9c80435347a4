-- cell_macros: how a raw cell becomes the text a person sees (flows/sources/readers.cell_text).
-- cell_text strips exactly what Python's str.strip() strips (every character with
-- str.isspace(); RE2's \s is ASCII only, so the class is spelled out) and makes an
-- empty cell NULL.  It first asks whether there is anything to strip: most cells have
-- nothing, and a match costs less than a replace.  Temporary macros: nothing is stored in
-- the warehouse.
create or replace temp macro cell_text(x) as
    case when regexp_matches(x, '^[\t\n\x0B\f\r\x1C-\x1F \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}]+|[\t\n\x0B\f\r\x1C-\x1F \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}]+$')
         then nullif(regexp_replace(x, '^[\t\n\x0B\f\r\x1C-\x1F \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}]+|[\t\n\x0B\f\r\x1C-\x1F \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}]+$', '', 'g'), '')
         else nullif(x, '') end;
