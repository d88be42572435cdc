"""Working time: office hours, public holidays, closure days, due-time arithmetic and its settings."""
