"""From the roles claim to a courseproj role: only what the platform states, only course roles.

No Django here: the launch and the NRPS sync both call `course_role`.
"""

from courseproj.courses.models import Role

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"
INSTRUCTOR = {MEMBERSHIP + "#Instructor", "Instructor"}
TEACHING_ASSISTANT = {MEMBERSHIP + "/Instructor#TeachingAssistant", "TeachingAssistant"}
LEARNER = {MEMBERSHIP + "#Learner", "Learner"}


def course_role(roles: list[str] | None) -> str | None:
    """The courseproj role for an LTI roles claim, or None when it states none we map.

    The TA sub-role wins over Instructor (the narrower statement); institution and
    system roles, Mentor, ContentDeveloper and anything unknown give nothing.
    """
    stated = {r.strip() for r in roles or [] if isinstance(r, str)}
    if stated & TEACHING_ASSISTANT:
        return Role.TA
    if stated & INSTRUCTOR:
        return Role.INSTRUCTOR
    if stated & LEARNER:
        return Role.STUDENT
    return None
