from django import forms

from courseproj.courses.forms import validate_one_line
from courseproj.planner.models import DEFAULT_PLAN_FIELDS, PLAN_FIELD_HELP, ChoiceMenu, ProjectAssignment


DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_PLAN_FIELDS = 12
ANSWER_MAX = 5000
REFLECTION_MAX = 3000


class AssignmentForm(forms.ModelForm):
    plan_fields_text = forms.CharField(
        label="Plan fields",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="One question per line; students answer each in their plan. Leave empty for no plan fields.",
    )

    class Meta:
        model = ProjectAssignment
        fields = ["title", "instructions", "launch_on", "checkin_on", "due_on", "needs_dataset"]
        widgets = {"launch_on": DATE_INPUT, "checkin_on": DATE_INPUT, "due_on": DATE_INPUT,
                   "instructions": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = self.instance.plan_fields if self.instance.pk else DEFAULT_PLAN_FIELDS
        self.fields["plan_fields_text"].initial = "\n".join(fields)

    def clean_title(self) -> str:
        validate_one_line(self.cleaned_data["title"])
        return self.cleaned_data["title"]

    def clean_plan_fields_text(self) -> list[str]:
        labels = []
        for line in self.cleaned_data["plan_fields_text"].splitlines():
            label = " ".join(line.split())
            if len(label) > 120:
                raise forms.ValidationError("Keep each plan field under 120 characters.")
            if label and label not in labels:
                labels.append(label)
        if len(labels) > MAX_PLAN_FIELDS:
            raise forms.ValidationError(f"A plan has at most {MAX_PLAN_FIELDS} fields.")
        return labels

    def clean(self):
        cleaned = super().clean()
        launch, checkin, due = cleaned.get("launch_on"), cleaned.get("checkin_on"), cleaned.get("due_on")
        if launch and checkin and checkin < launch:
            self.add_error("checkin_on", "The check-in comes after the launch.")
        if checkin and due and due < checkin:
            self.add_error("due_on", "The due date comes after the check-in.")
        return cleaned


class MenuForm(forms.ModelForm):
    alternative_url = forms.URLField(label="Alternative track link", required=False, max_length=200, assume_scheme="https")
    outline = forms.CharField(
        label="Options by category",
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text="A category per line (add a note after a colon), then its options below it, each starting "
        "with “- ” and optionally ending with a link.",
    )

    class Meta:
        model = ChoiceMenu
        fields = ["instructions", "pick_count", "distinct_categories", "alternative_label", "alternative_url"]
        widgets = {"instructions": forms.Textarea(attrs={"rows": 3})}

    def clean_pick_count(self) -> int:
        value = self.cleaned_data["pick_count"]
        if not 1 <= value <= 10:
            raise forms.ValidationError("Students pick between 1 and 10 options.")
        return value

    def clean_outline(self):
        from courseproj.planner.services import parse_menu_outline

        try:
            return parse_menu_outline(self.cleaned_data["outline"])
        except forms.ValidationError as error:
            raise forms.ValidationError(error.messages) from None


class PlanForm(forms.Form):
    """The plan's questions (from the assignment) and, when the course runs no matching, the dataset."""

    def __init__(self, *args, labels: list[str], datasets=None, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.labels = labels
        if datasets is not None:
            self.fields["dataset"] = forms.ModelChoiceField(
                queryset=datasets, required=False, label="Your dataset", empty_label="Choose a dataset…",
                help_text="The course runs no matching: choose directly from the catalog.",
            )
        for index, label in enumerate(labels):
            self.fields[f"answer_{index}"] = forms.CharField(
                label=label, required=False, max_length=ANSWER_MAX, help_text=PLAN_FIELD_HELP.get(label, ""),
                widget=forms.Textarea(attrs={"rows": 4}),
            )

    def answers(self) -> dict[str, str]:
        return {label: self.cleaned_data[f"answer_{i}"].strip() for i, label in enumerate(self.labels)}


class PicksForm(forms.Form):
    """A checkbox and a reflection per option, and the track (menu or alternative)."""

    track = forms.ChoiceField(choices=[("menu", "Pick from the menu"), ("alternative", "Take the alternative track")],
                              initial="menu", widget=forms.RadioSelect, required=False)

    def __init__(self, *args, options, **kwargs):
        super().__init__(*args, **kwargs)
        self.option_ids = [o.pk for o in options]
        for option in options:
            self.fields[f"option_{option.pk}"] = forms.BooleanField(required=False, label=option.title)
            self.fields[f"reflection_{option.pk}"] = forms.CharField(
                required=False, max_length=REFLECTION_MAX, label=f"Your reflection on {option.title}",
                widget=forms.Textarea(attrs={"rows": 4}),
            )

    def picked(self) -> list[int]:
        return [pk for pk in self.option_ids if self.cleaned_data.get(f"option_{pk}")]

    def reflections(self) -> dict[int, str]:
        return {pk: self.cleaned_data.get(f"reflection_{pk}", "").strip() for pk in self.option_ids}

    def grouped(self, categories) -> list[tuple]:
        """(category, [(option, checkbox, reflection)]) for the template, which cannot index by name."""
        return [(c, [(o, self[f"option_{o.pk}"], self[f"reflection_{o.pk}"]) for o in c.options.all()])
                for c in categories]


class MilestoneForm(forms.Form):
    title = forms.CharField(max_length=120, label="Milestone", validators=[validate_one_line])
    due_on = forms.DateField(label="Date", widget=DATE_INPUT)


class CommentForm(forms.Form):
    body = forms.CharField(label="Comment", max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class ReviewForm(forms.Form):
    """The comment with a decision; which decision is the button's URL (approve or request changes)."""

    comment = forms.CharField(label="Comment with your decision", max_length=5000, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              help_text="Required when you request changes.")
