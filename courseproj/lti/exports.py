"""A published run's circles as the files Canvas and Moodle import (through the formula-safe CSV writer)."""
from courseproj.courses.exports import to_csv
from courseproj.lti.selectors import LmsCircles

MOODLE_GROUPING = "courseproj circles"


def canvas_groups_csv(circles: LmsCircles) -> str:
    """Canvas: People → Groups → Import (a group set from CSV): a user column and `group_name`."""
    column = circles.canvas_column
    rows = [["name", column, "group_name"]]
    for circle in circles.circles:
        rows += [[p.name, p.ids[column], circle.name] for p in circle.members if column in p.ids]
    return to_csv(rows)


def moodle_groups_csv(circles: LmsCircles) -> str:
    """Moodle: Participants → Groups → Import groups."""
    return to_csv([["groupname", "groupingname"]] + [[c.name, MOODLE_GROUPING] for c in circles.circles])


def moodle_members_csv(circles: LmsCircles, *, course_shortname: str) -> str:
    """Moodle: Site administration → Users → Upload users ("update existing users"): each student into their group."""
    rows = [["username", "email", "course1", "group1"]]
    for circle in circles.circles:
        rows += [[p.username or p.email, p.email, course_shortname, circle.name] for p in circle.members]
    return to_csv(rows)
