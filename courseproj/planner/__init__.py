"""The planner: project assignments, their choice menus and the students' plans.

It owns assignments (dates, the plan questions, whether a dataset is chosen),
choice menus with their rule ("two resources from two different categories",
or an alternative track), each student's plan with milestones, picks and the
review thread (draft → submitted → approved or changes requested), and the
reminder emails about plans. It reads the published matching from `matching`
to know each student's dataset; it never changes a matching.
"""
