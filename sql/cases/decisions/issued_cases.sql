-- issued_cases: the case_ids on a village's sheet of month $month — a returned sheet may
-- answer only these.  Inputs: exceptions.  Parameters: $month, $township, $village.
select case_id from exceptions where month = $month and township = $township and village = $village
