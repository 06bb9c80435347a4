-- delete_cross_county_hits: remove the cross-county findings applied earlier this month,
-- so that applying the city's latest findings replaces them.
-- Inputs: rule_hits.
delete from rule_hits where matched_source like '跨区县%'
