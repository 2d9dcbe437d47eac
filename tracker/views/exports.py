"""Scaffold: replaced by the real views."""

from django.http import Http404


def commitments_csv(request, *args, **kwargs):
    raise Http404


def commitments_json(request, *args, **kwargs):
    raise Http404


def history_csv(request, *args, **kwargs):
    raise Http404


class UpdatesFeed:
    def __call__(self, request):
        raise Http404
