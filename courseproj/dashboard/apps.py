from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "courseproj.dashboard"
    label = "dashboard"
    verbose_name = "Dashboard"
