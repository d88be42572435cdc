"""Process models as versions: deployment, review before deploy, lint rules, migrating running cases."""
