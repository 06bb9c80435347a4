"""A city's month across counties (区县): config, the county-side steps, the city-side
cross-county checks and roll-ups.  flows/city.py wires them into Prefect flows."""
