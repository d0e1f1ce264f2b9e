"""The LMS connection (LTI 1.3, issue 14): launches from Moodle or Canvas sign people in and
join them to the linked course with the role the platform states; the roster comes by
Names and Role Provisioning; a published matching goes back as Canvas or Moodle groups.

It sits at the top of the dependency order (beside the dashboard): it uses courses
(accounts, courses, memberships, roster) and matching (published runs); nothing imports it.
Platform registrations, deployments and the tool's keys are django-lti's models (`lti_tool`).
Design: docs/lti.md.
"""
