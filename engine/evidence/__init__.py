"""Evidence: files attached to a case, screened by content, sealed at rest, with their metadata."""
