"""What every use case stands on: context, unit of work, actor, clock, errors, audit trail, outbox, settings."""
