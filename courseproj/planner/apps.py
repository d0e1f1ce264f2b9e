from django.apps import AppConfig


class PlannerConfig(AppConfig):
    name = "courseproj.planner"
    label = "planner"
    verbose_name = "Planner"
