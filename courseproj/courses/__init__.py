"""Courses: the people, the courses they share, and who may see what.

It owns accounts (the `User` model, identified by email and shown by name),
courses with their join code, join link and projector link, memberships with
their role (instructor, TA, student), the roster an instructor imports, and
the course's live version that every live page polls. `access.py` is the one
place that decides who sees a course-scoped object. It imports no other app of
the product: datasets, matching, the planner and the dashboard build on it.
"""
