from django.apps import AppConfig


class LtiConfig(AppConfig):
    name = "courseproj.lti"
    label = "lti"
    verbose_name = "LMS (LTI 1.3)"
