"""The person behind a case: anonym or vertraulich, contact routes, the contacts log, finding a case again."""
