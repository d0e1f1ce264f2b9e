from django import forms

from courseproj.courses.models import Course, Role


class CourseCreateForm(forms.Form):
    title = forms.CharField(max_length=200, label="Course title")


class JoinForm(forms.Form):
    code = forms.CharField(max_length=12, label="Join code", help_text="Six letters and digits, shown by your instructor.")

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip().upper()


class CourseSettingsForm(forms.ModelForm):
    class Meta:
        model = Course
        fields = ["title", "ranking_size", "min_circle_size", "max_circle_size", "anonymous", "interests_locked"]

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
