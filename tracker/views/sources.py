"""The source library: the list, adding a document, the reader, the original, quoting.

A source's document is read once, when it is added (tracker/library/extract.py); every
page here reads the stored paragraphs and the spans stored on the evidence.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import push_url

from .. import fragments
from ..access import (
    can_add_sources,
    can_quote,
    may_create_commitments,
    recordable_commitments,
    role_required,
)
from ..htmx import is_swap, render_page
from ..library import quotes, reader
from ..library import services as library
from ..library.forms import DocumentForm, LibrarySearchForm, SourceForm
from ..models import Evidence, Source, SourceParagraph

LIST_PAGE = 25


@require_GET
@role_required()
def source_list(request):
    form = LibrarySearchForm(request.GET)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    # Quotes counted per source shown, by a subquery: a GROUP BY over the whole evidence
    # table took seconds on a million updates (bench/README.md).
    quotes = Evidence.objects.filter(source=OuterRef("pk")).order_by().values("source")
    sources = Source.objects.annotate(
        quotes=Coalesce(
            Subquery(quotes.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), 0
        )
    ).order_by("-created_at", "-id")
    if query:
        in_text = SourceParagraph.objects.filter(source=OuterRef("pk"), text__icontains=query)
        sources = sources.filter(
            Q(title__icontains=query) | Q(publisher__icontains=query) | Exists(in_text)
        )
    page = Paginator(sources, LIST_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "q": query,
        "page": page,
        "sources": page.object_list,
        "may_add": can_add_sources(request.user),
        "nav_section": "sources",
    }
    response = render_page(request, "tracker/source_list.html", context, fragment="results")
    if is_swap(request):
        params = [("q", query)] if query else []
        push_url(response, reverse("source-list") + (f"?{urlencode(params)}" if params else ""))
    return response


def save_document(request, form, source):
    """Store the form's document on `source`; False (with the form's error) on a duplicate."""
    try:
        source, verified = library.add_document(
            source=source, document=form.document, upload=form.upload, user=request.user
        )
    except library.DuplicateDocument as duplicate:
        form.duplicate = duplicate.existing
        form.add_error(None, "This document was added to the library meanwhile.")
        return None
    note = f" {verified} existing quote{'s' if verified != 1 else ''} verified." if verified else ""
    messages.success(
        request, f"“{source.title}” is in the library: {source.paragraph_count} paragraphs.{note}"
    )
    return source


@require_http_methods(["GET", "POST"])
@role_required(can_add_sources)
def source_add(request):
    form = SourceForm(request.POST, request.FILES) if request.method == "POST" else SourceForm()
    if request.method == "POST" and form.is_valid():
        source = save_document(request, form, form.new_source())
        if source:
            return redirect(source)
    context = {"form": form, "nav_section": "sources"}
    status = 422 if form.is_bound else 200
    return render_page(
        request, "tracker/source_add.html", context, fragment="source-form", status=status
    )


def reader_context(request, source, *, document_form=None):
    pages = reader.page_count(source)
    try:
        page = max(1, min(int(request.GET.get("page", 1)), pages))
    except ValueError:
        page = 1
    paragraphs = reader.paragraphs_of(source, page)
    evidence = reader.evidence_of(source)
    passages = reader.passages_of(source)
    user = request.user
    may_state = may_create_commitments(user) and source.has_text
    may_quote = can_quote(user) and source.has_text
    paragraphs = reader.annotate(paragraphs, evidence, passages)
    return {
        "source": source,
        "paragraphs": paragraphs,
        "paragraph_items": fragments.render(
            "sources/paragraphs",
            paragraphs=paragraphs,
            may_quote=may_quote,
            may_state=may_state,
            quote_url=reverse("source-quote", args=[source.pk]),
            state_url=f"{reverse('commitment-new')}?source={source.pk}",
        ),
        "evidence": evidence,
        "passages": passages,
        "verified_count": sum(1 for item in evidence if item.is_verified),
        "unverified": reader.unverified_page(evidence, request.GET.get("quotes")),
        "commitments": reader.supported_commitments(evidence, passages),
        "may_state": may_state,
        "page_number": page,
        "pages": pages,
        "page_numbers": range(1, pages + 1) if pages > 1 else (),
        "may_quote": may_quote,
        "may_add_document": can_add_sources(user) and not source.has_text,
        "document_form": document_form
        or (DocumentForm(source=source) if not source.has_text else None),
        "nav_section": "sources",
    }


@require_GET
@role_required()
def source_detail(request, pk):
    source = get_object_or_404(Source.objects.select_related("text_added_by"), pk=pk)
    context = reader_context(request, source)
    return render_page(request, "tracker/source_detail.html", context, fragment="source-text")


@require_POST
@role_required(can_add_sources)
def source_add_document(request, pk):
    source = get_object_or_404(Source.objects.select_related("text_added_by"), pk=pk)
    if source.has_text:
        messages.error(request, "This source has its document already; it cannot be replaced.")
        return redirect(source)
    form = DocumentForm(request.POST, request.FILES, source=source)
    if form.is_valid() and save_document(request, form, source):
        return redirect(source)
    context = reader_context(request, source, document_form=form)
    return render_page(
        request, "tracker/source_detail.html", context, fragment="document-form", status=422
    )


@require_GET
@role_required()
def source_download(request, pk):
    """The original file, always as an attachment: never rendered by the browser."""
    source = get_object_or_404(Source, pk=pk)
    if not source.document:
        raise Http404("This source has no original file.")
    try:
        handle = source.document.open("rb")
    except FileNotFoundError:
        raise Http404("The original file is missing from storage.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=source.original_name or source.document.name.rsplit("/", 1)[-1],
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@require_GET
@role_required(can_quote)
def source_quote(request, pk):
    """Choose the commitment to quote the passage into; each link opens its update form."""
    source = get_object_or_404(Source, pk=pk)
    quote, _, error = (
        reader.asked_passage(request.GET, source) if source.has_text else (None, [], "No text.")
    )
    match = None
    if quote:
        try:
            match = library.text_of(source).find(quote)
        except quotes.Mismatch:
            error = "That selection is not a passage of the text: select it again."
    commitments = []
    if match:
        start, end = match.spans[0][0], match.spans[-1][1]
        prefill = urlencode({"quote_source": source.pk, "quote_span": f"{start}-{end}"})
        commitments = [
            (c, f"{c.get_absolute_url()}?{prefill}#record-update")
            for c in recordable_commitments(request.user)
            .select_related("area")
            .order_by("reference")
        ]
    context = {
        "source": source,
        "quote": quote if match else None,
        "match": match,
        "error": error,
        "commitments": commitments,
        "nav_section": "sources",
    }
    return render_page(
        request,
        "tracker/source_quote.html",
        context,
        fragment="quote-choice",
        status=422 if error else 200,
    )
