"""Closed-loop referrals: ranked proposals, consent per recipient, handover, follow-up."""
