from django.contrib import admin
from django.urls import include, path

from .dashboard import views as dashboard
from .notifications import views as notifications
from .views import (
    commitment_edit,
    commitment_new,
    commitments,
    exports,
    health,
    imports,
    review,
    search,
    sources,
    tokens,
)

# One commitment's pages and actions.
commitment_urls = [
    path("", commitments.commitment_detail, name="commitment-detail"),
    path("updates/", commitments.record_update, name="commitment-record-update"),
    path("edit/", commitment_edit.edit_commitment, name="commitment-edit"),
    path("follow/", notifications.follow_commitment, name="commitment-follow"),
]

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("commitments/", commitments.commitment_list, name="commitment-list"),
    # Before <reference>/: "new" is a page, never a reference.
    path("commitments/new/", commitment_new.new_commitment, name="commitment-new"),
    path("commitments/<str:reference>/", include(commitment_urls)),
    path(
        "indicators/<int:pk>/measurements/",
        commitments.add_measurement,
        name="indicator-add-measurement",
    ),
    path("sources/search/", commitments.source_search, name="source-search"),
    path("sources/", sources.source_list, name="source-list"),
    path("sources/new/", sources.source_add, name="source-add"),
    path("sources/<int:pk>/", sources.source_detail, name="source-detail"),
    path("sources/<int:pk>/document/", sources.source_add_document, name="source-add-document"),
    path("sources/<int:pk>/original/", sources.source_download, name="source-download"),
    path("sources/<int:pk>/quote/", sources.source_quote, name="source-quote"),
    path("review/", review.review_queue, name="review-queue"),
    path("review/<int:pk>/accept/", review.accept, name="review-accept"),
    path("review/<int:pk>/return/", review.return_, name="review-return"),
    path("returned/", review.returned_updates, name="returned-updates"),
    path("export/commitments.csv", exports.commitments_csv, name="export-commitments-csv"),
    path("export/commitments.json", exports.commitments_json, name="export-commitments-json"),
    path("export/commitments.xlsx", exports.commitments_xlsx, name="export-commitments-xlsx"),
    path("export/history.csv", exports.history_csv, name="export-history-csv"),
    path("export/history.xlsx", exports.history_xlsx, name="export-history-xlsx"),
    path("feed/updates.atom", exports.UpdatesFeed(), name="feed-updates"),
    path("search/", search.search, name="search"),
    path("import/", imports.import_start, name="import"),
    path("import/<int:pk>/", imports.import_detail, name="import-detail"),
    path("import/<int:pk>/apply/", imports.import_apply, name="import-apply"),
    path("import/<int:pk>/report.csv", imports.import_report, name="import-report"),
    path("areas/<slug:slug>/follow/", notifications.follow_area, name="area-follow"),
    path("healthz", health.healthz, name="healthz"),
    path("favicon.ico", health.favicon, name="favicon"),
    path("settings/tokens/", tokens.token_list, name="token-list"),
    path("settings/tokens/<int:pk>/revoke/", tokens.revoke, name="token-revoke"),
    path("notifications/", include("tracker.notifications.urls")),
    path("api/", include("tracker.api.urls")),
    path("accounts/", include("tracker.accounts.urls")),
    path("admin/", admin.site.urls),
]
