from django import forms

from .readers import FileProblem, check_size


class UploadForm(forms.Form):
    file = forms.FileField(
        label="File",
        help_text="A CSV or XLSX file in the columns of the commitments or history export.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            check_size(upload.size)
        except FileProblem as exc:
            raise forms.ValidationError(str(exc)) from exc
        if upload.size == 0:
            raise forms.ValidationError("The file is empty.")
        return upload
