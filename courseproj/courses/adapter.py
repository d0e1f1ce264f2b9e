"""How allauth signs people up and in here (ACCOUNT_ADAPTER).

1. Sign-up stores the name the form asked for; an account made without one
   (the admin, a future social login) takes the name a roster gives its email.
2. Email verification is mandatory (ACCOUNT_EMAIL_VERIFICATION), except for
   someone who arrived through the join link of a course that lets students
   confirm their email later (`Course.email_confirmation_later`): in class a
   student goes from the QR code to a first pick without opening a mailbox.
   The join link keeps its code in the session (courses/views.py), and the
   email verification stage asks for it. The confirmation email is still sent
   at sign-up; a later login without a confirmed email asks for it as usual.
"""
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.app_settings import EmailVerificationMethod
from allauth.account.stages import EmailVerificationStage

from courseproj.courses.models import Course
from courseproj.courses.selectors import roster_name_for

PENDING_JOIN_SESSION_KEY = "pending_join_code"


def confirmation_can_wait(request) -> bool:
    """Whether this visitor came through the join link of a course that lets email confirmation wait."""
    code = request.session.get(PENDING_JOIN_SESSION_KEY)
    return bool(code) and Course.objects.filter(join_code=code, email_confirmation_later=True).exists()


def user_display(user) -> str:
    """How allauth addresses someone in messages and mails meant for them alone: their name, else their email."""
    return user.name or user.email


class JoinLinkEmailVerificationStage(EmailVerificationStage):
    """allauth's stage, with "optional" instead of "mandatory" right after a sign-up through such a join link."""

    def handle(self):
        login = self.login
        if (
            login.signup
            and login.email_verification == EmailVerificationMethod.MANDATORY
            and confirmation_can_wait(self.request)
        ):
            login.email_verification = EmailVerificationMethod.OPTIONAL
        return super().handle()


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        user.name = form.cleaned_data.get("name") or roster_name_for(email=user.email)
        if commit:
            user.save()
        return user

    def get_login_stages(self) -> list[str]:
        stage = f"{EmailVerificationStage.__module__}.{EmailVerificationStage.__name__}"
        ours = f"{JoinLinkEmailVerificationStage.__module__}.{JoinLinkEmailVerificationStage.__name__}"
        return [ours if path == stage else path for path in super().get_login_stages()]
