"""Scaffold: replaced by the real views."""

from django.http import Http404


def commitment_list(request, *args, **kwargs):
    raise Http404


def commitment_detail(request, *args, **kwargs):
    raise Http404


def record_update(request, *args, **kwargs):
    raise Http404


def edit_commitment(request, *args, **kwargs):
    raise Http404


def add_measurement(request, *args, **kwargs):
    raise Http404


def source_search(request, *args, **kwargs):
    raise Http404
