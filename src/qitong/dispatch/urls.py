"""The dispatch help's pages (the service offices')."""

from django.urls import path

from qitong.dispatch import views

urlpatterns = [
    path(
        "office/appeals/<int:pk>/suggestions/",
        views.suggestions,
        name="dispatch-suggestions",
    ),
    path("office/appeals/<int:pk>/suggestions/accept/", views.accept, name="dispatch-accept"),
    path(
        "office/appeals/<int:pk>/suggestions/category/",
        views.accept_category,
        name="dispatch-accept-category",
    ),
    path("office/appeals/<int:pk>/duplicate/", views.link, name="dispatch-link"),
    path("appeals/similar/", views.intake_similar, name="dispatch-intake-similar"),
    path("office/hot-topics/", views.hot_topics, name="dispatch-hot-topics"),
]
