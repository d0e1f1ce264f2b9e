from django import forms


class CanvasPushForm(forms.Form):
    # Used for one push and never stored, logged or shown again.
    token = forms.CharField(
        label="Canvas access token",
        max_length=500,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text="Canvas → Account → Settings → New access token. Used for this push only, never stored.",
    )
