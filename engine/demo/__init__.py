"""Demo data for the embedded set-up."""
