"""The task inbox: open tasks from the task projection, by tab, filter, sort order and page."""
