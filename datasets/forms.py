from django import forms
from django.conf import settings

from courseproj.courses.forms import validate_one_line
from courseproj.courses.limits import Limit
from datasets.builtins import BUILTINS
from datasets.models import SEARCH_MAX_WORDS, SEARCH_WORD_MAX, SizeBucket, Task
from datasets.uploads import file_facts

ACCEPT = ".csv,.tsv,.txt,.xlsx,.parquet"


class DatasetUploadForm(forms.Form):
    file = forms.FileField(
        label="Data file",
        help_text="CSV, Excel (.xlsx) or Parquet, one row per example.",
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
        error_messages={"empty": "The file is empty."},
    )
    title = forms.CharField(max_length=200, validators=[validate_one_line])
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                  help_text="What is one row? What would a classifier predict, and for whom?")
    target_column = forms.CharField(max_length=200, required=False, label="Target column",
                                    help_text="The column to predict. Leave empty and the profiler proposes one.")
    source = forms.CharField(max_length=300, required=False, help_text="Where the data comes from.")
    licence = forms.CharField(max_length=100, required=False)
    tags = forms.CharField(max_length=200, required=False, label="Domains", help_text="Comma-separated, e.g. health, sports.")

    def __init__(self, *args, too_large: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.too_large = too_large
        self.file_format = ""

    def clean(self):
        if self.too_large:
            # The handler stopped reading the body: say why instead of "field required".
            self.errors.pop("file", None)
            raise forms.ValidationError(_too_large_message())
        return super().clean()

    def clean_file(self):
        from datasets.profiling import ProfileError, detect_format

        uploaded = self.cleaned_data["file"]
        if uploaded.size == 0:
            raise forms.ValidationError("The file is empty.")
        if uploaded.size > settings.UPLOAD_MAX_BYTES:
            raise forms.ValidationError(_too_large_message())
        try:
            self.file_format = detect_format(file_facts(uploaded).head, uploaded.name or "")
        except ProfileError as error:
            raise forms.ValidationError(error.message) from None
        return uploaded


def _too_large_message() -> str:
    return f"The file is larger than {settings.UPLOAD_MAX_BYTES // (1024 * 1024)} MB, the limit for uploads."


class BuiltinAddForm(forms.Form):
    keys = forms.MultipleChoiceField(
        choices=[(key, b.title) for key, b in BUILTINS.items()],
        widget=forms.CheckboxSelectMultiple,
        label="Built-in datasets",
    )


# The filter searches as the student types (after a 300 ms pause): 120 a
# minute is two a second, more than typing makes; a script gets no further.
SEARCHES_PER_USER = Limit(
    "catalog-search", 120, 60, "You searched more than 120 times in a minute. Wait a moment, then search again."
)


class CatalogFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", widget=forms.TextInput(attrs={"type": "search", "placeholder": "Title, description or domain"}))
    task = forms.ChoiceField(required=False, choices=[("", "Any task")] + Task.choices)
    size = forms.ChoiceField(required=False, choices=[("", "Any size")] + SizeBucket.choices)
    domain = forms.CharField(required=False, max_length=50)
    profile = forms.ChoiceField(
        required=False,
        choices=[("", "Any profile status"), ("done", "Profile ready"), ("running", "Being profiled"), ("failed", "Profile failed")],
        label="Profile",
    )

    def __init__(self, *args, searcher: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.searcher = searcher

    def clean_q(self) -> str:
        """The first few words, each cut short (the same caps as DatasetQuerySet.search), counted per user."""
        words = [word[:SEARCH_WORD_MAX] for word in self.cleaned_data["q"].split()[:SEARCH_MAX_WORDS]]
        if words and not SEARCHES_PER_USER.consume(who=self.searcher):
            raise forms.ValidationError(SEARCHES_PER_USER.message)
        return " ".join(words)

    def filter(self, queryset):
        data = self.cleaned_data
        if data.get("q"):
            queryset = queryset.search(data["q"])
        if data.get("task"):
            queryset = queryset.filter(task=data["task"])
        if data.get("size"):
            queryset = queryset.of_size(data["size"])
        if data.get("domain"):
            queryset = queryset.filter(tags__icontains=data["domain"])
        profile = data.get("profile")
        if profile == "running":
            queryset = queryset.filter(profile_job__status__in=["pending", "queued", "running"])
        elif profile:
            queryset = queryset.filter(profile_job__status=profile)
        return queryset


class TargetForm(forms.Form):
    target_column = forms.CharField(max_length=200, required=False)
