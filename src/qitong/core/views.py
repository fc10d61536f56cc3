from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from qitong.core import jobs
from qitong.core.api import FileDownloadMixin
from qitong.core.models import Job


@never_cache
def healthz(request):
    """For load balancers: 200 when the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


class MeView(APIView):
    """Who the token belongs to: role and scope."""

    @extend_schema(
        responses=inline_serializer(
            "Me",
            {
                "username": serializers.CharField(),
                "role": serializers.CharField(),
                "unit": serializers.CharField(allow_null=True),
                "enterprise": serializers.CharField(allow_null=True),
            },
        )
    )
    def get(self, request):
        user = request.user
        return Response(
            {
                "username": user.username,
                "role": user.role,
                "unit": user.unit.code if user.unit_id else None,
                "enterprise": user.enterprise.uscc if user.enterprise_id else None,
            }
        )


JOB_SCHEMA = inline_serializer(
    "Job",
    {
        "id": serializers.IntegerField(),
        "status": serializers.ChoiceField(choices=Job.Status.choices),
        "progress": serializers.DictField(),
        "created_at": serializers.DateTimeField(),
        "finished_at": serializers.DateTimeField(allow_null=True),
        "error": serializers.CharField(),
        "url": serializers.CharField(),
        "page": serializers.CharField(),
        "download": serializers.CharField(allow_null=True),
    },
)


class JobView(APIView):
    """A background job the caller started: its status and progress, and its file once done."""

    @extend_schema(responses=JOB_SCHEMA)
    def get(self, request, pk):
        return Response(jobs.as_json(jobs.access_job_for_user(request.user, pk)))


class JobDownloadView(FileDownloadMixin, APIView):
    """The file a finished job made; 404 until it is done, and to anyone but its creator."""

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, pk):
        job = jobs.access_job_for_user(request.user, pk)
        return _download(job)


def _download(job):
    if job.status != Job.Status.DONE or not job.result:
        raise Http404
    return FileResponse(
        job.result.open("rb"),
        as_attachment=True,
        filename=job.result_name or job.result.name.rpartition("/")[2],
        content_type=job.result_type or "application/octet-stream",
    )


@login_required
def job_page(request, pk):
    """后台任务: the progress of a job the user started, refreshed by htmx until it ends."""
    job = jobs.access_job_for_user(request.user, pk)
    return render(
        request,
        "core/job.html",
        {
            "title": _("后台任务"),
            "job": job,
            "label": jobs.label(job),
            "running": job.status in (Job.Status.QUEUED, Job.Status.RUNNING),
            "download_url": jobs.job_download_url(job) if job.status == Job.Status.DONE else None,
            "failure": jobs.failure_words() if job.status == Job.Status.FAILED else "",
        },
    )
