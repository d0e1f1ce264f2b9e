from django import forms

from datasets.models import Dataset


class MoveForm(forms.Form):
    student = forms.TypedChoiceField(coerce=int, label="Student")
    dataset = forms.TypedChoiceField(coerce=int, label="to dataset")

    def __init__(self, *args, students: list[tuple[int, str]], datasets: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["student"].choices = students
        self.fields["dataset"].choices = datasets


class ActivityForm(forms.Form):
    """Starting the activity: the countdown's length."""

    minutes = forms.IntegerField(
        required=False, min_value=0, max_value=120, initial=10, label="Countdown (minutes)",
        error_messages={"max_value": "A countdown is at most 120 minutes.", "min_value": "Minutes cannot be negative."},
    )


def dataset_choices(course) -> list[tuple[int, str]]:
    return list(Dataset.objects.for_course(course).in_catalog().values_list("pk", "title"))
