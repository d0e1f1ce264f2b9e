"""The registration admin of django-lti, with the Canvas base URL beside the deployments."""
from django.contrib import admin
from lti_tool.admin import LtiRegistrationAdmin
from lti_tool.models import LtiRegistration

from courseproj.lti.models import CanvasPush, CanvasSite, LtiCourseLink, LtiIdentity, LtiRosterSync


class CanvasSiteInline(admin.StackedInline):
    model = CanvasSite
    extra = 0
    max_num = 1


admin.site.unregister(LtiRegistration)


@admin.register(LtiRegistration)
class RegistrationAdmin(LtiRegistrationAdmin):
    inlines = [*LtiRegistrationAdmin.inlines, CanvasSiteInline]


@admin.register(LtiIdentity)
class LtiIdentityAdmin(admin.ModelAdmin):
    list_display = ["sub", "issuer", "user", "last_launch_at"]
    search_fields = ["sub", "user__email", "user__name"]
    raw_id_fields = ["user"]


@admin.register(LtiCourseLink)
class LtiCourseLinkAdmin(admin.ModelAdmin):
    list_display = ["title", "context_id", "deployment", "course", "created_at"]
    raw_id_fields = ["course"]


@admin.register(LtiRosterSync)
class LtiRosterSyncAdmin(admin.ModelAdmin):
    list_display = ["link", "started_at", "pages", "members", "left", "error"]


@admin.register(CanvasPush)
class CanvasPushAdmin(admin.ModelAdmin):
    list_display = ["run", "pushed_at", "pushed_by", "created_groups", "added", "removed"]
