"""Background work of the assessment: the monthly tallies kept fresh, the month's bulletin
built on the first working day, and the office's "build" button as a job with its page."""

from celery import shared_task
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qitong.assessment import actions, bulletins, periods, tally
from qitong.assessment.models import Bulletin
from qitong.core import clock, jobs
from qitong.notify import outbox

BUILD_JOB = "qitong.assessment.tasks.build_bulletin_job"


@shared_task(name="qitong.assessment.tasks.refresh_tallies")
def refresh_tallies():
    """Recount the running month and the months not yet settled (``tally.refresh``)."""
    return tally.refresh()


@shared_task(name="qitong.assessment.tasks.build_due_bulletin")
def build_due_bulletin():
    """From the first working day of a month on, build the previous month's bulletin once."""
    at = clock.now()
    month = bulletins.due_month(at)
    if month is None or Bulletin.objects.filter(month=clock.local(month.start).date()).exists():
        return None
    actions.build_bulletin(month, acting_user=actions.SCHEDULE, at=at)
    return month.key


def start_build(month, *, user):
    """The office's button: build ``month``'s bulletin in a background job (a PDF takes seconds)."""
    return jobs.start(
        BUILD_JOB,
        params={"month": month.key, "language": translation.get_language()},
        created_by=user,
    )


@jobs.job_kind(gettext_lazy("生成月度通报"))
def build_bulletin_job(job, progress):
    """The job: ``actions.build_bulletin`` as its creator, who is told in the inbox."""
    month = periods.parse(job.params["month"])
    with translation.override(job.params.get("language")):
        progress(0, 1)
        actions.build_bulletin(month, acting_user=job.created_by)
        progress(1, 1)
    return jobs.Outcome(on_done=_tell_creator)


def _tell_creator(job):
    month = periods.parse(job.params["month"])
    with translation.override(job.params.get("language")):
        bulletin = Bulletin.objects.get(month=clock.local(month.start).date())
        outbox.enqueue(
            [job.created_by],
            kind="bulletin_built",
            subject=_("%(title)s已生成") % {"title": bulletins.title(month)},
            body=_("通报已生成，请查看后发布给各单位。"),
            url=actions.file_url(bulletin),
        )
