"""Cases and their tasks: opening, working, the case file, notes, assessments, incidents, need to know, retention."""
