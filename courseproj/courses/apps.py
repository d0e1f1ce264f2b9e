from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "courseproj.courses"
    # The label these models had when they lived in the `courseproj` app: their
    # tables, the migrations already applied and AUTH_USER_MODEL stay as they were.
    label = "courseproj"
    verbose_name = "Courses"

    def ready(self) -> None:
        from django.urls import register_converter

        from courseproj.courses.converters import IdConverter

        # Before any URLconf loads: every app's URLs use <id:...> for ids.
        register_converter(IdConverter, "id")
