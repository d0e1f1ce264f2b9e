from django import forms


class DashboardFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name or email"}))
    list = forms.ChoiceField(label="Show", required=False)
    dataset = forms.TypedChoiceField(label="Dataset", required=False, coerce=int, empty_value=None)

    def __init__(self, *args, lists: dict[str, str], datasets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["list"].choices = [("", "All students")] + list(lists.items())
        self.fields["dataset"].choices = [("", "Any dataset")] + [(d.pk, d.title) for d in datasets]


class RemindForm(forms.Form):
    list = forms.ChoiceField(choices=[("not_joined", "not joined"), ("not_ranked", "not ranked"),
                                      ("no_plan", "no plan submitted"), ("changes_requested", "changes requested")])
    assignment = forms.IntegerField(required=False)
