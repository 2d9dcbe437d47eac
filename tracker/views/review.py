"""Scaffold: replaced by the real views."""

from django.http import Http404


def review_queue(request, *args, **kwargs):
    raise Http404


def accept(request, *args, **kwargs):
    raise Http404


def return_(request, *args, **kwargs):
    raise Http404


def returned_updates(request, *args, **kwargs):
    raise Http404
