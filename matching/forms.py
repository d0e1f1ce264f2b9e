from django import forms


class MoveForm(forms.Form):
    """A move: the student, and the circle (dataset) to put them in; the preview leaves the circle open."""

    student = forms.TypedChoiceField(coerce=int, label="Student")
    dataset = forms.TypedChoiceField(coerce=int, label="to the circle", widget=forms.RadioSelect)

    def __init__(self, *args, students: list[tuple[int, str]], datasets: list[tuple[int, str]],
                 dataset_required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["student"].choices = students
        self.fields["dataset"].choices = datasets
        self.fields["dataset"].required = dataset_required


class RunForm(forms.Form):
    """Re-running after publishing: how many students of the published circles may move."""

    max_moves = forms.IntegerField(
        required=False, min_value=0, max_value=1000, initial=0, label="Students who may move",
        help_text="0 keeps every published circle: only late joiners are placed.",
        error_messages={"min_value": "Moves cannot be negative.", "max_value": "At most 1000 moves."},
    )


class ActivityForm(forms.Form):
    """Starting the activity: the countdown's length."""

    minutes = forms.IntegerField(
        required=False, min_value=0, max_value=120, initial=10, label="Countdown (minutes)",
        error_messages={"max_value": "A countdown is at most 120 minutes.", "min_value": "Minutes cannot be negative."},
    )
