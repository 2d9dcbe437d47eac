from django import forms

from .models import Frequency, Kind, Mode, Preferences


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = Preferences
        fields = [kind.value for kind in Kind] + ["digest"]
        labels = {kind.value: kind.label for kind in Kind} | {"digest": "Digest"}
        widgets = {
            **{kind.value: forms.RadioSelect(choices=Mode.choices) for kind in Kind},
            "digest": forms.RadioSelect(choices=Frequency.choices),
        }
        help_texts = {
            "digest": "What changed since your last digest, overdue reviews and what waits on "
            "you, in one email (in the tracker's time zone, at 07:00)."
        }


class FollowForm(forms.Form):
    """follow=1 to follow, follow=0 to stop."""

    follow = forms.TypedChoiceField(
        choices=[("1", "Follow"), ("0", "Stop following")],
        coerce=lambda value: value == "1",
        error_messages={
            "required": "Say whether to follow or not.",
            "invalid_choice": "Say whether to follow (1) or not (0).",
        },
    )
