"""Statistics for the funder and the team lead: counts per month from live data or snapshots, disclosure control."""
