from django.apps import AppConfig


class CourseprojConfig(AppConfig):
    name = "courseproj"
    verbose_name = "Courses"
