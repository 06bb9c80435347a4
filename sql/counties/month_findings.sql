-- month_findings: the city's cross-county findings of a month, by county, rule and ref.
-- Inputs: city_findings.  Parameters: $month.
select * from city_findings where month = $month order by county, rule, ref
