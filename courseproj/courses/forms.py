import unicodedata

from django import forms

from courseproj.courses.models import Course, Role, person_name


def _name_field() -> forms.CharField:
    return forms.CharField(
        max_length=120, label="Your name", help_text="As your classmates and instructors know you.",
        widget=forms.TextInput(attrs={"autocomplete": "name", "autocapitalize": "words"}),
    )


class SignupForm(forms.Form):
    """The fields allauth's sign-up form adds to email and password (ACCOUNT_SIGNUP_FORM_CLASS).

    The account adapter (courses/adapter.py) stores the name when it saves the user.
    """

    name = _name_field()
    field_order = ["name", "email", "password1", "password2"]

    def clean_name(self) -> str:
        return person_name(self.cleaned_data["name"])

    def signup(self, request, user) -> None:
        """allauth calls this after saving the user; the adapter has stored the name already."""


class NameForm(forms.Form):
    name = _name_field()

    def clean_name(self) -> str:
        name = person_name(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError("Enter your name.")
        return name


def validate_one_line(value: str) -> None:
    """Titles end up in email subjects and headers: one line, no control characters."""
    if any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in value):
        raise forms.ValidationError("Write it on one line, without line breaks, tabs or control characters.")


class CourseCreateForm(forms.Form):
    title = forms.CharField(max_length=200, label="Course title", validators=[validate_one_line])


class JoinForm(forms.Form):
    code = forms.CharField(max_length=12, label="Join code", help_text="Six letters and digits, shown by your instructor.")

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip().upper()


class CourseSettingsForm(forms.ModelForm):
    class Meta:
        model = Course
        fields = [
            "title", "ranking_size", "min_circle_size", "max_circle_size", "anonymous", "interests_locked",
            "email_confirmation_later", "place_unranked",
        ]

    def clean_title(self) -> str:
        validate_one_line(self.cleaned_data["title"])
        return self.cleaned_data["title"]

    def clean_ranking_size(self) -> int:
        value = self.cleaned_data["ranking_size"]
        if not 1 <= value <= 10:
            raise forms.ValidationError("Students can rank between 1 and 10 datasets.")
        return value

    def clean_min_circle_size(self) -> int:
        value = self.cleaned_data["min_circle_size"]
        if value < 1:
            raise forms.ValidationError("The minimum is at least 1 student.")
        return value

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("min_circle_size"), cleaned.get("max_circle_size")
        if low and high is not None and high < low:
            self.add_error("max_circle_size", "The maximum cannot be below the minimum.")
        return cleaned


class RosterImportForm(forms.Form):
    file = forms.FileField(
        label="Roster CSV",
        help_text="An export from your LMS with an email column and names.",
        error_messages={"empty": "The file is empty."},
    )

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        if uploaded.size == 0:
            raise forms.ValidationError("The file is empty.")
        if uploaded.size > 5 * 1024 * 1024:
            raise forms.ValidationError("A roster file is at most 5 MB.")
        return uploaded


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


# --- the planner and the dashboard (issue 6) ---
