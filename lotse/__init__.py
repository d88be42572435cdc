"""The composition root: the ``lotse`` command builds the engine, the web app and the scheduled jobs from one set of settings."""
