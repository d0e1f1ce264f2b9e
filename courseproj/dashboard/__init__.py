"""The instructor's dashboard: reads only.

It owns the monitoring pages — the overview of who is stuck (not joined, not
ranked, alone, plans waiting), a page per student, and the CSV export — as
selectors over the other apps' tables, one module per page. It changes nothing
itself: the reminder button calls the planner's service, which queues the emails.
"""
