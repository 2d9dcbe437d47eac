import datetime as dt

from django import forms
from django.conf import settings
from django.utils import timezone

from .models import ApiToken

LIFETIMES = [(7, "7 days"), (30, "30 days"), (90, "90 days"), (180, "180 days"), (365, "1 year")]
MAX_ACTIVE_TOKENS = 50


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="What it is for, so you recognise it later: “Power BI”."
    )
    scope = forms.ChoiceField(
        choices=ApiToken.Scope.choices,
        initial=ApiToken.Scope.READ,
        widget=forms.RadioSelect,
        help_text="Read is enough for spreadsheets, BI tools and feed readers.",
    )
    lifetime = forms.TypedChoiceField(
        choices=LIFETIMES, coerce=int, initial=90, label="Expires after"
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_name(self):
        return self.cleaned_data["name"].strip()

    def clean_lifetime(self):
        days = self.cleaned_data["lifetime"]
        if days > settings.TRACKER_TOKEN_MAX_DAYS:
            raise forms.ValidationError(
                f"Tokens live at most {settings.TRACKER_TOKEN_MAX_DAYS} days here."
            )
        return days

    def clean(self):
        if ApiToken.objects.active().filter(user=self.user).count() >= MAX_ACTIVE_TOKENS:
            raise forms.ValidationError(
                f"You have {MAX_ACTIVE_TOKENS} active tokens: revoke one you no longer use first."
            )
        return super().clean()

    def expires_at(self):
        return timezone.now() + dt.timedelta(days=self.cleaned_data["lifetime"])
