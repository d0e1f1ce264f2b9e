"""What courseproj keeps of the LMS: who is who, which context is which course, the NRPS roster.

Registrations, deployments and the tool's keys are django-lti's (`lti_tool`).
"""

from django.db import models


class LtiIdentity(models.Model):
    """A platform's user (`sub`, unique per issuer) linked to a courseproj account."""

    issuer = models.CharField(max_length=255)
    sub = models.CharField(max_length=255)
    user = models.ForeignKey("courseproj.User", on_delete=models.CASCADE, related_name="lti_identities")
    # The last claims seen (a Moodle username comes from the custom parameter `username`).
    name = models.CharField(max_length=255, blank=True)
    email = models.EmailField(blank=True)
    username = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_launch_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "sub"], name="one_identity_per_issuer_sub")]

    def __str__(self) -> str:
        return f"{self.sub} at {self.issuer}"


class LtiCourseLink(models.Model):
    """An LMS context (course) of a deployment, linked to a courseproj course."""

    deployment = models.ForeignKey("lti_tool.LtiDeployment", on_delete=models.CASCADE, related_name="course_links")
    context_id = models.CharField(max_length=255)
    course = models.ForeignKey("courseproj.Course", on_delete=models.CASCADE, related_name="lti_links")
    title = models.CharField(max_length=255, blank=True)
    label = models.CharField(max_length=255, blank=True)
    memberships_url = models.URLField(max_length=500, blank=True)
    canvas_course_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["deployment", "context_id"], name="one_link_per_deployment_context")
        ]

    def __str__(self) -> str:
        return f"{self.title or self.context_id} → {self.course}"


class LtiNonce(models.Model):
    """A launch's nonce, used once: the unique constraint refuses a replay."""

    issuer = models.CharField(max_length=255)
    nonce = models.CharField(max_length=255)
    used_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "nonce"], name="one_use_per_nonce")]


class MemberStatus(models.TextChoices):
    ACTIVE = "Active", "Active"
    INACTIVE = "Inactive", "Inactive"
    DELETED = "Deleted", "Deleted"


class LtiRosterMember(models.Model):
    """A member of the linked context as NRPS last described them; people who left are marked, never deleted."""

    link = models.ForeignKey(LtiCourseLink, on_delete=models.CASCADE, related_name="roster_members")
    sub = models.CharField(max_length=255)
    name = models.CharField(max_length=255, blank=True)
    given_name = models.CharField(max_length=255, blank=True)
    family_name = models.CharField(max_length=255, blank=True)
    email = models.EmailField(blank=True)
    roles = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=12, choices=MemberStatus.choices, default=MemberStatus.ACTIVE)
    sis_user_id = models.CharField(max_length=255, blank=True)
    login_id = models.CharField(max_length=255, blank=True)
    canvas_user_id = models.CharField(max_length=64, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["link", "sub"], name="one_roster_member_per_sub")]
        ordering = ["family_name", "given_name", "sub"]

    def __str__(self) -> str:
        return self.name or self.sub


class LtiRosterSync(models.Model):
    link = models.ForeignKey(LtiCourseLink, on_delete=models.CASCADE, related_name="syncs")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    pages = models.PositiveIntegerField(default=0)
    members = models.PositiveIntegerField(default=0)
    left = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]


class CanvasPush(models.Model):
    """One push of a published run into Canvas groups (the token is never stored)."""

    run = models.ForeignKey("matching.MatchRun", on_delete=models.CASCADE, related_name="canvas_pushes")
    pushed_by = models.ForeignKey("courseproj.User", null=True, on_delete=models.SET_NULL, related_name="+")
    pushed_at = models.DateTimeField(auto_now_add=True)
    category_id = models.BigIntegerField()
    created_groups = models.PositiveIntegerField(default=0)
    added = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    # LTI subject -> Canvas user id, so the next push sees who is already in place.
    canvas_ids = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-pushed_at", "-pk"]


class CanvasSite(models.Model):
    """Where a Canvas registration's REST API lives (Canvas's issuer is the same for every school)."""

    registration = models.OneToOneField("lti_tool.LtiRegistration", on_delete=models.CASCADE, related_name="canvas_site")
    base_url = models.URLField("Canvas base URL", help_text="e.g. https://school.instructure.com: circles are pushed there.")

    def __str__(self) -> str:
        return self.base_url
