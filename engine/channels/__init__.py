"""The service's channels: inbound e-mail (IMAP), taken exactly once, onto a case or into triage."""
