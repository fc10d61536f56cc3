"""Rows only actions and jobs write are read, never edited, in the admin."""

import pytest

from qitong.core.admin import ReadOnlyAdmin

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path", ["/admin/appeals/appeal/add/", "/admin/core/job/add/", "/admin/policies/crawlrun/add/"]
)
def test_adding_a_read_only_row_by_hand_is_refused(admin_client, path):
    assert admin_client.get(path).status_code == 403


def test_read_only_lists_allow_deleting_only_where_said(admin_client, rf, admin_user):
    from django.contrib import admin

    from qitong.appeals.models import Appeal
    from qitong.core.models import Job
    from qitong.policies.models import CrawlRun

    request = rf.get("/admin/")
    request.user = admin_user
    deletable = {
        model.__name__: admin.site._registry[model].has_delete_permission(request)
        for model in (Appeal, Job, CrawlRun)
    }
    assert deletable == {"Appeal": False, "Job": False, "CrawlRun": True}
    assert all(isinstance(admin.site._registry[m], ReadOnlyAdmin) for m in (Appeal, Job, CrawlRun))
    assert admin_client.get("/admin/appeals/appeal/").status_code == 200
