"""The appeal loop over HTTP (contracts/api-v1.md): one route per declared action, and the lists."""

from django.urls import path

from qitong.appeals import actions, api

urlpatterns = [
    path("appeals", api.AppealListView.as_view(), name="api-appeals"),
    path("appeals/ledger.xlsx", api.LedgerView.as_view(), name="api-appeals-ledger"),
    path("appeals/<int:pk>", api.AppealDetailView.as_view(), name="api-appeal"),
    path(
        "appeals/<int:pk>/attachments",
        api.AttachmentListView.as_view(),
        name="api-appeal-attachments",
    ),
    path(
        "appeals/<int:pk>/attachments/<int:attachment_id>",
        api.AttachmentDownloadView.as_view(),
        name="api-appeal-attachment",
    ),
    *(
        path(
            f"appeals/<int:pk>/{name}",
            api.AppealActionView.as_view(operation=name),
            name=f"api-appeal-{name}",
        )
        for name in actions.ROUTED
    ),
    path(
        "appeals/<int:pk>/<str:operation>",
        api.UnknownActionView.as_view(),
        name="api-appeal-unknown-action",
    ),
    path("categories", api.CategoryListView.as_view(), name="api-categories"),
    path("figures", api.FiguresView.as_view(), name="api-figures"),
]
