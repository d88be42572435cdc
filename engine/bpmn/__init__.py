"""The SpiffWorkflow facade: the only package of Lotse that imports SpiffWorkflow."""
