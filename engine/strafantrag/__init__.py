"""Strafantrag periods (§ 77b StGB) and their reminders."""
