"""Encryption keys over their life: which columns are sealed, re-sealing under the newest key, retiring."""
