"""The referral directory: support offers, their history, search, review and CSV exchange."""
